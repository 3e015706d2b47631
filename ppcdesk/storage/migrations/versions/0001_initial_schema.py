"""initial schema

Revision ID: 0001
Revises: (none)
Create Date: 2026-11-21 23:16:09.069112
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from ppcdesk.storage.dialect import Flag

revision: str = '0001'
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:

    op.create_table('buyers',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('contact', sa.String(length=200), nullable=False),
    sa.Column('created_at', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_buyers')),
    sa.UniqueConstraint('name', name=op.f('uq_buyers_name'))
    )
    op.create_table('campaigns',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('vertical', sa.String(length=100), nullable=False),
    sa.Column('timezone', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_campaigns')),
    sa.UniqueConstraint('name', name=op.f('uq_campaigns_name'))
    )
    op.create_table('imports',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=30), nullable=False),
    sa.Column('file_name', sa.String(length=500), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('partner', sa.String(length=200), nullable=True),
    sa.Column('preset', sa.String(length=200), nullable=True),
    sa.Column('rows_total', sa.Integer(), nullable=False),
    sa.Column('rows_ok', sa.Integer(), nullable=False),
    sa.Column('rows_failed', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('created_at', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_imports'))
    )
    op.create_table('publishers',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('contact', sa.String(length=200), nullable=False),
    sa.Column('created_at', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_publishers')),
    sa.UniqueConstraint('name', name=op.f('uq_publishers_name'))
    )
    op.create_table('telephony_accounts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('provider', sa.String(length=20), nullable=False),
    sa.Column('account_sid', sa.String(length=64), nullable=False),
    sa.Column('label', sa.String(length=200), nullable=False),
    sa.Column('auth_kind', sa.String(length=20), nullable=False),
    sa.Column('api_key_sid', sa.String(length=64), nullable=True),
    sa.Column('keyring_key', sa.String(length=200), nullable=False),
    sa.Column('sync_from', sa.BigInteger(), nullable=True),
    sa.Column('checkpoint_at', sa.BigInteger(), nullable=True),
    sa.Column('last_sync_at', sa.BigInteger(), nullable=True),
    sa.Column('created_at', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_telephony_accounts')),
    sa.UniqueConstraint('account_sid', name=op.f('uq_telephony_accounts_account_sid'))
    )
    op.create_table('workspace',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('role', sa.String(length=20), nullable=False),
    sa.Column('timezone', sa.String(length=64), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('is_demo', Flag(), nullable=False),
    sa.Column('created_at', sa.BigInteger(), nullable=False),
    sa.CheckConstraint('id = 1', name=op.f('ck_workspace_single_row')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_workspace'))
    )
    op.create_table('buyer_destinations',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('buyer_id', sa.Integer(), nullable=False),
    sa.Column('e164', sa.String(length=20), nullable=False),
    sa.Column('label', sa.String(length=200), nullable=False),
    sa.ForeignKeyConstraint(['buyer_id'], ['buyers.id'], name=op.f('fk_buyer_destinations_buyer_id_buyers'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_buyer_destinations')),
    sa.UniqueConstraint('e164', name=op.f('uq_buyer_destinations_e164'))
    )
    with op.batch_alter_table('buyer_destinations', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_buyer_destinations_buyer_id'), ['buyer_id'], unique=False)

    op.create_table('contracts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('campaign_id', sa.Integer(), nullable=True),
    sa.Column('counterparty_kind', sa.String(length=20), nullable=False),
    sa.Column('buyer_id', sa.Integer(), nullable=True),
    sa.Column('publisher_id', sa.Integer(), nullable=True),
    sa.Column('active', Flag(), nullable=False),
    sa.Column('created_at', sa.BigInteger(), nullable=False),
    sa.ForeignKeyConstraint(['buyer_id'], ['buyers.id'], name=op.f('fk_contracts_buyer_id_buyers')),
    sa.ForeignKeyConstraint(['campaign_id'], ['campaigns.id'], name=op.f('fk_contracts_campaign_id_campaigns')),
    sa.ForeignKeyConstraint(['publisher_id'], ['publishers.id'], name=op.f('fk_contracts_publisher_id_publishers')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_contracts')),
    sa.UniqueConstraint('name', name=op.f('uq_contracts_name'))
    )
    op.create_table('media_spend',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('day', sa.String(length=10), nullable=False),
    sa.Column('campaign_id', sa.Integer(), nullable=True),
    sa.Column('publisher_id', sa.Integer(), nullable=True),
    sa.Column('source', sa.String(length=100), nullable=False),
    sa.Column('amount_micros', sa.BigInteger(), nullable=False),
    sa.Column('import_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['campaign_id'], ['campaigns.id'], name=op.f('fk_media_spend_campaign_id_campaigns')),
    sa.ForeignKeyConstraint(['import_id'], ['imports.id'], name=op.f('fk_media_spend_import_id_imports')),
    sa.ForeignKeyConstraint(['publisher_id'], ['publishers.id'], name=op.f('fk_media_spend_publisher_id_publishers')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_media_spend')),
    sa.UniqueConstraint('day', 'campaign_id', 'publisher_id', 'source', name=op.f('uq_media_spend_day'))
    )
    op.create_table('sync_runs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('account_id', sa.Integer(), nullable=True),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('started_at', sa.BigInteger(), nullable=False),
    sa.Column('finished_at', sa.BigInteger(), nullable=True),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('summary', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['telephony_accounts.id'], name=op.f('fk_sync_runs_account_id_telephony_accounts')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sync_runs'))
    )
    op.create_table('tracking_numbers',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('account_id', sa.Integer(), nullable=True),
    sa.Column('provider_sid', sa.String(length=64), nullable=True),
    sa.Column('e164', sa.String(length=20), nullable=False),
    sa.Column('friendly_name', sa.String(length=200), nullable=False),
    sa.Column('campaign_id', sa.Integer(), nullable=True),
    sa.Column('publisher_id', sa.Integer(), nullable=True),
    sa.Column('monthly_cost_micros', sa.BigInteger(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('acquired_at', sa.BigInteger(), nullable=True),
    sa.Column('released_at', sa.BigInteger(), nullable=True),
    sa.ForeignKeyConstraint(['account_id'], ['telephony_accounts.id'], name=op.f('fk_tracking_numbers_account_id_telephony_accounts')),
    sa.ForeignKeyConstraint(['campaign_id'], ['campaigns.id'], name=op.f('fk_tracking_numbers_campaign_id_campaigns')),
    sa.ForeignKeyConstraint(['publisher_id'], ['publishers.id'], name=op.f('fk_tracking_numbers_publisher_id_publishers')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_tracking_numbers')),
    sa.UniqueConstraint('e164', name=op.f('uq_tracking_numbers_e164')),
    sa.UniqueConstraint('provider_sid', name=op.f('uq_tracking_numbers_provider_sid'))
    )
    with op.batch_alter_table('tracking_numbers', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_tracking_numbers_campaign_id'), ['campaign_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_tracking_numbers_publisher_id'), ['publisher_id'], unique=False)

    op.create_table('calls',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('sid', sa.String(length=64), nullable=False),
    sa.Column('account_id', sa.Integer(), nullable=True),
    sa.Column('tracking_number_id', sa.Integer(), nullable=True),
    sa.Column('campaign_id', sa.Integer(), nullable=True),
    sa.Column('publisher_id', sa.Integer(), nullable=True),
    sa.Column('caller', sa.String(length=32), nullable=False),
    sa.Column('caller_state', sa.String(length=2), nullable=True),
    sa.Column('called', sa.String(length=32), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('direction', sa.String(length=20), nullable=False),
    sa.Column('started_at', sa.BigInteger(), nullable=False),
    sa.Column('ended_at', sa.BigInteger(), nullable=True),
    sa.Column('duration_s', sa.Integer(), nullable=False),
    sa.Column('cost_micros', sa.BigInteger(), nullable=True),
    sa.Column('connected_s', sa.Integer(), nullable=False),
    sa.Column('time_to_answer_s', sa.Integer(), nullable=True),
    sa.Column('buyer_id', sa.Integer(), nullable=True),
    sa.Column('legs_cost_micros', sa.BigInteger(), nullable=True),
    sa.Column('updated_at', sa.BigInteger(), nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['telephony_accounts.id'], name=op.f('fk_calls_account_id_telephony_accounts')),
    sa.ForeignKeyConstraint(['buyer_id'], ['buyers.id'], name=op.f('fk_calls_buyer_id_buyers')),
    sa.ForeignKeyConstraint(['campaign_id'], ['campaigns.id'], name=op.f('fk_calls_campaign_id_campaigns')),
    sa.ForeignKeyConstraint(['publisher_id'], ['publishers.id'], name=op.f('fk_calls_publisher_id_publishers')),
    sa.ForeignKeyConstraint(['tracking_number_id'], ['tracking_numbers.id'], name=op.f('fk_calls_tracking_number_id_tracking_numbers')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_calls')),
    sa.UniqueConstraint('sid', name=op.f('uq_calls_sid'))
    )
    with op.batch_alter_table('calls', schema=None) as batch_op:
        batch_op.create_index('ix_calls_caller_started', ['caller', 'started_at'], unique=False)
        batch_op.create_index('ix_calls_campaign_started', ['campaign_id', 'started_at'], unique=False)
        batch_op.create_index('ix_calls_publisher_started', ['publisher_id', 'started_at'], unique=False)
        batch_op.create_index('ix_calls_started_at', ['started_at'], unique=False)

    op.create_table('contract_versions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('contract_id', sa.Integer(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('terms', sa.Text(), nullable=False),
    sa.Column('effective_from', sa.BigInteger(), nullable=True),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('created_at', sa.BigInteger(), nullable=False),
    sa.ForeignKeyConstraint(['contract_id'], ['contracts.id'], name=op.f('fk_contract_versions_contract_id_contracts'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_contract_versions')),
    sa.UniqueConstraint('contract_id', 'version', name=op.f('uq_contract_versions_contract_id'))
    )
    op.create_table('call_legs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('sid', sa.String(length=64), nullable=False),
    sa.Column('call_sid', sa.String(length=64), nullable=False),
    sa.Column('from_number', sa.String(length=32), nullable=False),
    sa.Column('to_number', sa.String(length=32), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('direction', sa.String(length=20), nullable=False),
    sa.Column('started_at', sa.BigInteger(), nullable=True),
    sa.Column('ended_at', sa.BigInteger(), nullable=True),
    sa.Column('duration_s', sa.Integer(), nullable=False),
    sa.Column('cost_micros', sa.BigInteger(), nullable=True),
    sa.Column('buyer_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['buyer_id'], ['buyers.id'], name=op.f('fk_call_legs_buyer_id_buyers')),
    sa.ForeignKeyConstraint(['call_sid'], ['calls.sid'], name=op.f('fk_call_legs_call_sid_calls'), ondelete='CASCADE', initially='DEFERRED', deferrable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_call_legs')),
    sa.UniqueConstraint('sid', name=op.f('uq_call_legs_sid'))
    )
    with op.batch_alter_table('call_legs', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_call_legs_call_sid'), ['call_sid'], unique=False)

    op.create_table('call_notes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('call_id', sa.Integer(), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('author', sa.String(length=100), nullable=False),
    sa.Column('created_at', sa.BigInteger(), nullable=False),
    sa.ForeignKeyConstraint(['call_id'], ['calls.id'], name=op.f('fk_call_notes_call_id_calls'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_call_notes'))
    )
    with op.batch_alter_table('call_notes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_call_notes_call_id'), ['call_id'], unique=False)

    op.create_table('call_outcomes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('call_id', sa.Integer(), nullable=False),
    sa.Column('contract_id', sa.Integer(), nullable=False),
    sa.Column('contract_version_id', sa.Integer(), nullable=False),
    sa.Column('billable', Flag(), nullable=False),
    sa.Column('payable', Flag(), nullable=False),
    sa.Column('revenue_micros', sa.BigInteger(), nullable=False),
    sa.Column('payout_micros', sa.BigInteger(), nullable=False),
    sa.Column('reasons', sa.Text(), nullable=False),
    sa.Column('duplicate_of_call_id', sa.Integer(), nullable=True),
    sa.Column('evaluated_at', sa.BigInteger(), nullable=False),
    sa.ForeignKeyConstraint(['call_id'], ['calls.id'], name=op.f('fk_call_outcomes_call_id_calls'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['contract_id'], ['contracts.id'], name=op.f('fk_call_outcomes_contract_id_contracts'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['contract_version_id'], ['contract_versions.id'], name=op.f('fk_call_outcomes_contract_version_id_contract_versions')),
    sa.ForeignKeyConstraint(['duplicate_of_call_id'], ['calls.id'], name=op.f('fk_call_outcomes_duplicate_of_call_id_calls')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_call_outcomes')),
    sa.UniqueConstraint('call_id', 'contract_id', name=op.f('uq_call_outcomes_call_id'))
    )
    with op.batch_alter_table('call_outcomes', schema=None) as batch_op:
        batch_op.create_index('ix_call_outcomes_contract_call', ['contract_id', 'call_id'], unique=False)

    op.create_table('dispositions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('call_id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=30), nullable=False),
    sa.Column('sale_micros', sa.BigInteger(), nullable=True),
    sa.Column('author', sa.String(length=100), nullable=False),
    sa.Column('created_at', sa.BigInteger(), nullable=False),
    sa.ForeignKeyConstraint(['call_id'], ['calls.id'], name=op.f('fk_dispositions_call_id_calls'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_dispositions'))
    )
    with op.batch_alter_table('dispositions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_dispositions_call_id'), ['call_id'], unique=False)

    op.create_table('disputes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('call_id', sa.Integer(), nullable=True),
    sa.Column('partner_kind', sa.String(length=20), nullable=False),
    sa.Column('buyer_id', sa.Integer(), nullable=True),
    sa.Column('publisher_id', sa.Integer(), nullable=True),
    sa.Column('import_id', sa.Integer(), nullable=True),
    sa.Column('status', sa.String(length=30), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('claimed_micros', sa.BigInteger(), nullable=False),
    sa.Column('recovered_micros', sa.BigInteger(), nullable=False),
    sa.Column('deadline', sa.String(length=10), nullable=True),
    sa.Column('opened_at', sa.BigInteger(), nullable=False),
    sa.Column('updated_at', sa.BigInteger(), nullable=False),
    sa.ForeignKeyConstraint(['buyer_id'], ['buyers.id'], name=op.f('fk_disputes_buyer_id_buyers')),
    sa.ForeignKeyConstraint(['call_id'], ['calls.id'], name=op.f('fk_disputes_call_id_calls')),
    sa.ForeignKeyConstraint(['import_id'], ['imports.id'], name=op.f('fk_disputes_import_id_imports')),
    sa.ForeignKeyConstraint(['publisher_id'], ['publishers.id'], name=op.f('fk_disputes_publisher_id_publishers')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_disputes'))
    )
    with op.batch_alter_table('disputes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_disputes_call_id'), ['call_id'], unique=False)

    op.create_table('outcome_adjustments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('call_id', sa.Integer(), nullable=False),
    sa.Column('contract_id', sa.Integer(), nullable=False),
    sa.Column('field', sa.String(length=30), nullable=False),
    sa.Column('before', sa.String(length=100), nullable=False),
    sa.Column('after', sa.String(length=100), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('author', sa.String(length=100), nullable=False),
    sa.Column('created_at', sa.BigInteger(), nullable=False),
    sa.ForeignKeyConstraint(['call_id'], ['calls.id'], name=op.f('fk_outcome_adjustments_call_id_calls'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['contract_id'], ['contracts.id'], name=op.f('fk_outcome_adjustments_contract_id_contracts'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_outcome_adjustments'))
    )
    with op.batch_alter_table('outcome_adjustments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_outcome_adjustments_call_id'), ['call_id'], unique=False)

    op.create_table('recordings',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('sid', sa.String(length=64), nullable=False),
    sa.Column('call_sid', sa.String(length=64), nullable=False),
    sa.Column('started_at', sa.BigInteger(), nullable=True),
    sa.Column('duration_s', sa.Integer(), nullable=False),
    sa.Column('channels', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('cost_micros', sa.BigInteger(), nullable=True),
    sa.Column('file_state', sa.String(length=20), nullable=False),
    sa.Column('local_path', sa.String(length=500), nullable=True),
    sa.Column('size_bytes', sa.BigInteger(), nullable=True),
    sa.Column('sha256', sa.String(length=64), nullable=True),
    sa.ForeignKeyConstraint(['call_sid'], ['calls.sid'], name=op.f('fk_recordings_call_sid_calls'), ondelete='CASCADE', initially='DEFERRED', deferrable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_recordings')),
    sa.UniqueConstraint('sid', name=op.f('uq_recordings_sid'))
    )
    with op.batch_alter_table('recordings', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_recordings_call_sid'), ['call_sid'], unique=False)




def downgrade() -> None:

    with op.batch_alter_table('recordings', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_recordings_call_sid'))

    op.drop_table('recordings')
    with op.batch_alter_table('outcome_adjustments', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_outcome_adjustments_call_id'))

    op.drop_table('outcome_adjustments')
    with op.batch_alter_table('disputes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_disputes_call_id'))

    op.drop_table('disputes')
    with op.batch_alter_table('dispositions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_dispositions_call_id'))

    op.drop_table('dispositions')
    with op.batch_alter_table('call_outcomes', schema=None) as batch_op:
        batch_op.drop_index('ix_call_outcomes_contract_call')

    op.drop_table('call_outcomes')
    with op.batch_alter_table('call_notes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_call_notes_call_id'))

    op.drop_table('call_notes')
    with op.batch_alter_table('call_legs', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_call_legs_call_sid'))

    op.drop_table('call_legs')
    op.drop_table('contract_versions')
    with op.batch_alter_table('calls', schema=None) as batch_op:
        batch_op.drop_index('ix_calls_started_at')
        batch_op.drop_index('ix_calls_publisher_started')
        batch_op.drop_index('ix_calls_campaign_started')
        batch_op.drop_index('ix_calls_caller_started')

    op.drop_table('calls')
    with op.batch_alter_table('tracking_numbers', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_tracking_numbers_publisher_id'))
        batch_op.drop_index(batch_op.f('ix_tracking_numbers_campaign_id'))

    op.drop_table('tracking_numbers')
    op.drop_table('sync_runs')
    op.drop_table('media_spend')
    op.drop_table('contracts')
    with op.batch_alter_table('buyer_destinations', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_buyer_destinations_buyer_id'))

    op.drop_table('buyer_destinations')
    op.drop_table('workspace')
    op.drop_table('telephony_accounts')
    op.drop_table('publishers')
    op.drop_table('imports')
    op.drop_table('campaigns')
    op.drop_table('buyers')

