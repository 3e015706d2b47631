"""Storage fixtures: a migrated database in a temporary file, and row builders for the upserts."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from ppcdesk.storage import ingest, migrate
from ppcdesk.storage.db import Database

CallRowFactory = Callable[..., tuple[Any, ...]]


@pytest.fixture
def db(any_db: Database) -> Database:
    """A new workspace at the newest schema on each back end: SQLite, then PostgreSQL (issue 9)."""
    return any_db


@pytest.fixture
def sqlite_db(tmp_path: Path) -> Iterator[Database]:
    """A new database file at the newest schema, for what only SQLite has (WAL, pragmas)."""
    database = Database(tmp_path / "test.sqlite")
    migrate.upgrade(database)
    yield database
    database.dispose()


def _row(columns: tuple[str, ...], defaults: dict[str, Any], values: dict[str, Any]) -> tuple[
        Any, ...]:
    unknown = set(values) - set(columns)
    if unknown:
        raise TypeError(f"not columns: {sorted(unknown)}")
    merged = {**defaults, **values}
    return tuple(merged[c] for c in columns)


@pytest.fixture
def call_row() -> CallRowFactory:
    """``call_row(sid, started_at, **columns)``: a call tuple in ingest.CALL_COLUMNS order."""

    def make(sid: str, started_at: int = 1_795_000_000, **values: Any) -> tuple[Any, ...]:
        defaults = {
            "sid": sid, "account_id": None, "tracking_number_id": None, "campaign_id": None,
            "publisher_id": None, "caller": "+12125550123", "caller_state": "NY",
            "called": "+18005550100", "status": "completed", "direction": "inbound",
            "started_at": started_at, "ended_at": started_at + 60, "duration_s": 60,
            "cost_micros": 8_500, "connected_s": 0, "time_to_answer_s": None, "buyer_id": None,
            "legs_cost_micros": None, "updated_at": 1_795_100_000,
        }
        return _row(ingest.CALL_COLUMNS, defaults, values)

    return make


@pytest.fixture
def recording_row() -> CallRowFactory:
    """``recording_row(sid, call_sid, **columns)`` in ingest.RECORDING_COLUMNS order."""

    def make(sid: str, call_sid: str, **values: Any) -> tuple[Any, ...]:
        defaults = {
            "sid": sid, "call_sid": call_sid, "started_at": 1_795_000_005, "duration_s": 55,
            "channels": 1, "status": "completed", "cost_micros": 2_500, "file_state": "remote",
            "local_path": None, "size_bytes": None, "sha256": None,
        }
        return _row(ingest.RECORDING_COLUMNS, defaults, values)

    return make


@pytest.fixture
def leg_row() -> CallRowFactory:
    """``leg_row(sid, call_sid, **columns)`` in ingest.LEG_COLUMNS order."""

    def make(sid: str, call_sid: str, **values: Any) -> tuple[Any, ...]:
        defaults = {
            "sid": sid, "call_sid": call_sid, "from_number": "+12125550123",
            "to_number": "+13105550100", "status": "completed", "direction": "outbound-dial",
            "started_at": 1_795_000_003, "ended_at": 1_795_000_060, "duration_s": 57,
            "cost_micros": 1_000, "buyer_id": None,
        }
        return _row(ingest.LEG_COLUMNS, defaults, values)

    return make
