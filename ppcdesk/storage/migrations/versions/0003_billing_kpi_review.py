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

revision: str = '0003'
down_revision: str | None = '0002'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    _billing_up()
    _kpi_up()
    _review_up()


def downgrade() -> None:
    _review_down()
    _kpi_down()
    _billing_down()


# ---------------------------------------------------------------- billing (issue 4)
def _billing_up() -> None:
    # The reasons as ppcdesk.core.reasons.ReasonFlag bits, for SQL that counts them.
    with op.batch_alter_table('call_outcomes') as batch:
        batch.add_column(sa.Column('flags', sa.Integer(), server_default='0', nullable=False))


def _billing_down() -> None:
    with op.batch_alter_table('call_outcomes') as batch:
        batch.drop_column('flags')


# ---------------------------------------------------------------- KPI rollups (issue 5)
def _kpi_up() -> None:
    pass


def _kpi_down() -> None:
    pass


# ---------------------------------------------------------------- review (issue 6)
def _review_up() -> None:
    pass


def _review_down() -> None:
    pass
