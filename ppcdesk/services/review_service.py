"""The call log, call detail, review queue (dispositions, notes) and recordings upkeep."""

from __future__ import annotations

from ppcdesk.config.paths import Paths
from ppcdesk.core.clock import Clock
from ppcdesk.storage.db import Database


class ReviewService:
    """The call log, call detail, review queue (dispositions, notes) and recordings upkeep."""

    def __init__(self, db: Database, paths: Paths, clock: Clock) -> None:
        self.db = db
        self.paths = paths
        self.clock = clock
