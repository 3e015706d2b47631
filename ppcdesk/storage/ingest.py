"""Bulk upserts of calls, legs and recordings: the one write path of the sync and the demo.

Rows arrive as tuples in the column order below (the sync builds them from the provider's
records; the demo from its generator). Upserting by the provider's sid makes every load
idempotent; the ``WHERE ... IS NOT`` clause skips rows that did not change, so a re-sync of an
overlapping window writes nothing it already has.

Rows go to SQLite as multi-row ``INSERT ... VALUES (...), (...) ON CONFLICT`` statements of up
to ~1,700 rows, on the driver's cursor (SQLAlchemy's per-row parameter processing would cost
about 40% of ingest speed). Measured on 300k calls into an indexed table: 1.8 us a row, against
2.6 us for ``executemany``, which runs the statement's prologue again for every row. SQLite
applies the rows of one statement in order, exactly as ``executemany`` would: a sid repeated
within a batch updates the row inserted just before it, and the count of rows written is the
same. A statement also releases the GIL for its whole run (milliseconds), so a thread that
builds the next rows gets real time beside it; ``FlatRows`` lets that thread flatten them too.
"""

from __future__ import annotations

import itertools
import os
import sqlite3
from collections.abc import Callable, Collection, Iterator, Sequence
from contextlib import contextmanager
from functools import lru_cache
from typing import Any, overload

from sqlalchemy import Connection, Index, inspect
from sqlalchemy.schema import CreateIndex

from ppcdesk.storage import dialect
from ppcdesk.storage.models import Base

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
# A recording's local file state belongs to the cache, not to the provider: a re-sync must not
# forget that the audio was downloaded.
RECORDING_KEEPS = ("file_state", "local_path", "size_bytes", "sha256")

Row = Sequence[Any]
# SQLite's default cap on bound parameters (SQLITE_MAX_VARIABLE_NUMBER since 3.32); builds with
# a lower cap are honoured through the connection's limit.
MAX_PARAMETERS = 32_766
SMALL_STATEMENT = 256  # rows; remainders go in statements of 256, 128, ... 1 rows


def _as_is(value: None) -> None:
    return value


# CPython's sqlite3 (3.11) sends every value that is not an int, float, str or bytearray through
# its adaptation protocol; for None that is two failing attribute look-ups (365 ns a value,
# against 32 ns for an int). A registered adapter makes it one dict look-up (150 ns), and the
# value bound is the same NULL. A demo year binds ~1.7M Nones; so does any sync of unanswered
# calls. It is process-wide on purpose: every connection gains, none changes behaviour.
sqlite3.register_adapter(type(None), _as_is)


class FlatRows(Sequence[tuple[Any, ...]]):
    """Rows kept as one row-major list: ``values[i * width:(i + 1) * width]`` is row ``i``.

    A statement binds its parameters as one flat list; rows built this way (numpy's
    ``ndarray.ravel().tolist()`` over an object table makes them at C speed) skip the
    flattening on the writing thread. Any other ``Sequence`` of tuples works as well.
    """

    __slots__ = ("values", "width")

    def __init__(self, values: list[Any], width: int) -> None:
        if width <= 0 or len(values) % width:
            raise ValueError(f"{len(values)} values do not make rows of {width}")
        self.values = values
        self.width = width

    def __len__(self) -> int:
        return len(self.values) // self.width

    @overload
    def __getitem__(self, index: int) -> tuple[Any, ...]: ...

    @overload
    def __getitem__(self, index: slice) -> FlatRows: ...

    def __getitem__(self, index: int | slice) -> tuple[Any, ...] | FlatRows:
        if isinstance(index, slice):
            start, stop, step = index.indices(len(self))
            if step != 1:
                return FlatRows([v for r in range(start, stop, step) for v in self[r]],
                                self.width)
            return FlatRows(self.values[start * self.width:max(start, stop) * self.width],
                            self.width)
        row = range(len(self))[index]  # negative indexes and IndexError, as for a list
        return tuple(self.values[row * self.width:(row + 1) * self.width])


def _flatten(rows: Sequence[Row], width: int) -> list[Any]:
    if isinstance(rows, FlatRows):
        if rows.width != width:
            raise ValueError(f"rows of {rows.width} values given where {width} are expected")
        return rows.values
    # A short row would shift every later value into the wrong column: refuse it, as
    # executemany refuses a wrong number of bindings.
    bad = next((i for i, row in enumerate(rows) if len(row) != width), None)
    if bad is not None:
        raise ValueError(f"row {bad} has {len(rows[bad])} values, {width} expected")
    return list(itertools.chain.from_iterable(rows))


