"""Helpers of the demo's specifications: demo databases with a fixed end day, never "today"."""

from __future__ import annotations

import sqlite3
from datetime import date
from pathlib import Path
from typing import Any

from ppcdesk.core.changes import ChangeSet
from ppcdesk.core.progress import run_job
from ppcdesk.demo.job import write_demo
from ppcdesk.storage import migrate
from ppcdesk.storage.db import Database

END = date(2026, 11, 20)
# At or above ingest.BULK_THRESHOLD, so the fast path (indexes dropped and rebuilt) runs.
CALLS = 20_000
Rows = list[tuple[Any, ...]]


def new_database(path: Path) -> Database:
    """A migrated, empty database, as ``ppcdesk demo`` finds it after opening ``--db``."""
    db = Database(path)
    migrate.upgrade(db)
    return db


def demo(path: Path, *, calls: int = CALLS, seed: int = 7, end: date = END,
         replace: bool = False) -> ChangeSet:
    """Write a demo into ``path`` (created and migrated if new) and close it again."""
    db = new_database(path)
    try:
        return run_job(write_demo(db, calls=calls, seed=seed, end=end, replace=replace))
    finally:
        db.dispose()


def query(path: Path, sql: str, *params: Any) -> Rows:
    """The rows of one query, on a plain connection of its own."""
    conn = sqlite3.connect(path)
    try:
        return conn.execute(sql, params).fetchall()
    finally:
        conn.close()


def count(path: Path, table: str) -> int:
    return int(query(path, f'SELECT COUNT(*) FROM "{table}"')[0][0])


def _key(conn: sqlite3.Connection, table: str) -> str:
    (without_rowid,) = conn.execute(
        "SELECT sql LIKE '%WITHOUT ROWID%' FROM sqlite_master WHERE name = ?", (table,)
    ).fetchone()
    if not without_rowid:
        return "rowid"
    info = conn.execute(f'PRAGMA table_info("{table}")').fetchall()
    return ", ".join(f'"{col[1]}"' for col in sorted(info, key=lambda c: c[5]) if col[5])


def dump(path: Path) -> dict[str, Rows]:
    """Every table's rows in key order, and the schema: the database's whole content.

    Key order is the rowid, or the primary key of a WITHOUT ROWID table (the KPI rollups).
    """
    conn = sqlite3.connect(path)
    try:
        tables = [name for (name,) in conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")]
        content = {name: conn.execute(f'SELECT * FROM "{name}" ORDER BY {_key(conn, name)}')
                   .fetchall() for name in tables}
        content["sqlite_master"] = conn.execute(
            "SELECT type, name, tbl_name, sql FROM sqlite_master ORDER BY type, name").fetchall()
        return content
    finally:
        conn.close()
