"""What the sync specifications share: a workspace over a memory provider, and readable tables.

Not a test module of its own (it holds no tests); test_sync*.py import from it. Calls are
written as tables, one leg a line, times in minutes after T0 (2026-01-01 00:00 UTC)::

    sid  parent  from          to            status     start  end  dur  cost
    CA1  -       +12125550123  +18005550100  completed  0      5    300  8500

A leg whose ``parent`` is ``-`` is a parent leg (inbound, reaching the account number it was
made to); any other is a child (outbound-dial). ``cost`` ``-`` is "not rated yet", ``end`` ``-``
"not ended yet".
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from ppcdesk.config import paths as paths_mod
from ppcdesk.config.paths import Paths
from ppcdesk.config.secrets import MemorySecretStore
from ppcdesk.core.changes import ChangeSet
from ppcdesk.core.clock import FixedClock
from ppcdesk.core.progress import Progress, run_job
from ppcdesk.services.app_services import AppServices
from ppcdesk.storage import migrate
from ppcdesk.storage.db import Database
from ppcdesk.telephony.memory_provider import MemoryProvider, sid
from ppcdesk.telephony.provider import CallRecord, RecordingRecord

T0 = 1_767_225_600  # 2026-01-01 00:00 UTC
NOW = datetime(2026, 1, 3, 12, tzinfo=UTC)  # the tests' "now": two and a half days later
ACCOUNT = sid("AC", 0xACC)
TOKEN = "tok_0d1e7a2b9c4f6e8a1b3c"  # noqa: S105 - made up, and searched for by the tests
NUMBERS = {"+18005550100": sid("PN", 1), "+18005550101": sid("PN", 2)}
BUYERS = {"+13105550100": "Buyer One", "+13105550101": "Buyer Two"}
DUMPED = {  # what "the database content" means in comparisons (ids left out: rows by sid)
    "calls": "sid, account_id, tracking_number_id, campaign_id, publisher_id, caller, "
             "caller_state, called, status, direction, started_at, ended_at, duration_s, "
             "cost_micros, connected_s, time_to_answer_s, buyer_id, legs_cost_micros",
    "call_legs": "sid, call_sid, from_number, to_number, status, direction, started_at, "
                 "ended_at, duration_s, cost_micros, buyer_id",
    "recordings": "sid, call_sid, started_at, duration_s, channels, status, cost_micros, "
                  "file_state, local_path, size_bytes, sha256",
    "tracking_numbers": "provider_sid, e164, friendly_name, campaign_id, publisher_id, status, "
                        "acquired_at, released_at",
    "pending_legs": "sid, call_sid",
    "telephony_accounts": "account_sid, checkpoint_at",
}


# Where a workspace lives: None, a SQLite file in its folder; else the database this gives for
# the folder (a fresh, migrated PostgreSQL database: the ``backend`` fixture sets it, issue 9).
database_of: Callable[[Path], str] | None = None


def workspace_database(folder: Path) -> Database:
    """A migrated workspace database for ``folder``, on the back end the test runs on."""
    db = Database(folder / "workspace.sqlite" if database_of is None else database_of(folder))
    migrate.upgrade(db)
    return db


def at(minutes: str) -> int | None:
    return None if minutes == "-" else T0 + int(float(minutes) * 60)


def legs(table: str) -> list[CallRecord]:
    """Call legs from a table (see the module's docstring)."""
    lines = [line.split() for line in table.strip().splitlines()]
    header, rows = lines[0], lines[1:]
    records = []
    for row in rows:
        cell = dict(zip(header, row, strict=True))
        parent = None if cell["parent"] == "-" else cell["parent"]
        records.append(CallRecord(
            sid=cell["sid"], parent_sid=parent, from_number=cell["from"], to_number=cell["to"],
            status=cell["status"], direction="inbound" if parent is None else "outbound-dial",
            started_at=at(cell["start"]), ended_at=at(cell["end"]),
            duration_s=int(cell["dur"]),
            cost_micros=None if cell["cost"] == "-" else int(cell["cost"]),
            phone_number_sid=None if parent else NUMBERS.get(cell["to"])))
    return records


def recording(sid_: str, call_sid: str, start: str = "1", *, status: str = "completed",
              duration_s: int = 60) -> RecordingRecord:
    return RecordingRecord(sid_, call_sid, at(start), duration_s, 2, status, 2_500)


def provider(table: str = "", *, page_size: int = 2, newest_first: bool = False
             ) -> MemoryProvider:
    """A memory account with the two NUMBERS and the legs of ``table``, pages as listed."""
    fake = MemoryProvider(account_sid=ACCOUNT, page_size=page_size, newest_first=newest_first)
    for n, e164 in enumerate(NUMBERS, 1):
        fake.add_number(e164, f"Line {n}", n=n, created_at=T0 - 86_400)
    fake.calls_list = legs(table) if table else []
    return fake


@dataclass
class Desk:
    """A workspace with one account, synced from ``provider`` at ``clock``'s time."""

    services: AppServices
    db: Database
    clock: FixedClock
    provider: MemoryProvider
    paths: Paths
    account_id: int

    def sync(self, *, media: bool = True, since: date | None = None,
             progress: list[Progress] | None = None) -> ChangeSet:
        result: ChangeSet = run_job(self.services.sync_job(media=media, since=since),
                                    on_progress=None if progress is None else progress.append)
        return result

    def rows(self, sql: str, *params: Any) -> list[tuple[Any, ...]]:
        with self.db.read() as conn:
            return [tuple(r) for r in conn.exec_driver_sql(sql, params)]

    def dump(self) -> dict[str, list[tuple[Any, ...]]]:
        """The synced content, table by table, in sid order (ids and stamps left out)."""
        return {table: self.rows(f"SELECT {cols} FROM {table} ORDER BY 1")
                for table, cols in DUMPED.items()}

    def count(self, reason: str) -> int:
        summary = self.services.last_sync_summary()
        assert summary is not None
        return summary.skipped_reasons.get(reason, 0)


@contextmanager
def open_desk(tmp_path: Path, fake: MemoryProvider | None = None, *,
              sync_from: date = date(2026, 1, 1), name: str = "desk") -> Iterator[Desk]:
    """A migrated workspace with buyers, one campaign on the first number, and the account."""
    paths = paths_mod.resolve(tmp_path / name).ensure()
    db = workspace_database(paths.data)
    fake = fake if fake is not None else provider()
    with db.write() as conn:
        conn.exec_driver_sql("INSERT INTO campaigns (id, name, vertical, timezone, created_at) "
                             "VALUES (1, 'Auto', 'insurance', 'America/New_York', 0)")
        conn.exec_driver_sql("INSERT INTO publishers (id, name, kind, contact, created_at) "
                             "VALUES (1, 'Acme', 'publisher', '', 0)")
        for n, (e164, name_) in enumerate(BUYERS.items(), 1):
            conn.exec_driver_sql("INSERT INTO buyers (id, name, contact, created_at) "
                                 "VALUES (?, ?, '', 0)", (n, name_))
            conn.exec_driver_sql("INSERT INTO buyer_destinations (buyer_id, e164, label) "
                                 "VALUES (?, ?, '')", (n, e164))
        # The first number is already known, with its campaign (set up before any sync).
        conn.exec_driver_sql(
            "INSERT INTO tracking_numbers (e164, friendly_name, campaign_id, publisher_id, "
            "monthly_cost_micros, status) VALUES ('+18005550100', 'Auto line', 1, 1, 0, "
            "'active')")
    clock = FixedClock(NOW)
    services = AppServices(db, paths, clock, provider_factory=lambda _credentials: fake,
                           secret_store=MemorySecretStore(), environ={})
    services.save_settings(services.settings().with_changes(timezone="UTC"))
    account = services.add_account(ACCOUNT, auth_token=TOKEN, sync_from=sync_from)
    try:
        yield Desk(services, db, clock, fake, paths, account.id)
    finally:
        db.dispose()
