"""billing, KPI rollups and review

What the billing engine, the KPI dashboard and the review queue need beyond the foundation's
tables. One revision for the release; each part below belongs to one feature.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22 01:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from ppcdesk.storage.dialect import Flag

revision: str = '0003'
down_revision: str | None = '0002'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    _billing_up()
    _kpi_up()
    _review_up()
    _recon_up()


def downgrade() -> None:
    _recon_down()
    _review_down()
    _kpi_down()
    _billing_down()


# ---------------------------------------------------------------- billing (issue 4)
def _billing_up() -> None:
    # The reasons as ppcdesk.core.reasons.ReasonFlag bits, for SQL that counts them.
    with op.batch_alter_table('call_outcomes') as batch:
        batch.add_column(sa.Column('flags', sa.Integer(), server_default='0', nullable=False))
    # A contract's earlier verdicts (its caps count them) read from the index alone.
    op.drop_index('ix_call_outcomes_contract_call', table_name='call_outcomes')
    op.create_index('ix_call_outcomes_contract_call', 'call_outcomes',
                    ['contract_id', 'call_id', 'flags'], unique=False)
    # Where each contract's evaluation stands: the version evaluated, the calls seen.
    op.create_table(
        'contract_evaluations',
        sa.Column('contract_id', sa.Integer(), nullable=False),
        sa.Column('contract_version_id', sa.Integer(), nullable=False),
        sa.Column('calls_seen_at', sa.BigInteger(), nullable=False),
        sa.Column('evaluated_at', sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(['contract_id'], ['contracts.id'], ondelete='CASCADE',
                                name=op.f('fk_contract_evaluations_contract_id_contracts')),
        sa.ForeignKeyConstraint(
            ['contract_version_id'], ['contract_versions.id'], ondelete='CASCADE',
            name=op.f('fk_contract_evaluations_contract_version_id_contract_versions')),
        sa.PrimaryKeyConstraint('contract_id', name=op.f('pk_contract_evaluations')),
    )
    # "Calls changed since the last evaluation" (incremental runs after a sync).
    op.create_index('ix_calls_updated_at', 'calls', ['updated_at'], unique=False)
    op.create_index('ix_outcome_adjustments_contract_call', 'outcome_adjustments',
                    ['contract_id', 'call_id'], unique=False)


def _billing_down() -> None:
    op.drop_index('ix_outcome_adjustments_contract_call', table_name='outcome_adjustments')
    op.drop_index('ix_calls_updated_at', table_name='calls')
    op.drop_table('contract_evaluations')
    op.drop_index('ix_call_outcomes_contract_call', table_name='call_outcomes')
    op.create_index('ix_call_outcomes_contract_call', 'call_outcomes',
                    ['contract_id', 'call_id'], unique=False)
    with op.batch_alter_table('call_outcomes') as batch:
        batch.drop_column('flags')


# ---------------------------------------------------------------- KPI rollups (issue 5)
_KPI_MEASURES = (  # the per-call facts summed; micros columns are BigInteger
        'calls',
        'answered',
        'abandoned',
        'voicemail',
        'talk_s',
        'tta_s',
        'tta_n',
        'telco_micros',
        'recorded',
        'first_calls',
        'answered_known',
        'resolved',
        'evaluated',
        'billable',
        'payable',
        'revenue_micros',
        'payout_micros',
        'duplicate',
        'short',
        'blocked',
        'after_hours',
        'over_cap',
        'conversions',
        'sale_micros',
        'dur_0',
        'dur_1',
        'dur_2',
        'dur_3',
        'dur_4',
        'dur_5',
        'dur_6',
        'dur_7',
        'dur_8',
        'dur_9',
        'dur_10',
        'dur_11',
        'dur_12',
        'dur_13',
)
_KPI_DIMS = ('tracking_number_id', 'campaign_id', 'publisher_id', 'buyer_id')


def _kpi_up() -> None:
    for table, key in (('kpi_hourly', 'hour'), ('kpi_daily', 'day')):
        op.create_table(
            table,
            sa.Column(key, sa.Integer(), nullable=False),
            *[sa.Column(d, sa.Integer(), nullable=False) for d in _KPI_DIMS],
            *[sa.Column(m, sa.BigInteger() if m.endswith('micros') else sa.Integer(),
                        nullable=False) for m in _KPI_MEASURES],
            sa.PrimaryKeyConstraint(key, *_KPI_DIMS, name=op.f(f'pk_{table}')),
            sqlite_with_rowid=False,
        )
    op.create_table(
        'kpi_state',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('zone', sa.String(length=64), nullable=False),
        sa.Column('built_at', sa.BigInteger(), nullable=False),
        sa.CheckConstraint('id = 1', name=op.f('ck_kpi_state_single_row')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_kpi_state')),
    )


def _kpi_down() -> None:
    op.drop_table('kpi_state')
    op.drop_table('kpi_daily')
    op.drop_table('kpi_hourly')


# ---------------------------------------------------------------- review (issue 6)
_REVIEW_INDEXES = (
    ('ix_calls_buyer_started', 'calls', ['buyer_id', 'started_at']),
    ('ix_calls_status_started', 'calls', ['status', 'started_at']),
    ('ix_calls_state_started', 'calls', ['caller_state', 'started_at']),
    ('ix_calls_number_started', 'calls', ['tracking_number_id', 'started_at']),
    ('ix_calls_called', 'calls', ['called']),
    ('ix_calls_duration', 'calls', ['duration_s']),
    ('ix_calls_connected', 'calls', ['connected_s']),
    ('ix_calls_answer', 'calls', ['time_to_answer_s']),
    ('ix_call_outcomes_flags', 'call_outcomes', ['flags', 'call_id']),
)


def _review_up() -> None:
    # Reviewed and disputed marks, one row per call a person touched.
    op.create_table(
        'call_reviews',
        sa.Column('call_id', sa.Integer(), nullable=False),
        sa.Column('reviewed_at', sa.BigInteger(), nullable=True),
        sa.Column('reviewed_by', sa.String(length=100), nullable=False),
        sa.Column('disputed', Flag(), nullable=False),
        sa.Column('dispute_reason', sa.Text(), nullable=False),
        sa.Column('updated_at', sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(['call_id'], ['calls.id'], ondelete='CASCADE',
                                name=op.f('fk_call_reviews_call_id_calls')),
        sa.PrimaryKeyConstraint('call_id', name=op.f('pk_call_reviews')),
    )
    # Indexes for the call log's filters and sorts (each ends with the rowid: the keyset's tie).
    for name, table, columns in _REVIEW_INDEXES:
        op.create_index(name, table, columns, unique=False)


def _review_down() -> None:
    for name, table, _columns in reversed(_REVIEW_INDEXES):
        op.drop_index(name, table_name=table)
    op.drop_table('call_reviews')


# ---------------------------------------------------------------- recon (issue 7)
def _recon_up() -> None:
    # Named column mappings for partners' reports.
    op.create_table(
        'recon_presets',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('name', sa.String(length=200), nullable=False),
        sa.Column('partner', sa.String(length=200), nullable=False),
        sa.Column('body', sa.Text(), nullable=False),
        sa.Column('updated_at', sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_recon_presets')),
        sa.UniqueConstraint('name', name=op.f('uq_recon_presets_name')),
    )
    # The checked lines of each imported partner report.
    op.create_table(
        'partner_rows',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('import_id', sa.Integer(), nullable=False),
        sa.Column('line', sa.Integer(), nullable=False),
        sa.Column('started_at', sa.BigInteger(), nullable=False),
        sa.Column('caller', sa.String(length=32), nullable=True),
        sa.Column('duration_s', sa.Integer(), nullable=True),
        sa.Column('amount_micros', sa.BigInteger(), nullable=False),
        sa.Column('verdict', sa.String(length=20), nullable=False),
        sa.Column('partner_call_id', sa.String(length=100), nullable=True),
        sa.Column('status', sa.String(length=100), nullable=False),
        sa.Column('campaign', sa.String(length=200), nullable=True),
        sa.ForeignKeyConstraint(['import_id'], ['imports.id'], ondelete='CASCADE',
                                name=op.f('fk_partner_rows_import_id_imports')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_partner_rows')),
    )
    op.create_index('ix_partner_rows_import_started', 'partner_rows',
                    ['import_id', 'started_at'], unique=False)
    # What the last reconcile made of each line: its call and the evidence.
    op.create_table(
        'recon_matches',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('partner_row_id', sa.Integer(), nullable=False),
        sa.Column('call_id', sa.Integer(), nullable=True),
        sa.Column('kind', sa.String(length=20), nullable=False),
        sa.Column('time_diff_s', sa.Integer(), nullable=False),
        sa.Column('shift_s', sa.Integer(), nullable=False),
        sa.Column('evidence', sa.Text(), nullable=False),
        sa.Column('matched_at', sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(['call_id'], ['calls.id'], ondelete='CASCADE',
                                name=op.f('fk_recon_matches_call_id_calls')),
        sa.ForeignKeyConstraint(['partner_row_id'], ['partner_rows.id'], ondelete='CASCADE',
                                name=op.f('fk_recon_matches_partner_row_id_partner_rows')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_recon_matches')),
        sa.UniqueConstraint('partner_row_id', name=op.f('uq_recon_matches_partner_row_id')),
    )
    op.create_index(op.f('ix_recon_matches_call_id'), 'recon_matches', ['call_id'],
                    unique=False)


def _recon_down() -> None:
    op.drop_index(op.f('ix_recon_matches_call_id'), table_name='recon_matches')
    op.drop_table('recon_matches')
    op.drop_index('ix_partner_rows_import_started', table_name='partner_rows')
    op.drop_table('partner_rows')
    op.drop_table('recon_presets')
