"""drop the outcomes' (flags, call) index

No query reads it: the call log's reason filters look a call's outcomes up by their (call,
contract) key, and the KPI rollups group by call. Every evaluation kept it up to date all the
same, a random-order insert per outcome: a fifth of writing a million outcomes.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-22 07:00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = '0004'
down_revision: str | None = '0003'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.drop_index('ix_call_outcomes_flags', table_name='call_outcomes')


def downgrade() -> None:
    op.create_index('ix_call_outcomes_flags', 'call_outcomes', ['flags', 'call_id'],
                    unique=False)
