"""How the sync writes on each back end: its transactions, its WAL, and who works on a run.

SQLite has one writer per file (Database.write's lane, and the file lock), so a sync's logic is
simply that of a single writer. A PostgreSQL workspace is shared: two machines may sync the
same Twilio account at the same time. Every write is an upsert by the provider's sid, so a call
cannot be stored twice; but the sync also reads before it writes (which parents are stored,
which legs wait for theirs) and derives each call's facts from its legs, and two interleaved
transactions could each miss the other's legs and store a call's facts from half of them. So:

* ``write``: on PostgreSQL every sync transaction of an account first takes a transaction-level
  advisory lock on that account: two machines fetch and map their pages side by side, and store
  them one transaction at a time, each seeing everything the other committed (READ COMMITTED
  reads after the lock). No deadlock is possible between them, and the result is that of one
  writer, as on SQLite. A killed process's lock goes with its connection.
* ``RunClaims``: a run (its cursor, its tally) is worked on by one process at a time. On
  PostgreSQL a process holds a session-level advisory lock on each run it works on, for the
  whole sync; another machine does not resume a run so held but starts its own. A killed
  process's claims end with its session, so the next sync resumes its run, as on SQLite.
* ``fewer_checkpoints`` / ``checkpoint``: SQLite's WAL tuning during a sync (nothing to do on
  PostgreSQL).
* ``step`` / ``Batch``: one unit of work, or several calls pages, in one transaction with the
  run's new resume point; a rollback puts the run in memory back to what the database holds.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager

from sqlalchemy import Connection

from ppcdesk.storage.db import Database
from ppcdesk.telephony import sync_state
from ppcdesk.telephony.sync_state import Run, Tally

# The advisory lock namespaces (the first key of PostgreSQL's two-key form): "PCsy", "PCrn".
ACCOUNT_LOCKS = 0x50437379
RUN_LOCKS = 0x5043726E
SYNC_CHECKPOINT_PAGES = 16_384  # 64 MB of WAL between checkpoints while a sync writes
DEFAULT_CHECKPOINT_PAGES = 1_000  # SQLite's own default


@contextmanager
def write(db: Database, account_id: int) -> Iterator[Connection]:
    """One write transaction of the sync of ``account_id`` (see the module docstring)."""
    with db.write() as conn:
        if conn.dialect.name == "postgresql":
            conn.exec_driver_sql("SELECT pg_advisory_xact_lock(?, ?)",
                                 (ACCOUNT_LOCKS, account_id))
        yield conn


class RunClaims:
    """The runs this process works on (PostgreSQL: advisory locks on one held session)."""

    def __init__(self, db: Database) -> None:
        self._conn: Connection | None = None
        if not db.is_sqlite:
            self._conn = db.engine.connect()

    def claim(self, run_id: int) -> bool:
        """Claim ``run_id``; False when another live process works on it."""
        if self._conn is None:
            return True
        taken = bool(self._conn.exec_driver_sql(
            "SELECT pg_try_advisory_lock(?, ?)", (RUN_LOCKS, run_id)).scalar_one())
        self._conn.commit()  # the lock is the session's: no transaction left open meanwhile
        return taken

    def close(self) -> None:
        """Give every claim back (before the connection returns to the pool)."""
        if self._conn is None:
            return
        conn, self._conn = self._conn, None
        try:
            conn.exec_driver_sql("SELECT pg_advisory_unlock_all()")
            conn.commit()
        finally:
            conn.close()


def fewer_checkpoints(conn: Connection) -> None:
    """Let SQLite's WAL grow to SYNC_CHECKPOINT_PAGES before it is copied into the database.

    Sids are random, so every page of calls touches leaves all over the sid indexes; with
    SQLite's default (a checkpoint every 1,000 WAL pages, 4 MB) the same index pages are copied
    back again and again, which cost 40% of a 100k-call sync. A sync lets the WAL grow to
    64 MB and checkpoints once at its end (``checkpoint``), which also restores the default.
    """
    raw = conn.connection.dbapi_connection
    if raw is not None and conn.dialect.name == "sqlite":
        raw.execute(f"PRAGMA wal_autocheckpoint = {SYNC_CHECKPOINT_PAGES}")


def checkpoint(db: Database) -> None:
    """The sync is over: SQLite's default checkpoints again, and one now."""
    if not db.is_sqlite:
        return
    with db.write() as conn:
        raw = conn.connection.dbapi_connection
        if raw is not None:
            raw.execute(f"PRAGMA wal_autocheckpoint = {DEFAULT_CHECKPOINT_PAGES}")
    with db.engine.connect() as conn:  # outside a transaction: a checkpoint cannot run inside
        raw = conn.connection.dbapi_connection
        if raw is not None:
            raw.execute("PRAGMA wal_checkpoint(PASSIVE)")


