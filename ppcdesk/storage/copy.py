"""Copy a whole workspace between SQLite and PostgreSQL (either way), then prove it arrived.

``ppcdesk workspace copy`` moves a workspace to a server when a second person joins, and back
to a file when they leave. Every table of the schema is copied in foreign-key order, parents
first (``Base.metadata.sorted_tables``), streamed in batches from one snapshot of the source,
in ONE transaction on the destination: a copy that fails or is cancelled leaves the
destination as it was. On PostgreSQL the rows go in with ``COPY ... FROM STDIN`` (several
times faster than INSERTs) and each SERIAL sequence is set past the copied ids afterwards.

The proof: each table's rows are hashed (SHA-256) in primary-key order as they are read from
the source, and read back from the destination inside the same transaction and hashed the same
way. Values are normalised first, so the two sides agree on what "the same" means: yes/no
columns are 0/1 on both, ints are ints, text is text, NULL is None. A table whose count or
checksum differs is named, and nothing is committed.
"""

from __future__ import annotations

import hashlib
import sqlite3
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from dataclasses import replace as replace_fields
from decimal import Decimal
from itertools import chain
from typing import Any

from sqlalchemy import Connection, Table, inspect
from sqlalchemy.exc import DBAPIError

from ppcdesk.core.errors import PpcdeskError
from ppcdesk.core.progress import Job, Progress
from ppcdesk.storage import migrate
from ppcdesk.storage.db import Database
from ppcdesk.storage.models import Base

BATCH = 5_000  # rows per fetch and per progress step: ~a few MB of a wide table
_PLAIN = (int, str, type(None))
_PLAIN_SET = frozenset(_PLAIN)


class WorkspaceCopyError(PpcdeskError):
    """A copy that cannot start or did not finish; the destination was left as it was."""


class DestinationNotEmptyError(WorkspaceCopyError):
    """The destination already holds a workspace's rows (``--replace`` overwrites them)."""


@dataclass(frozen=True, slots=True)
class TableCheck:
    """One table's row count and checksum on each side."""

    table: str
    source_rows: int
    source_sha256: str
    destination_rows: int
    destination_sha256: str

    @property
    def ok(self) -> bool:
        return (self.source_rows == self.destination_rows
                and self.source_sha256 == self.destination_sha256)


@dataclass(frozen=True, slots=True)
class CopyReport:
    """What was copied, and whether every table arrived intact (``committed`` only then)."""

    source: str
    destination: str
    tables: tuple[TableCheck, ...]
    committed: bool

    @property
    def rows(self) -> int:
        return sum(t.source_rows for t in self.tables)

    @property
    def mismatched(self) -> list[str]:
        return [t.table for t in self.tables if not t.ok]


def tables() -> list[Table]:
    """Every table of the schema, parents before the tables that refer to them."""
    return list(Base.metadata.sorted_tables)


