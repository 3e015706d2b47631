"""The KPI catalogue computed over the workspace, for the dashboard and ``ppcdesk kpi``."""

from __future__ import annotations

from ppcdesk.config.paths import Paths
from ppcdesk.core.clock import Clock
from ppcdesk.storage.db import Database


class KpiService:
    """The KPI catalogue computed over the workspace, for the dashboard and ``ppcdesk kpi``."""

    def __init__(self, db: Database, paths: Paths, clock: Clock) -> None:
        self.db = db
        self.paths = paths
        self.clock = clock