def _upsert_head(table: str, columns: tuple[str, ...], keep: tuple[str, ...]) -> tuple[str, str]:
    """Return the ``INSERT INTO t (...) VALUES`` head and the ``ON CONFLICT(sid)`` tail.

    The update sets every column but sid and ``keep``, and only when one of them changed.
    """
    updated = [c for c in columns if c != "sid" and c not in keep and c != "updated_at"]
    sets = ", ".join(f"{c} = excluded.{c}" for c in (*updated, *(
        ("updated_at",) if "updated_at" in columns else ())))
    changed = " OR ".join(f"{table}.{c} IS NOT excluded.{c}" for c in updated)
    return (f"INSERT INTO {table} ({', '.join(columns)}) VALUES ",
            f" ON CONFLICT(sid) DO UPDATE SET {sets} WHERE {changed}")


_TABLES = {
    "calls": (CALL_COLUMNS, ()),
    "call_legs": (LEG_COLUMNS, ()),
    "recordings": (RECORDING_COLUMNS, RECORDING_KEEPS),
}


@lru_cache(maxsize=64)
def upsert_sql(table: str, rows: int = 1) -> str:
    """Build the upsert statement of ``table`` for ``rows`` rows (cached: batches repeat)."""
    columns, keep = _TABLES[table]
    head, tail = _upsert_head(table, columns, keep)
    one = "(" + ", ".join("?" for _ in columns) + ")"
    return head + ", ".join(itertools.repeat(one, rows)) + tail


# The one-row statements, for readers of the SQL and for callers that run their own cursor.
UPSERT_CALLS = upsert_sql("calls")
UPSERT_LEGS = upsert_sql("call_legs")
UPSERT_RECORDINGS = upsert_sql("recordings")


def _driver(conn: Connection) -> sqlite3.Connection:
    raw: object = conn.connection.dbapi_connection
    if not isinstance(raw, sqlite3.Connection):
        raise TypeError(f"ingest needs the sqlite3 driver, not {type(raw).__name__}")
    return raw


def statement_sizes(count: int, per: int) -> Iterator[int]:
    """Split ``count`` rows into statements of ``per`` rows, then of 256, 128, ... 1 rows.

    A statement is compiled once per size and then reused from the driver's cache. Preparing
    one of 1,700 rows takes ~16 ms, so a remainder of any size would cost a compile per batch
    (a demo year has 150 batches); fixed sizes cost a few short statements instead.
    """
    while count >= per:
        yield per
        count -= per
    size = min(per, SMALL_STATEMENT)
    while count:
        while size > count:
            size //= 2
        yield size
        count -= size


# PostgreSQL's protocol caps a statement at 65,535 parameters.
PG_MAX_PARAMETERS = 65_535


@lru_cache(maxsize=64)
def upsert_sql_pg(table: str, rows: int = 1) -> str:
    """``upsert_sql`` for psycopg (the rewrite turns SQLite's IS NOT into IS DISTINCT FROM)."""
    return dialect.translate(upsert_sql(table, rows))