def holdings(db: Database) -> dict[str, int]:
    """The rows each non-empty table of ``db`` holds; {} for a new or empty workspace.

    Read without changing anything: a SQLite file is opened read-only (the engine's first
    connection would switch it to WAL mode), a missing file holds nothing.
    """
    names = [t.name for t in tables()]
    if db.path is not None:
        if not db.path.exists() or db.path.stat().st_size == 0:
            return {}
        raw = sqlite3.connect(f"file:{db.path}?mode=ro", uri=True)
        try:
            present = {n for (n,) in raw.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table'")}
            counts = {n: int(raw.execute(f'SELECT COUNT(*) FROM "{n}"').fetchone()[0])
                      for n in names if n in present}
        finally:
            raw.close()
    else:
        with db.read() as conn:
            present = set(inspect(conn).get_table_names())
            counts = {n: int(conn.exec_driver_sql(f'SELECT COUNT(*) FROM "{n}"').scalar() or 0)
                      for n in names if n in present}
    return {n: c for n, c in counts.items() if c}


def describe(held: dict[str, int]) -> str:
    """``held`` as the user reads it: "2,000 calls, 12 contracts and 3 more tables"."""
    ranked = sorted(held.items(), key=lambda kv: (-kv[1], kv[0]))
    words = [f"{count:,} {name}" for name, count in ranked[:4]]
    more = len(ranked) - len(words)
    return ", ".join(words) + (f" and {more} more table{'s' * (more != 1)}" if more else "")


def copy_job(source: Database, destination: Database, *, replace: bool = False,
             batch: int = BATCH) -> Job[CopyReport]:
    """Copy every row of ``source`` into ``destination`` (both at the newest schema).

    The destination must be empty unless ``replace``; then its rows are deleted first, in the
    same transaction. Returns the per-table comparison; when a table differs, nothing is
    committed and the report says so (``committed`` False).
    """
    _check_revisions(source, destination)
    if source.target == destination.target:
        raise WorkspaceCopyError(f"{source.display} is both the source and the destination")
    with source.read() as reader:
        total = 2 * sum(_count(reader, t) for t in tables())  # copy, then read back
        progress = _Tally(total)
        try:
            with destination.write(bulk=True) as writer:
                _make_room(writer, destination, replace=replace)
                source_sums = {}
                for table in tables():
                    hasher = _Checksum()
                    for copied in _copy_table(reader, writer, table, batch, hasher):
                        yield progress.step(copied, f"Copying {table.name}")
                    source_sums[table.name] = (hasher.rows, hasher.hexdigest())
                if not destination.is_sqlite:
                    _reset_sequences(writer)
                checks = []
                for table in tables():
                    hasher = _Checksum()
                    for rows in _read_table(writer, table, batch):
                        hasher.update(rows)
                        yield progress.step(len(rows), f"Checking {table.name}")
                    checks.append(TableCheck(table.name, *source_sums[table.name], hasher.rows,
                                             hasher.hexdigest()))
                report = CopyReport(source.display, destination.display, tuple(checks),
                                    committed=True)
                _refuse_mismatch(report)
        except _MismatchError as mismatch:  # rolled back: a copy that differs is not kept
            return replace_fields(mismatch.report, committed=False)
    return report


def checksums(db: Database, batch: int = BATCH) -> dict[str, tuple[int, str]]:
    """Each table's (rows, SHA-256) as the copy computes them, read from one snapshot."""
    result = {}
    with db.read() as conn:
        for table in tables():
            hasher = _Checksum()
            for rows in _read_table(conn, table, batch):
                hasher.update(rows)
            result[table.name] = (hasher.rows, hasher.hexdigest())
    return result


class _MismatchError(Exception):
    def __init__(self, report: CopyReport) -> None:
        super().__init__(", ".join(report.mismatched))
        self.report = report


def _refuse_mismatch(report: CopyReport) -> None:
    if report.mismatched:
        raise _MismatchError(report)


class _Tally:
    """Rows done of the whole job (each row counts twice: copied, then read back)."""

    def __init__(self, total: int) -> None:
        self.total = total
        self.done = 0

    def step(self, rows: int, message: str) -> Progress:
        self.done += rows
        return Progress(self.done, self.total, message)


def _check_revisions(*dbs: Database) -> None:
    head = migrate.head_revision()
    for db in dbs:
        revision = migrate.check(db)
        if revision != head:
            raise WorkspaceCopyError(
                f"{db.display} is at schema {revision}, this ppcdesk at {head}: open it once "
                "with this ppcdesk (which upgrades it), then copy")


def _quote(conn: Connection, name: str) -> str:
    return str(conn.dialect.identifier_preparer.quote(name))


def _count(conn: Connection, table: Table) -> int:
    return int(conn.exec_driver_sql(f"SELECT COUNT(*) FROM {_quote(conn, table.name)}")
               .scalar() or 0)


def _make_room(writer: Connection, destination: Database, *, replace: bool) -> None:
    """Refuse a destination holding rows, or (``replace``) delete them in this transaction."""
    held = {t.name: n for t in tables() if (n := _count(writer, t))}
    if not held:
        return
    if not replace:
        raise DestinationNotEmptyError(
            f"{destination.display} is not empty: it holds {describe(held)}. Copy into a new "
            "database, or add --replace to delete what it holds first")
    if destination.is_sqlite:
        for table in reversed(tables()):
            writer.exec_driver_sql(f"DELETE FROM {_quote(writer, table.name)}")
    else:  # one statement, whatever the foreign keys; transactional on PostgreSQL
        names = ", ".join(_quote(writer, t.name) for t in tables())
        writer.exec_driver_sql(f"TRUNCATE {names}")


def _select(conn: Connection, table: Table) -> str:
    columns = ", ".join(_quote(conn, c.name) for c in table.columns)
    order = ", ".join(_quote(conn, c.name) for c in table.primary_key.columns)
    return f"SELECT {columns} FROM {_quote(conn, table.name)} ORDER BY {order}"


def _read_table(conn: Connection, table: Table, batch: int) -> Iterator[list[tuple[Any, ...]]]:
    """The table's rows in primary-key order, ``batch`` at a time, as the driver gives them.

    On the driver's own cursor, inside ``conn``'s transaction (SQLAlchemy's rows cost a third
    of the copy's time); on PostgreSQL a named, server-side cursor streams them, so a million
    calls never sit in memory.
    """
    conn.exec_driver_sql("SELECT 1")  # the transaction (SQLite's snapshot) begins, if not yet
    raw: Any = conn.connection.dbapi_connection
    if conn.dialect.name == "postgresql":
        cursor = raw.cursor(name=f"ppcdesk_copy_{table.name}")
        cursor.itersize = batch
    else:
        cursor = raw.cursor()
    try:
        cursor.execute(_select(conn, table))
        while rows := cursor.fetchmany(batch):
            yield rows
    finally:
        cursor.close()


def _copy_table(reader: Connection, writer: Connection, table: Table, batch: int,
                hasher: _Checksum) -> Iterator[int]:
    """Copy one table, hashing what was read; yields the rows written per batch."""
    columns = [c.name for c in table.columns]
    try:
        if writer.dialect.name == "postgresql":
            yield from _copy_into_postgresql(reader, writer, table, columns, batch, hasher)
            return
        names = ", ".join(_quote(writer, c) for c in columns)
        insert = (f"INSERT INTO {_quote(writer, table.name)} ({names}) "
                  f"VALUES ({', '.join('?' * len(columns))})")
        raw: Any = writer.connection.dbapi_connection  # sqlite3's executemany, no SQLAlchemy
        for rows in _read_table(reader, table, batch):
            hasher.update(rows)
            raw.executemany(insert, rows)
            yield len(rows)
    except DBAPIError as exc:
        raise _failed(table, exc.orig or exc) from exc
    except sqlite3.Error as exc:
        raise _failed(table, exc) from exc


def _failed(table: Table, exc: BaseException) -> WorkspaceCopyError:
    lines = str(exc).strip().splitlines()
    reason = lines[0] if lines else type(exc).__name__
    context = getattr(getattr(exc, "diag", None), "context", None)  # psycopg: row and column
    where = f" at {context.strip().splitlines()[0]}" if context else ""
    return WorkspaceCopyError(f"copying table {table.name} failed{where}: {reason}; nothing "
                              "was written")


def _copy_into_postgresql(reader: Connection, writer: Connection, table: Table,
                          columns: Sequence[str], batch: int,
                          hasher: _Checksum) -> Iterator[int]:
    import psycopg

    raw: Any = writer.connection.dbapi_connection
    names = ", ".join(_quote(writer, c) for c in columns)
    try:
        with raw.cursor() as cursor, cursor.copy(
                f"COPY {_quote(writer, table.name)} ({names}) FROM STDIN") as copy:
            for rows in _read_table(reader, table, batch):
                hasher.update(rows)
                for row in rows:
                    copy.write_row(row)
                yield len(rows)
    except psycopg.Error as exc:  # the raw cursor's errors are not wrapped by SQLAlchemy
        raise _failed(table, exc) from exc


def _reset_sequences(writer: Connection) -> None:
    """Set each SERIAL sequence past the copied ids, so the next insert gets a new one."""
    for table in tables():
        keys = list(table.primary_key.columns)
        if len(keys) != 1:
            continue
        name, column = _quote(writer, table.name), _quote(writer, keys[0].name)
        sequence = writer.exec_driver_sql("SELECT pg_get_serial_sequence(?, ?)",
                                          (table.name, keys[0].name)).scalar()
        if sequence is None:  # a key that is also a foreign key: no sequence
            continue
        writer.exec_driver_sql(
            f"SELECT setval(?, COALESCE((SELECT MAX({column}) FROM {name}), 0) + 1, false)",
            (sequence,))


def _normal(value: Any) -> Any:
    """A value as both back ends agree on it (see the module's docstring)."""
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, Decimal) and value == value.to_integral_value():
        return int(value)
    if isinstance(value, bytes | bytearray | memoryview):
        return bytes(value).hex()
    return value if isinstance(value, _PLAIN) else repr(value)


class _Checksum:
    """SHA-256 over rows in order, each row's normalised values written as Python literals."""

    def __init__(self) -> None:
        self._sha = hashlib.sha256()
        self.rows = 0

    def update(self, rows: list[tuple[Any, ...]]) -> None:
        # Both drivers hand over ints, str and None for this schema: then the rows are hashed
        # as they are, in one piece per batch (the same bytes as row by row); anything else
        # (a bool, a Decimal) is normalised first.
        if not set(map(type, chain.from_iterable(rows))) <= _PLAIN_SET:
            rows = [tuple(_normal(v) for v in row) for row in rows]
        self.rows += len(rows)
        if rows:
            self._sha.update(("\n".join(map(repr, rows)) + "\n").encode("utf-8"))

    def hexdigest(self) -> str:
        return self._sha.hexdigest()
