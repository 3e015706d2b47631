"""KPI fixtures: ``ws``, a migrated database with a small cast (see kpi_support)."""

from kpi_support import ws

__all__ = ["ws"]
