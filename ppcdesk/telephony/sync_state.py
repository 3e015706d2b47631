"""Where a sync is: its ``sync_runs`` row, saved with each batch of pages so a stopped sync resumes.

A run moves through phases ``numbers -> calls -> recordings -> media -> done``. The calls phase
lists the window ``[window_from, window_to)`` page by page; with every batch of pages it stores
(up to 16) the sync saves the provider's cursor of the next page *in the same transaction as the
pages' rows*, so after a cancel, a crash or a SIGKILL the database holds whole pages and the run
row says which page comes next. The next sync of the account finds the unfinished run and
carries on from there.

The summary column holds the running tally (``Tally``) as JSON: counts of rows written, pages,
legs seen, and skipped records per reason with a few example sids.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection

from ppcdesk.core.model import SyncSummary

PHASES = ("numbers", "calls", "recordings", "media", "done")
EXAMPLES_PER_REASON = 10
RUN_COLUMNS = ("id, account_id, status, phase, started_at, finished_at, window_from, "
               "window_to, cursor, summary")


@dataclass
class Tally:
    """What a run did so far; counts are rows written (added or changed), not rows seen."""

    account_sid: str = ""
    numbers: int = 0
    calls: int = 0
    legs: int = 0
    recordings: int = 0
    downloaded: int = 0
    downloaded_bytes: int = 0
    pages: int = 0
    legs_seen: int = 0
    recordings_from: int | None = None  # the recordings phase lists from here
    # A first sync into an empty workspace builds the calls table's secondary indexes once its
    # calls are all in, not row by row (ingest.defer_call_indexes): True until they are built.
    indexes_deferred: bool = False
    skipped: dict[str, int] = field(default_factory=dict)
    examples: dict[str, list[str]] = field(default_factory=dict)
    error: str | None = None

    def skip(self, reason: str, sid: str, count: int = 1) -> None:
        """Count ``count`` skipped records for ``reason``, keeping ``sid`` as an example."""
        self.skipped[reason] = self.skipped.get(reason, 0) + count
        examples = self.examples.setdefault(reason, [])
        if sid and len(examples) < EXAMPLES_PER_REASON and sid not in examples:
            examples.append(sid)

    @property
    def skipped_total(self) -> int:
        return sum(self.skipped.values())

    def to_json(self) -> str:
        data = {name: getattr(self, name) for name in self.__dataclass_fields__}
        return json.dumps(data, sort_keys=True)

    @classmethod
    def from_json(cls, text: str | None) -> Tally:
        try:
            raw = json.loads(text or "{}")
        except ValueError:
            raw = {}
        if not isinstance(raw, dict):
            raw = {}
        known = {k: v for k, v in raw.items() if k in cls.__dataclass_fields__}
        return cls(**known)


@dataclass
class Run:
    """One sync of one account, as saved in ``sync_runs``."""

    id: int
    account_id: int
    phase: str
    started_at: int
    window_from: int
    window_to: int
    cursor: str | None
    tally: Tally


def latest_unfinished(conn: Connection, account_id: int) -> Run | None:
    """The account's newest run, if it stopped before its end (cancelled, failed, killed)."""
    row = conn.exec_driver_sql(
        f"SELECT {RUN_COLUMNS} FROM sync_runs WHERE account_id = ? AND kind = 'twilio' "
        "ORDER BY id DESC LIMIT 1", (account_id,)).first()
    if row is None or row.status == "ok" or row.phase in (None, "done"):
        return None
    if row.window_from is None or row.window_to is None:
        return None
    return Run(row.id, account_id, row.phase, row.started_at, row.window_from, row.window_to,
               row.cursor, Tally.from_json(row.summary))


def start(conn: Connection, account_id: int, account_sid: str, *, now: int, window_from: int,
          window_to: int) -> Run:
    """A new run that starts with the numbers phase."""
    tally = Tally(account_sid=account_sid, recordings_from=window_from)
    run_id = conn.exec_driver_sql(
        "INSERT INTO sync_runs (account_id, kind, started_at, status, summary, phase, "
        "window_from, window_to, cursor) VALUES (?, 'twilio', ?, 'running', ?, 'numbers', ?, ?, "
        "NULL) RETURNING id",
        (account_id, now, tally.to_json(), window_from, window_to)).scalar_one()
    return Run(int(run_id), account_id, "numbers", now, window_from, window_to, None, tally)


def resume(conn: Connection, run: Run) -> None:
    conn.exec_driver_sql("UPDATE sync_runs SET status = 'running', finished_at = NULL "
                         "WHERE id = ?", (run.id,))


def save(conn: Connection, run: Run) -> None:
    """Write the run's phase, window, cursor and tally (inside the page's transaction)."""
    conn.exec_driver_sql(
        "UPDATE sync_runs SET phase = ?, window_from = ?, window_to = ?, cursor = ?, "
        "summary = ? WHERE id = ?",
        (run.phase, run.window_from, run.window_to, run.cursor, run.tally.to_json(), run.id))


def finish(conn: Connection, run: Run, status: str, now: int) -> None:
    """Close the run: ``ok`` (phase done), ``failed`` or ``cancelled`` (resumable)."""
    save(conn, run)
    conn.exec_driver_sql("UPDATE sync_runs SET status = ?, finished_at = ? WHERE id = ?",
                         (status, now, run.id))
    if status == "ok":
        conn.exec_driver_sql("UPDATE telephony_accounts SET last_sync_at = ? WHERE id = ?",
                             (now, run.account_id))


def summary(conn: Connection, account_id: int | None = None) -> SyncSummary | None:
    """The newest Twilio sync run (of one account, or of any), as a readable summary."""
    where = "kind = 'twilio'" + ("" if account_id is None else " AND account_id = ?")
    params: tuple[Any, ...] = () if account_id is None else (account_id,)
    row = conn.exec_driver_sql(
        f"SELECT {RUN_COLUMNS} FROM sync_runs WHERE {where} ORDER BY id DESC LIMIT 1",
        params).first()
    if row is None:
        return None
    return summary_of(row.id, row.status, row.phase, row.started_at, row.finished_at,
                      row.window_from, row.window_to, Tally.from_json(row.summary))


def summary_of(run_id: int, status: str, phase: str | None, started_at: int,
               finished_at: int | None, window_from: int | None, window_to: int | None,
               tally: Tally) -> SyncSummary:
    return SyncSummary(
        run_id=run_id, account_sid=tally.account_sid or None, status=status, phase=phase,
        started_at=started_at, finished_at=finished_at, window_from=window_from,
        window_to=window_to, numbers=tally.numbers, calls=tally.calls, legs=tally.legs,
        recordings=tally.recordings, downloaded=tally.downloaded,
        downloaded_bytes=tally.downloaded_bytes, skipped=tally.skipped_total,
        skipped_reasons=dict(tally.skipped),
        skipped_examples={k: tuple(v) for k, v in tally.examples.items()},
        pages=tally.pages, legs_seen=tally.legs_seen, error=tally.error)
