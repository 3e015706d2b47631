"""sync resume state and pending legs

sync_runs gains the resume point of a Twilio sync (phase, calls window, cursor), committed with
every page; pending_legs holds child legs that arrived before their parent call.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-21 23:37:27.386875
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0002'
down_revision: str | None = '0001'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('pending_legs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('sid', sa.String(length=64), nullable=False),
    sa.Column('account_id', sa.Integer(), nullable=False),
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
    sa.ForeignKeyConstraint(['account_id'], ['telephony_accounts.id'], name=op.f('fk_pending_legs_account_id_telephony_accounts'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['buyer_id'], ['buyers.id'], name=op.f('fk_pending_legs_buyer_id_buyers'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_pending_legs')),
    sa.UniqueConstraint('sid', name=op.f('uq_pending_legs_sid'))
    )
    with op.batch_alter_table('pending_legs', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_pending_legs_account_id'), ['account_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_pending_legs_call_sid'), ['call_sid'], unique=False)

    with op.batch_alter_table('sync_runs', schema=None) as batch_op:
        batch_op.add_column(sa.Column('phase', sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column('window_from', sa.BigInteger(), nullable=True))
        batch_op.add_column(sa.Column('window_to', sa.BigInteger(), nullable=True))
        batch_op.add_column(sa.Column('cursor', sa.Text(), nullable=True))



def downgrade() -> None:
    with op.batch_alter_table('sync_runs', schema=None) as batch_op:
        batch_op.drop_column('cursor')
        batch_op.drop_column('window_to')
        batch_op.drop_column('window_from')
        batch_op.drop_column('phase')

    with op.batch_alter_table('pending_legs', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_pending_legs_call_sid'))
        batch_op.drop_index(batch_op.f('ix_pending_legs_account_id'))

    op.drop_table('pending_legs')