class Batch:
    """Store several pages in one write transaction, each with the run's new resume point.

    Sids are random, so every page dirties index pages all over the sid indexes, and each
    commit writes every dirty page to the WAL again: committing every page cost about a
    third of a first sync. A batch commits every BATCH_PAGES pages, after BATCH_S seconds,
    and when it is closed, so a sync stopped by Cancel or a provider error keeps every page it
    stored; a page whose storing fails rolls the open batch back, and the run in memory goes
    back to what the database holds. A kill loses the open batch; its pages are fetched again.
    """

    def __init__(self, db: Database, run: Run, pages: int, seconds: float) -> None:
        self._db, self._run = db, run
        self._pages, self._seconds = pages, seconds
        self._open: ExitStack | None = None
        self._conn: Connection | None = None
        self._stored = 0
        self._since = 0.0
        self._before = _snapshot(run)

    def __enter__(self) -> Batch:
        return self

    def __exit__(self, *exc: object) -> None:
        self.commit()

    @contextmanager
    def step(self) -> Iterator[Connection]:
        """One page and the run's new resume point; commits the batch when it is due."""
        if self._open is None or self._conn is None:
            self._open = ExitStack()
            self._before = _snapshot(self._run)
            self._conn = self._open.enter_context(write(self._db, self._run.account_id))
            fewer_checkpoints(self._conn)
            self._stored, self._since = 0, time.monotonic()
        try:
            yield self._conn
        except BaseException as exc:
            stack, self._open, self._conn = self._open, None, None
            _restore(self._run, self._before)
            stack.__exit__(type(exc), exc, exc.__traceback__)  # rolls back
            raise
        self._stored += 1
        if (self._stored >= self._pages
                or time.monotonic() - self._since >= self._seconds):
            self.commit()

    def commit(self) -> None:
        if self._open is None or self._conn is None:
            return
        stack, conn, self._open, self._conn = self._open, self._conn, None, None
        try:
            sync_state.save(conn, self._run)
        except BaseException as exc:
            _restore(self._run, self._before)
            stack.__exit__(type(exc), exc, exc.__traceback__)
            raise
        stack.close()


def _snapshot(run: Run) -> tuple[str, str | None, int, int, str]:
    return run.phase, run.cursor, run.window_from, run.window_to, run.tally.to_json()


def _restore(run: Run, before: tuple[str, str | None, int, int, str]) -> None:
    run.phase, run.cursor, run.window_from, run.window_to = before[:4]
    run.tally = Tally.from_json(before[4])


@contextmanager
def step(db: Database, run: Run) -> Iterator[Connection]:
    """One unit of work and the run's new resume point, in one write transaction.

    If the transaction rolls back, the run in memory goes back to what the database holds,
    so the tally saved when the run is closed counts only what was committed.
    """
    before = _snapshot(run)
    try:
        with write(db, run.account_id) as conn:
            fewer_checkpoints(conn)
            yield conn
            sync_state.save(conn, run)
    except BaseException:
        _restore(run, before)
        raise
