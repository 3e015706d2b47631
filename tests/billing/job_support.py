"""A small workspace for the billing job's tests: one campaign, two buyers, one publisher.

Calls are written as table rows in the campaign's local time, through the sync's own upsert;
outcomes are read back as plain tuples a test can compare with a table.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from ppcdesk.billing import contract_file
from ppcdesk.billing import contract_import as billing_io
from ppcdesk.core.clock import FixedClock, to_epoch
from ppcdesk.core.progress import run_job
from ppcdesk.storage import billing_store as store
from ppcdesk.storage import ingest
from ppcdesk.storage.db import Database

ZONE = "America/Chicago"
CLOCK = FixedClock(datetime(2026, 4, 1, 12, tzinfo=ZoneInfo("UTC")))

DECLARATIONS = """\
[[campaign]]
name = "Auto"
timezone = "America/Chicago"

[[buyer]]
name = "Apex"
destinations = ["+12145550119"]

[[buyer]]
name = "Keystone"
destinations = ["+12155550164"]

[[publisher]]
name = "Peak"
numbers = [
  { number = "+18445550201", campaign = "Auto" },
]
"""

APEX = """\
[[contract]]
name = "Apex auto"
buyer = "Apex"
campaign = "Auto"
timezone = "America/Chicago"
buffer = "90s"

[contract.price]
amount = "$45.00"

[contract.duplicates]
window = "30d"

[contract.caps]
daily = 2
"""

PEAK = """\
[[contract]]
name = "Peak payout"
publisher = "Peak"
campaign = "Auto"
timezone = "America/Chicago"

[contract.price]
revenue_share = "60%"
"""


def local(text: str) -> int:
    """Epoch of a "YYYY-MM-DD HH:MM" wall time in Chicago."""
    return int(datetime.strptime(text, "%Y-%m-%d %H:%M").replace(
        tzinfo=ZoneInfo(ZONE)).timestamp())


NewDb = Callable[..., Database]  # the ``new_db`` fixture: (contracts) -> a workspace


def new_workspace(db: Database, contracts: str = APEX + "\n" + PEAK) -> Database:
    """``db`` (migrated, empty) with the declarations and ``contracts`` imported."""
    import_text(db, DECLARATIONS + "\n" + contracts)
    return db


def import_text(db: Database, text: str) -> billing_io.ImportResult:
    parsed = contract_file.parse(text, source="test.toml")
    with db.write() as conn:
        return billing_io.save_file(conn, parsed, "test.toml", to_epoch(CLOCK.now()))


def add_calls(db: Database, table: str, *, updated_at: int = 1_000) -> None:
    """Store calls written as ``sid | local start | caller | connected s | buyer`` lines."""
    rows: list[tuple[Any, ...]] = []
    with db.read() as conn:
        known = store.names(conn)
    for line in table.strip().splitlines():
        sid, when, caller, connected, buyer = (part.strip() for part in line.split("|"))
        started = local(when)
        seconds = int(connected)
        buyer_id = known.id_of("buyer", buyer) if buyer != "-" else None
        values = {
            "sid": sid, "account_id": None, "tracking_number_id": 1,
            "campaign_id": known.id_of("campaign", "Auto"),
            "publisher_id": known.id_of("publisher", "Peak"), "caller": caller,
            "caller_state": "TX", "called": "+18445550201", "status": "completed",
            "direction": "inbound", "started_at": started, "ended_at": started + seconds + 20,
            "duration_s": seconds + 20, "cost_micros": 10_000, "connected_s": seconds,
            "time_to_answer_s": 15 if buyer_id else None, "buyer_id": buyer_id,
            "legs_cost_micros": None, "updated_at": updated_at,
        }
        rows.append(tuple(values[c] for c in ingest.CALL_COLUMNS))
    with db.write() as conn:
        ingest.upsert_calls(conn, rows)


def evaluate(db: Database, **options: Any) -> Any:
    from ppcdesk.billing.job import evaluate_job

    return run_job(evaluate_job(db, CLOCK, **options))


def outcomes(db: Database, contract: str) -> list[tuple[str, bool, str, list[str]]]:
    """(sid, qualified, amount in dollars, reason codes) of one contract, in call order."""
    import json

    with db.read() as conn:
        rows = conn.exec_driver_sql(
            "SELECT c.sid, o.billable + o.payable, o.revenue_micros + o.payout_micros, "
            "o.reasons FROM call_outcomes o JOIN calls c ON c.id = o.call_id "
            "JOIN contracts k ON k.id = o.contract_id WHERE k.name = ? "
            "ORDER BY c.started_at, c.id", (contract,)).all()
    return [(sid, bool(q), f"{amount / 1e6:.2f}", [r["code"] for r in json.loads(reasons)])
            for sid, q, amount, reasons in rows]


def dump(db: Database) -> list[tuple[Any, ...]]:
    """Every stored outcome, all columns but when it was evaluated (for full == incremental)."""
    with db.read() as conn:
        return [tuple(r) for r in conn.exec_driver_sql(
            "SELECT call_id, contract_id, contract_version_id, billable, payable, "
            "revenue_micros, payout_micros, reasons, flags, duplicate_of_call_id "
            "FROM call_outcomes ORDER BY contract_id, call_id")]
