"""Open the demo's database for one large write transaction, alone when nobody else has it open.

Why: a demo year is ~650 MB for 1M calls. Through WAL, every page is written to the WAL and
copied again by the checkpoint (measured: 4.4 s of a 31 s load), and each cache miss searches a
WAL index that grows with the load. Alone, the file is switched to a rollback journal and
locked exclusively for the transaction: new pages go straight into the file, once, and the
journal holds only the few pages that existed before (for a fresh database, its schema).
Atomicity is SQLite's own: a cancel or an error rolls back; after a crash or power loss the
journal is "hot" and the next open rolls it back, so the database is as it was. At the end the
file goes back to WAL, as every ppcdesk database is.

"Alone" is SQLite's verdict, not a guess: leaving WAL needs every other connection closed. If
one stays open (say a page of the window reading), the load runs as an ordinary WAL write on
the write lane: slower for a large year, just as atomic. While the file is held alone, other
connections wait for it (busy timeout) instead of reading beside the write; a ppcdesk opens a
database once at a time (storage.lock), so that is at most the window's own pages.
"""

from __future__ import annotations

import logging
import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Connection, create_engine, event
from sqlalchemy.pool import StaticPool

from ppcdesk.storage.db import BULK_CACHE_KIB, Database

log = logging.getLogger(__name__)
PATIENCE_S = 1.0  # how long to wait for the last other connection to close
BUSY_TIMEOUT_MS = 10_000
_PRAGMAS = (
    "PRAGMA synchronous=NORMAL",  # the journal is synced before the file is written: safe
    f"PRAGMA cache_size=-{BULK_CACHE_KIB}",
    "PRAGMA temp_store=MEMORY",
    "PRAGMA secure_delete=OFF",  # zeroing what a replaced demo frees costs and hides nothing
    f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}",
)


@contextmanager
def bulk_write(db: Database, *, foreign_keys: bool = True) -> Iterator[Connection]:
    """Yield a connection inside one write transaction on ``db``: alone if possible.

    ``foreign_keys=False`` lets ``DELETE FROM`` empty a table in one step instead of row by
    row (10 s against 0.2 s for a 1M-call demo); the caller then checks the keys itself
    before the end (``check_foreign_keys``). It applies only when the file is held alone.
    """
    if db.path is None:  # PostgreSQL: a shared server, its keys always checked; one transaction
        with db.write(bulk=True) as conn:
            yield conn
        return
    raw = _open_alone(db)
    if raw is None:
        log.info("%s is open elsewhere: writing the demo through WAL", db.path)
        with db.write(bulk=True) as conn:
            yield conn
        return
    engine = None
    try:
        raw.execute(f"PRAGMA foreign_keys={'ON' if foreign_keys else 'OFF'}")
        for pragma in _PRAGMAS:
            raw.execute(pragma)
        engine = create_engine("sqlite://", creator=lambda: raw, poolclass=StaticPool)
        event.listen(engine, "begin", _begin_exclusive)
        with engine.connect() as conn, conn.begin():
            yield conn
    finally:
        _release(raw)
        if engine is not None:
            engine.dispose()


def check_foreign_keys(conn: Connection) -> None:
    """Raise if any row points at nothing (after a load with the keys off)."""
    if conn.dialect.name != "sqlite":
        return  # PostgreSQL never turned them off
    bad = conn.exec_driver_sql("PRAGMA foreign_key_check").first()
    if bad is not None:
        raise sqlite3.IntegrityError(f"{bad[0]} row {bad[1]} points at a missing {bad[2]}")


def _open_alone(db: Database) -> sqlite3.Connection | None:
    """Open ``db``'s file alone, in rollback mode; return None if others keep it open."""
    if db.path is None:  # pragma: no cover - bulk_write sends servers elsewhere
        return None
    db.dispose()  # our own idle connections count as "others"
    deadline = time.monotonic() + PATIENCE_S
    while True:
        raw = sqlite3.connect(db.path, timeout=0, isolation_level=None,
                              check_same_thread=False)  # a cancel may close it elsewhere
        try:
            if raw.execute("PRAGMA journal_mode=DELETE").fetchone()[0] == "delete":
                # In exclusive locking mode the lock, once taken, is kept until close.
                raw.execute("PRAGMA locking_mode=EXCLUSIVE")
                raw.execute("BEGIN EXCLUSIVE")
                raw.execute("COMMIT")
                return raw
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) and "busy" not in str(exc):
                raw.close()
                raise
        raw.close()
        if time.monotonic() >= deadline:
            _back_to_wal(db)
            return None
        time.sleep(0.05)


def _begin_exclusive(conn: Connection) -> None:
    conn.exec_driver_sql("BEGIN EXCLUSIVE")


def _release(raw: sqlite3.Connection) -> None:
    try:
        if raw.in_transaction:  # the engine normally ends it; an error inside may not have
            raw.execute("ROLLBACK")
        raw.execute("PRAGMA journal_mode=WAL")
    except sqlite3.Error:
        # Harmless: the file keeps its rollback journal mode until the app's next
        # connection sets WAL again, which it does on connect.
        log.warning("could not put the demo database back in WAL mode", exc_info=True)
    finally:
        raw.close()


def _back_to_wal(db: Database) -> None:
    """Undo a switch to rollback mode that did not lead to holding the file alone."""
    if db.path is None:  # pragma: no cover - only files switch journal modes
        return
    conn = sqlite3.connect(db.path, timeout=0, isolation_level=None)
    try:
        conn.execute("PRAGMA journal_mode=WAL")
    except sqlite3.Error:
        log.info("leaving %s in rollback mode; the next connection sets WAL", db.path)
    finally:
        conn.close()

