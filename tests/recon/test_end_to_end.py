"""End to end: a demo year, a buyer's report made from it with planted differences, imported
and reconciled: every planted difference is found, and nothing else.

The buyer's outcomes come from the documented rule in conftest (``RULE``), not from the billing
engine, which is being written beside this work.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from ppcdesk.core.clock import FixedClock, day_start_epoch
from ppcdesk.core.progress import run_job
from ppcdesk.demo.job import write_demo
from ppcdesk.recon.importers.mapping import Preset, builtin
from ppcdesk.recon.job import import_report, plan_import, reconcile
from ppcdesk.recon.report import DiffKind
from ppcdesk.storage import recon_store
from ppcdesk.storage.db import Database
from recon_support import RULE, add_buyer_contract, apply_rule, plant_report

BUYER = "Silverline Health Partners"
CLOCK = FixedClock(datetime(2026, 11, 21, 12, tzinfo=UTC))


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
    report = tmp_path / "silverline-october.csv"
    planted, lines = plant_report(db, contract, buyer_id, (start, end), report)
    base = builtin("generic-us")
    assert base is not None
    preset = Preset("silverline", base.mapping, partner=BUYER, dispute_window_days=45)
    with db.write() as conn:
        recon_store.save_preset(conn, preset.name, preset.partner, preset.to_json(), 0)
        (stored,) = recon_store.presets(conn)
    plan = plan_import(report, Preset.from_json(stored))
    assert (plan.table.encoding, plan.table.delimiter, plan.parsed.errors) == ("cp1252", ";", ())
    summary = run_job(import_report(db, plan, CLOCK))
    assert (summary.partner, summary.rows_ok, summary.rows_failed) == (BUYER, lines, 0)

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