def execute_in_sizes(cursor: Any, statement: Callable[[int], str], values: Sequence[Any],
                     width: int, max_parameters: int) -> int:
    """Run ``statement(rows)`` over flat ``values`` (rows of ``width``), in the few fixed sizes
    of ``statement_sizes`` that fit ``max_parameters``; returns the rows written."""
    written = start = 0
    for size in statement_sizes(len(values) // width, max(1, max_parameters // width)):
        stop = start + size * width
        cursor.execute(statement(size), values[start:stop])
        written += max(0, cursor.rowcount)
        start = stop
    return written


def _by_sid(values: list[Any], width: int) -> list[Any]:
    """Rows in sid order, the last of any repeated sid only (as SQLite's upsert would leave
    it: PostgreSQL refuses to update one row twice in a statement)."""
    last = {values[r * width]: r for r in range(len(values) // width)}
    return [v for sid in sorted(last) for v in values[last[sid] * width:(last[sid] + 1) * width]]


def _upsert(conn: Connection, table: str, rows: Sequence[Row]) -> int:
    if not rows:
        return 0
    width = len(_TABLES[table][0])
    values = _flatten(rows, width)
    if conn.dialect.name != "sqlite":
        # Through psycopg's cursor in conn's transaction. Two machines syncing at once upsert
        # the same sids: ON CONFLICT makes the second an update (or nothing), and each batch is
        # in sid order, so two writers take row locks in the same order and cannot deadlock.
        raw: Any = conn.connection.dbapi_connection
        with raw.cursor() as cursor:
            return execute_in_sizes(cursor, lambda n: upsert_sql_pg(table, n),
                                    _by_sid(values, width), width, PG_MAX_PARAMETERS)
    driver = _driver(conn)
    limit = min(MAX_PARAMETERS, driver.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER))
    cursor = driver.cursor()
    try:
        return execute_in_sizes(cursor, lambda n: upsert_sql(table, n), values, width, limit)
    finally:
        cursor.close()


def upsert_calls(conn: Connection, rows: Sequence[Row]) -> int:
    """Insert or update calls (tuples in CALL_COLUMNS order); returns rows written."""
    return _upsert(conn, "calls", rows)


def upsert_legs(conn: Connection, rows: Sequence[Row]) -> int:
    """Insert or update child legs (LEG_COLUMNS order); returns rows written.

    Their calls may come later in the same transaction: the foreign key is checked at commit.
    """
    return _upsert(conn, "call_legs", rows)


def upsert_recordings(conn: Connection, rows: Sequence[Row]) -> int:
    """Insert or update recordings (RECORDING_COLUMNS order); returns rows written.

    The local file columns (RECORDING_KEEPS) are written for new rows only.
    """
    return _upsert(conn, "recordings", rows)


BULK_TABLES = ("calls", "call_legs", "recordings")
BULK_THRESHOLD = 20_000


@contextmanager
def bulk_load(conn: Connection, expected_calls: int, *,
              keep: Collection[str] = ()) -> Iterator[None]:
    """Load many calls into empty tables fast: rebuild the secondary indexes once at the end.

    Inserting random keys into B-trees row by row costs about twice as much as sorting once
    with CREATE INDEX; so the non-unique indexes are dropped first and built again when the
    block ends, with SQLite's sorter on helper threads. ``keep`` names indexes the caller
    fills in key order (appending to a B-tree is cheaper than rebuilding it). Used only when
    the call tables are empty (a demo, the first sync of a long history) and the load is
    large; the unique indexes stay, because upserts and foreign keys need them. All of it runs
    inside the caller's transaction, so a failure or a cancel rolls the dropped indexes back
    too. Afterwards, a bounded ANALYZE gives the planner real statistics.
    """
    if conn.dialect.name != "sqlite" or expected_calls < BULK_THRESHOLD or _has_calls(conn):
        yield
        return
    indexes = [(name, sql) for name, sql in conn.exec_driver_sql(
        "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL "
        f"AND tbl_name IN ({', '.join(repr(t) for t in BULK_TABLES)}) "
        "AND sql NOT LIKE 'CREATE UNIQUE%' ORDER BY name"
    ).all() if name not in keep]
    for name, _sql in indexes:
        conn.exec_driver_sql(f'DROP INDEX "{name}"')
    yield
    _build(conn, [sql for _name, sql in indexes])


def _build(conn: Connection, statements: Sequence[str]) -> None:
    """Run CREATE INDEX ``statements`` with SQLite's sorter on helper threads, then a bounded
    ANALYZE so the planner has real statistics for the tables just filled."""
    threads = conn.exec_driver_sql("PRAGMA threads").scalar_one()
    conn.exec_driver_sql(f"PRAGMA threads = {min(4, max(0, (os.cpu_count() or 1) - 1))}")
    try:
        for sql in statements:
            conn.exec_driver_sql(sql)
    finally:
        conn.exec_driver_sql(f"PRAGMA threads = {int(threads)}")
    conn.exec_driver_sql("PRAGMA analysis_limit = 1000")
    conn.exec_driver_sql("ANALYZE")


def defer_call_indexes(conn: Connection) -> bool:
    """Drop the secondary indexes of an empty ``calls`` table (SQLite); True if it did.

    For a first sync, which fills the table page by page over many transactions: keeping 13
    indexes up to date row by row cost a 100k-call sync about 2 s of its ~12 s; building them
    once at the end costs a fraction of that. The drop is committed with the sync's first
    pages, so the caller must see that ``restore_call_indexes`` runs afterwards, also after a
    crash (the sync does it at the end of its calls phase, when it stops, and when it starts).
    The unique sid index stays: upserts and the legs' foreign key need it. ``call_legs`` and
    ``recordings`` keep theirs: the sync reads them by call while it stores.
    """
    if conn.dialect.name != "sqlite" or _has_calls(conn):
        return False
    for index in _call_indexes():
        conn.exec_driver_sql(f'DROP INDEX IF EXISTS "{index.name}"')
    return True


def restore_call_indexes(conn: Connection) -> int:
    """Create the indexes of ``calls`` the schema defines and the database lacks; how many.

    Cheap when none is missing (one look at the catalogue), so it may run at every sync.
    """
    present = {index["name"] for index in inspect(conn).get_indexes("calls")}
    missing = [index for index in _call_indexes() if index.name not in present]
    if not missing:
        return 0
    statements = [str(CreateIndex(index, if_not_exists=True).compile(dialect=conn.dialect))
                  for index in missing]
    if conn.dialect.name == "sqlite":
        _build(conn, statements)
    else:
        for sql in statements:
            conn.exec_driver_sql(sql)
    return len(missing)


def _call_indexes() -> list[Index]:
    """The non-unique indexes of ``calls`` in the schema (models.py), by name."""
    return sorted((index for index in Base.metadata.tables["calls"].indexes
                   if not index.unique),
                  key=lambda index: str(index.name))


def _has_calls(conn: Connection) -> bool:
    return bool(conn.exec_driver_sql("SELECT EXISTS (SELECT 1 FROM calls)").scalar_one())
