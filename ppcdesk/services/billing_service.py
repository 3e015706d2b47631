"""Contracts, evaluation, what-if and explanations: the billing engine over the workspace."""

from __future__ import annotations

from ppcdesk.config.paths import Paths
from ppcdesk.core.clock import Clock
from ppcdesk.storage.db import Database


class BillingService:
    """Contracts, evaluation, what-if and explanations: the billing engine over the workspace."""

    def __init__(self, db: Database, paths: Paths, clock: Clock) -> None:
        self.db = db
        self.paths = paths
        self.clock = clock
