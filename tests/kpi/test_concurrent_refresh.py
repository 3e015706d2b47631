"""Two machines refreshing the same day's rollups at once on PostgreSQL (two reviewers
disposing calls of one day): the second waits for the first, neither fails, nothing is lost.

SQLite has one writer at a time, so only PostgreSQL can meet this.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest
from kpi_support import NOON, make_workspace
from ppcdesk.kpi.rollups import refresh_rollups
from ppcdesk.storage.db import Database
from sqlalchemy import Connection

WAIT_S = 30


def _dispose(conn: Connection, call_id: int) -> None:
    """What a reviewer's write does: a disposition, then the rollups of its call's hour."""
    conn.exec_driver_sql("INSERT INTO dispositions (call_id, code, author, created_at) "
                         "VALUES (?, 'converted', 'me', 0)", (call_id,))
    refresh_rollups(conn, NOON, NOON + 1, calls_added=False)


def _waiting(db: Database) -> bool:
    with db.engine.connect() as conn:
        return bool(conn.exec_driver_sql("SELECT EXISTS (SELECT 1 FROM pg_locks "
                                         "WHERE NOT granted)").scalar_one())


def _rollups(db: Database) -> list[list[tuple[int, ...]]]:
    with db.read() as conn:
        return [[tuple(map(int, row)) for row in conn.exec_driver_sql(
            f"SELECT * FROM {table} ORDER BY 1, 2, 3, 4, 5")] for table in ("kpi_hourly",
                                                                         "kpi_daily")]


@pytest.mark.postgresql
def test_two_refreshes_of_one_day_at_once_both_land(pg_url: str, tmp_path: Path) -> None:
    ws = make_workspace(pg_url, tmp_path)
    first, second = ws.call(caller="+12125550001"), ws.call(caller="+12125550002")
    ws.build()
    # Two machines: two engines, past this process's write lane.
    one, two = Database(pg_url), Database(pg_url)
    failed: list[BaseException] = []

    def other_machine() -> None:
        try:
            with two.engine.connect() as conn, conn.begin():
                _dispose(conn, second)
        except BaseException as exc:  # noqa: BLE001 - reported by the test
            failed.append(exc)

    try:
        with one.engine.connect() as conn:
            conn.begin()
            _dispose(conn, first)  # refreshed, not committed yet
            thread = threading.Thread(target=other_machine)
            thread.start()
            deadline = time.monotonic() + WAIT_S
            while not _waiting(one) and time.monotonic() < deadline:
                time.sleep(0.01)
            assert _waiting(one), "the second refresh never waited for the first"
            conn.commit()
        thread.join(WAIT_S)
        assert not failed, failed
        refreshed = _rollups(ws.db)
        ws.build()  # what a rebuild from every call makes
        assert refreshed == _rollups(ws.db)
        assert ws.figures()["conversions"] == 2
    finally:
        for db in (one, two, ws.db):
            db.dispose()
