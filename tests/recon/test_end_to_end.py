"""End to end: a demo year, a buyer's report made from it with planted differences, imported
and reconciled: every planted difference is found, and nothing else.

The buyer's outcomes come from the documented rule in conftest (``RULE``), not from the billing
engine, which is being written beside this work.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from ppcdesk.core.clock import FixedClock, day_start_epoch
from ppcdesk.core.progress import run_job
from ppcdesk.demo.job import write_demo
from ppcdesk.recon.importers.mapping import Preset, builtin
from ppcdesk.recon.job import import_report, plan_import, reconcile
from ppcdesk.recon.report import DiffKind
from ppcdesk.storage import recon_store
from ppcdesk.storage.db import Database
from recon_support import RULE, add_buyer_contract, apply_rule

NY = ZoneInfo("America/New_York")
BUYER = "Silverline Health Partners"
HEADER = ["Call ID", "Caller ID", "Call Date", "Duration", "Payout", "Status", "Campaign"]
CLOCK = FixedClock(datetime(2026, 11, 21, 12, tzinfo=UTC))


def _when(epoch: int) -> str:
    return datetime.fromtimestamp(epoch, NY).strftime("%m/%d/%Y %I:%M:%S %p")


def _phone(e164: str) -> str:
    return f"({e164[2:5]}) {e164[5:8]}-{e164[8:]}"


@pytest.mark.slow
def test_every_planted_difference_and_nothing_else(db: Database, tmp_path: Path) -> None:
    run_job(write_demo(db, calls=10_000, seed=3, end=date(2026, 11, 20)))
    with db.read() as conn:
        buyer_id = conn.exec_driver_sql("SELECT id FROM buyers WHERE name = ?",
                                        (BUYER,)).scalar_one()
    contract = add_buyer_contract(db, buyer_id)
    assert apply_rule(db, contract, buyer_id) > 100, RULE
    start, end = day_start_epoch(date(2026, 10, 1), "America/New_York"), day_start_epoch(
        date(2026, 11, 1), "America/New_York")
    with db.read() as conn:
        calls = conn.exec_driver_sql(
            "SELECT c.id, c.sid, c.caller, c.started_at, c.connected_s, o.billable "
            "FROM calls c JOIN call_outcomes o ON o.call_id = c.id AND o.contract_id = ? "
            "WHERE c.buyer_id = ? "
            "AND c.connected_s > 0 AND c.started_at >= ? AND c.started_at < ? "
            "ORDER BY c.started_at, c.id", (contract, buyer_id, start, end)).all()
    billable = [c for c in calls if c[5]][5:-5]  # none planted at the edges of the month
    assert len(billable) > 60

    # Plant, among billable calls spread over the month: (kind, index into billable).
    dropped = {billable[i][0] for i in (5, 25, 45)}
    underpaid = {billable[i][0] for i in (7, 27)}
    contested = {billable[i][0] for i in (9, 29)}
    shifted = {billable[i][0] for i in (11, 31)}
    repeated = billable[13][0]
    lines: list[list[str]] = []
    planted: set[tuple[DiffKind, int | None, int | None]] = set()
    for cid, sid, caller, at, connected, is_billable in calls:
        if cid in dropped:
            planted.add((DiffKind.UNPAID, None, cid))
            continue
        line = len(lines) + 2  # the header is row 1
        anonymous = not caller.startswith("+")
        row = [sid if anonymous or cid % 5 == 0 else "", "" if anonymous else _phone(caller),
               _when(at + (3600 if cid in shifted else 0)), str(connected),
               "$25.00" if is_billable else "$0.00", "Paid" if is_billable else "Short",
               "Médicare Advantage"]
        if cid in underpaid:
            row[4] = "$20.00"
            planted.add((DiffKind.AMOUNT, line, cid))
        if cid in contested:
            row[4], row[5] = "$0.00", "Duplicate"
            planted.add((DiffKind.CONTESTED, line, cid))
        if cid in shifted:
            planted.add((DiffKind.TZ_SHIFT, line, cid))
        lines.append(row)
        if cid == repeated:
            lines.append(list(row))
            planted.add((DiffKind.DUPLICATE_ROW, line + 1, None))
    for phone in ("+12125550987", "+13125550988"):  # calls we never had
        lines.append(["", _phone(phone), _when(start + 86_400 * 3), "120", "$25.00", "Paid",
                      "Médicare Advantage"])
        planted.add((DiffKind.UNSEEN, len(lines) + 1, None))

    # Their export: Windows-1252, semicolons (as Excel writes them on a European desk).
    report = tmp_path / "silverline-october.csv"
    text = "\r\n".join(";".join(r) for r in [HEADER, *lines]) + "\r\n"
    report.write_bytes(text.encode("cp1252"))
    base = builtin("generic-us")
    assert base is not None
    preset = Preset("silverline", base.mapping, partner=BUYER, dispute_window_days=45)
    with db.write() as conn:
        recon_store.save_preset(conn, preset.name, preset.partner, preset.to_json(), 0)
        (stored,) = recon_store.presets(conn)
    plan = plan_import(report, Preset.from_json(stored))
    assert (plan.table.encoding, plan.table.delimiter, plan.parsed.errors) == ("cp1252", ";", ())
    summary = run_job(import_report(db, plan, CLOCK))
    assert (summary.partner, summary.rows_ok, summary.rows_failed) == (BUYER, len(lines), 0)

    done = run_job(reconcile(db, BUYER, start, end, CLOCK))
    found = {(d.kind, d.line, d.call_id if d.kind is not DiffKind.DUPLICATE_ROW else None)
             for d in done.report.differences}
    assert found == planted
    assert len(done.report.differences) == len(planted)
    totals = done.report.totals
    assert totals.at_stake_micros == (3 * 25 + 2 * 5 + 2 * 25) * 1_000_000
    with db.read() as conn:
        kinds = dict(conn.exec_driver_sql(
            "SELECT kind, COUNT(*) FROM recon_matches GROUP BY kind").all())
        shifts = conn.exec_driver_sql(
            "SELECT COUNT(*) FROM recon_matches WHERE shift_s = 3600").scalar_one()
    assert shifts == 2  # one found by time, one by id
    assert kinds["unmatched"] == 2
    assert kinds["duplicate"] == 1
