"""Bulk upserts of calls, legs and recordings: the one write path of the sync and the demo.

Rows arrive as tuples in the column order below (the sync builds them from the provider's
records; the demo from its generator). Upserting by the provider's sid makes every load
idempotent; the ``WHERE ... IS NOT`` clause skips rows that did not change, so a re-sync of an
overlapping window writes nothing it already has. Executed with the driver's ``executemany``:
SQLAlchemy's per-row parameter processing would cost about 40% of ingest speed.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Connection

CALL_COLUMNS = (
    "sid", "account_id", "tracking_number_id", "campaign_id", "publisher_id", "caller",
    "caller_state", "called", "status", "direction", "started_at", "ended_at", "duration_s",
    "cost_micros", "connected_s", "time_to_answer_s", "buyer_id", "legs_cost_micros",
    "updated_at",
)
LEG_COLUMNS = (
    "sid", "call_sid", "from_number", "to_number", "status", "direction", "started_at",
    "ended_at", "duration_s", "cost_micros", "buyer_id",
)
RECORDING_COLUMNS = (
    "sid", "call_sid", "started_at", "duration_s", "channels", "status", "cost_micros",
    "file_state", "local_path", "size_bytes", "sha256",
)

Row = Sequence[Any]


def _upsert_sql(table: str, columns: tuple[str, ...], *, keep: tuple[str, ...] = ()) -> str:
    """``INSERT ... ON CONFLICT(sid) DO UPDATE`` of every column but sid and ``keep``."""
    updated = [c for c in columns if c != "sid" and c not in keep and c != "updated_at"]
    placeholders = ", ".join("?" for _ in columns)
    sets = ", ".join(f"{c} = excluded.{c}" for c in (*updated, *(
        ("updated_at",) if "updated_at" in columns else ())))
    changed = " OR ".join(f"{table}.{c} IS NOT excluded.{c}" for c in updated)
    return (
        f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({placeholders}) "
        f"ON CONFLICT(sid) DO UPDATE SET {sets} WHERE {changed}"
    )


# A recording's local file state belongs to the cache, not to the provider: a re-sync must not
# forget that the audio was downloaded.
UPSERT_CALLS = _upsert_sql("calls", CALL_COLUMNS)
UPSERT_LEGS = _upsert_sql("call_legs", LEG_COLUMNS)
UPSERT_RECORDINGS = _upsert_sql(
    "recordings", RECORDING_COLUMNS, keep=("file_state", "local_path", "size_bytes", "sha256")
)


def _executemany(conn: Connection, sql: str, rows: Sequence[Row]) -> int:
    if not rows:
        return 0
    cursor = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
    try:
        cursor.executemany(sql, rows)
        return int(cursor.rowcount)
    finally:
        cursor.close()


def upsert_calls(conn: Connection, rows: Sequence[Row]) -> int:
    """Insert or update calls (tuples in CALL_COLUMNS order); returns rows written."""
    return _executemany(conn, UPSERT_CALLS, rows)


def upsert_legs(conn: Connection, rows: Sequence[Row]) -> int:
    """Insert or update child legs (LEG_COLUMNS order); their calls may come later in the
    same transaction: the foreign key is checked at commit."""
    return _executemany(conn, UPSERT_LEGS, rows)


def upsert_recordings(conn: Connection, rows: Sequence[Row]) -> int:
    return _executemany(conn, UPSERT_RECORDINGS, rows)


BULK_TABLES = ("calls", "call_legs", "recordings")


@contextmanager
def bulk_load(conn: Connection, expected_calls: int) -> Iterator[None]:
    """Load many calls into empty tables fast: rebuild the secondary indexes once at the end.

    Inserting into B-trees row by row costs about twice as much as sorting once with CREATE
    INDEX. Used only when the call tables are empty (a demo, the first sync of a long history)
    and the load is large; the unique indexes stay, because upserts and foreign keys need them.
    All of it runs inside the caller's transaction, so a failure or a cancel rolls the dropped
    indexes back too. Afterwards, a bounded ANALYZE gives the planner real statistics.
    """
    if conn.dialect.name != "sqlite" or expected_calls < BULK_THRESHOLD or _has_calls(conn):
        yield
        return
    indexes = conn.exec_driver_sql(
        "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL "
        f"AND tbl_name IN ({', '.join(repr(t) for t in BULK_TABLES)}) "
        "AND sql NOT LIKE 'CREATE UNIQUE%' ORDER BY name"
    ).all()
    for name, _sql in indexes:
        conn.exec_driver_sql(f'DROP INDEX "{name}"')
    yield
    for _name, sql in indexes:
        conn.exec_driver_sql(sql)
    conn.exec_driver_sql("PRAGMA analysis_limit = 1000")
    conn.exec_driver_sql("ANALYZE")


BULK_THRESHOLD = 20_000


def _has_calls(conn: Connection) -> bool:
    return conn.exec_driver_sql("SELECT EXISTS (SELECT 1 FROM calls)").scalar_one() == 1
