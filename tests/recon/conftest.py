"""Recon fixtures: a migrated database in a temporary file."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from ppcdesk.storage import migrate
from ppcdesk.storage.db import Database


@pytest.fixture
def db(tmp_path: Path) -> Iterator[Database]:
    database = Database(tmp_path / "recon.sqlite")
    migrate.upgrade(database)
    yield database
    database.dispose()
