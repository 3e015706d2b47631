"""Recon fixtures: a migrated workspace on each back end (SQLite file, PostgreSQL database)."""

from __future__ import annotations

import pytest
from ppcdesk.storage.db import Database


@pytest.fixture
def db(any_db: Database) -> Database:
    """The workspace of one test; every test using it runs on SQLite and on PostgreSQL."""
    return any_db
