"""The database handle: one SQLite file in WAL mode (or a PostgreSQL database), one write lane.

Reads run on any thread, each on its own pooled connection (WAL lets them run beside a write).
Writes go through ``Database.write()``, which holds a process-wide lock for the whole transaction
and opens it with ``BEGIN IMMEDIATE``, so two writers never interleave and SQLite never answers
"database is locked" half way through a job. The GUI runs every write job on one worker thread
(the write lane); the CLI simply runs on its main thread.

A workspace on a PostgreSQL server (issue 9) is opened from a ``postgresql://`` URL. Several
machines write to it at once, so there the lane only orders this process's own writes; the
server's row locks and the upserts on provider sids keep machines from losing each other's rows.
The password comes from the OS keyring (or libpq's own PGPASSWORD / ~/.pgpass), never from a
file of ppcdesk's.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import URL
from sqlalchemy.pool import ConnectionPoolEntry

from ppcdesk.storage import dialect

# Pragmas set on every connection: WAL for readers beside the writer, foreign keys enforced,
# NORMAL sync (durable at checkpoints; WAL stays consistent on power loss), a 64 MB page cache.
_PRAGMAS = (
    "PRAGMA journal_mode=WAL",
    "PRAGMA foreign_keys=ON",
    "PRAGMA synchronous=NORMAL",
    "PRAGMA busy_timeout=10000",
    "PRAGMA cache_size=-65536",
    "PRAGMA temp_store=MEMORY",
)
BULK_CACHE_KIB = 262_144  # 256 MB while bulk loading: the 2 MB default halves ingest speed
WAL_AUTOCHECKPOINT = 1_000  # pages: SQLite's default


_LANES: dict[Path | str, threading.RLock] = {}
_LANES_GUARD = threading.Lock()


def _lane(path: Path | str) -> threading.RLock:
    """The process-wide write lock of one database file, shared by every handle on it.

    Two ``Database`` objects on the same file (a page's and a job's, an old workspace still
    closing) must not write at once either: without one lock per file, the second would wait in
    SQLite's busy handler and fail with "database is locked" after ``busy_timeout``.
    """
    key = path.resolve() if isinstance(path, Path) else path
    with _LANES_GUARD:
        return _LANES.setdefault(key, threading.RLock())


class Database:
    """A ppcdesk database (a SQLite file or a PostgreSQL database), its engine, its write lane."""

    def __init__(self, target: Path | str, *, password: str | None = None) -> None:
        """Open ``target``: a file path, or a ``postgresql://`` URL (``password`` if it has none).

        Nothing is connected yet: the first read or write connects.
        """
        self._checkpoints: list[threading.Thread] = []
        if dialect.is_url(target):
            url = dialect.parse_url(str(target))
            if password is not None and url.password is None:
                url = url.set(password=password)
            self.path: Path | None = None
            self.dialect = "postgresql"
            self.display = dialect.display(url)
            self.url = self.display  # for Alembic's config and messages: no password
            self.sa_url: URL | str = url
            self._write_lock = _lane(self.display)
            self.engine: Engine = create_engine(
                url, pool_size=4, max_overflow=4, pool_pre_ping=True,
                connect_args={"application_name": "ppcdesk", "connect_timeout": 10})
            dialect.install_translation(self.engine)
        else:
            self.path = Path(target)
            self.dialect = "sqlite"
            self.display = str(self.path)
            self.url = f"sqlite:///{self.path}"
            self.sa_url = self.url
            self._write_lock = _lane(self.path)
            self.engine = create_engine(self.url, pool_size=4, max_overflow=4)
            event.listen(self.engine, "connect", _on_connect)
            event.listen(self.engine, "begin", _on_begin)

    @property
    def is_sqlite(self) -> bool:
        return self.dialect == "sqlite"

    @property
    def target(self) -> Path | str:
        """What opens this workspace again: the file, or the URL without its password."""
        return self.path if self.path is not None else self.display

    def __repr__(self) -> str:
        return f"Database({self.display!r})"

    @contextmanager
    def read(self) -> Iterator[Connection]:
        """A connection for queries, in one transaction that sees one consistent snapshot.

        SQLite's deferred transaction gives that by itself; PostgreSQL's default (read
        committed) would let a count and the page after it see different commits, so reads
        there run REPEATABLE READ, read only.
        """
        with self.engine.connect() as plain:
            conn = plain if self.is_sqlite else plain.execution_options(
                isolation_level="REPEATABLE READ", postgresql_readonly=True)
            yield conn
            conn.rollback()

    @contextmanager
    def write(self, *, bulk: bool = False,
              foreign_keys: bool = True) -> Iterator[Connection]:
        """One write transaction on the write lane: commits at the end, rolls back on error.

        ``bulk`` raises the page cache for large loads and moves the checkpoint (copying the
        transaction's pages from the WAL into the file: a third of a large commit) to a
        helper thread after the commit (:meth:`settle` waits for it).

        ``foreign_keys=False`` skips SQLite's key checks for this transaction only (a third
        of the time of inserting a million outcomes): for writers whose every key was read in
        the same transaction, so it cannot point at nothing. PostgreSQL checks them always.

        A generator job that is closed while inside this block (cancel) raises GeneratorExit
        here, and the transaction rolls back.
        """
        with self._write_lock, self.engine.connect() as conn:
            conn.info["immediate"] = True
            raw = conn.connection.dbapi_connection if self.is_sqlite else None
            if bulk and raw is not None:
                raw.execute(f"PRAGMA cache_size=-{BULK_CACHE_KIB}")
                raw.execute("PRAGMA wal_autocheckpoint=0")
            if not foreign_keys and raw is not None:
                raw.execute("PRAGMA foreign_keys=OFF")  # only outside a transaction
            try:
                with conn.begin():
                    yield conn
            finally:
                conn.info.pop("immediate", None)
                if raw is not None:
                    if bulk:
                        raw.execute("PRAGMA cache_size=-65536")
                        raw.execute(f"PRAGMA wal_autocheckpoint={WAL_AUTOCHECKPOINT}")
                        self._checkpoint_soon()
                    if not foreign_keys:
                        raw.execute("PRAGMA foreign_keys=ON")

    def _checkpoint_soon(self) -> None:
        """Checkpoint the WAL on a helper thread (PASSIVE: readers and writers go on).

        Without it, the next commit would copy a bulk load's pages into the file itself, as
        SQLite's auto-checkpoint does, in whoever commits next. A process that ends meanwhile
        loses nothing: the WAL is checkpointed when the file is next opened.
        """
        path = self.path
        if path is None:  # pragma: no cover - only SQLite writes call this
            return

        def checkpoint() -> None:
            try:
                conn = sqlite3.connect(path, timeout=10, isolation_level=None)
                try:
                    conn.execute("PRAGMA wal_checkpoint(PASSIVE)")
                finally:
                    conn.close()
            except sqlite3.Error:  # busy or gone: the next auto-checkpoint does it
                pass

        thread = threading.Thread(target=checkpoint, name="ppcdesk-checkpoint", daemon=True)
        with _LANES_GUARD:
            self._checkpoints = [t for t in self._checkpoints if t.is_alive()] + [thread]
        thread.start()

    def settle(self) -> None:
        """Wait for any checkpoint still running on a helper thread."""
        with _LANES_GUARD:
            pending, self._checkpoints = self._checkpoints, []
        for thread in pending:
            thread.join()

    def dispose(self) -> None:
        self.settle()
        self.engine.dispose()


def _on_connect(dbapi_connection: Any, _record: ConnectionPoolEntry) -> None:
    # Let SQLAlchemy, not the sqlite3 module, decide when transactions begin (see _on_begin).
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    for pragma in _PRAGMAS:
        cursor.execute(pragma)
    cursor.close()


def _on_begin(conn: Connection) -> None:
    conn.exec_driver_sql("BEGIN IMMEDIATE" if conn.info.get("immediate") else "BEGIN")


def raw_connect(path: Path) -> sqlite3.Connection:
    """A plain sqlite3 connection with the same pragmas (backups, benchmarks' reference)."""
    conn = sqlite3.connect(path, isolation_level=None)
    for pragma in _PRAGMAS:
        conn.execute(pragma)
    return conn
