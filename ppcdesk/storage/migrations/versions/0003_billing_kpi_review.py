"""billing, KPI rollups and review

What the billing engine, the KPI dashboard and the review queue need beyond the foundation's
tables. One revision for the release; each part below belongs to one feature.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22 01:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa  # noqa: F401 - used by the parts below as they fill in
from alembic import op  # noqa: F401

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
    pass


def _billing_down() -> None:
    pass


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
