"""Where a call's review stands, with a version token: what optimistic concurrency compares.

Two reviewers may judge the same call at once (a shared PostgreSQL workspace, issue 9). The
reviewer's screen keeps the ``ReviewState`` it showed; a write first reads the state again
under a row lock (``lock``) and goes on only if its ``version`` is the one
shown. Anything else is someone else's edit since: the service raises, and the user decides.

The version is computed from the review row's marks and the newest disposition's id (the
dispositions are append-only, their ids only grow), so it needs no extra column. A
``revision`` counter on ``call_reviews`` would make it a plain compare; see the report of
issue 9 for the migration that adds it.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, replace

from sqlalchemy import Connection


@dataclass(frozen=True, slots=True)
class ReviewState:
    """One call's review marks and latest disposition, as a reviewer was shown them."""

    call_id: int
    reviewed_at: int | None = None
    reviewed_by: str = ""
    disputed: bool = False
    dispute_reason: str = ""
    updated_at: int | None = None  # when the marks last changed (None: never touched)
    last_disposition_id: int | None = None  # the newest row of the call's history
    disposition: str | None = None  # the latest verdict's code
    disposition_sale: int | None = None
    disposition_by: str = ""
    disposition_at: int | None = None

    @property
    def version(self) -> str:
        """A token that changes with every edit of the review (not with a note: notes add).

        ``updated_at`` is left out: creating the marks' row (an edit's first step) sets it
        without changing a mark, and seconds are too coarse to tell two edits apart anyway.
        """
        marks = json.dumps([self.reviewed_at, self.reviewed_by, self.disputed,
                            self.dispute_reason])
        digest = hashlib.sha1(marks.encode(), usedforsecurity=False).hexdigest()[:12]
        return f"{self.last_disposition_id or 0}.{digest}"


def read(conn: Connection, call_id: int) -> ReviewState:
    """The call's review as it stands (what the detail view shows)."""
    return _read(conn, call_id, "")


def lock(conn: Connection, call_id: int, now: int) -> ReviewState:
    """Inside a write: the call's review as it stands, held until the transaction ends.

    On PostgreSQL the lock is ``SELECT ... FOR UPDATE`` on the marks' row (created first if
    the call has none, so there is a row to lock): a second writer waits there, then reads
    what the first committed (READ COMMITTED: each statement sees the latest commits).
    SQLite's write transaction (BEGIN IMMEDIATE) already excludes every other writer.
    """
    conn.exec_driver_sql(
        "INSERT INTO call_reviews (call_id, reviewed_at, reviewed_by, disputed, "
        "dispute_reason, updated_at) SELECT id, NULL, '', 0, '', ? FROM calls "
        "WHERE id = ? ON CONFLICT (call_id) DO NOTHING", (now, call_id))
    return _read(conn, call_id, " FOR UPDATE" if conn.dialect.name == "postgresql" else "")


def _read(conn: Connection, call_id: int, suffix: str) -> ReviewState:
    q = conn.exec_driver_sql
    marks = q("SELECT reviewed_at, reviewed_by, disputed, dispute_reason, updated_at "
              "FROM call_reviews WHERE call_id = ?" + suffix, (call_id,)).first()
    newest = q("SELECT max(id) FROM dispositions WHERE call_id = ?", (call_id,)).scalar()
    state = ReviewState(call_id, last_disposition_id=None if newest is None else int(newest))
    if marks is not None:
        state = replace(state, reviewed_at=marks[0], reviewed_by=marks[1] or "",
                        disputed=bool(marks[2]), dispute_reason=marks[3] or "",
                        updated_at=marks[4])
    latest = q("SELECT code, sale_micros, author, created_at FROM dispositions "
               "WHERE call_id = ? ORDER BY created_at DESC, id DESC LIMIT 1",
               (call_id,)).first()
    if latest is not None:
        state = replace(state, disposition=latest[0], disposition_sale=latest[1],
                        disposition_by=latest[2] or "", disposition_at=latest[3])
    return state
