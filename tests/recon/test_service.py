"""Imports all-or-nothing, presets, reconcile through the service, and the dispute ledger."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from ppcdesk.config.paths import resolve
from ppcdesk.core.clock import FixedClock
from ppcdesk.core.model import DisputeStatus
from ppcdesk.core.progress import run_job
from ppcdesk.recon.disputes import DisputeError
from ppcdesk.recon.importers.mapping import ColumnMapping, Preset, PresetError
from ppcdesk.recon.job import AlreadyImportedError, BadRowsError
from ppcdesk.recon.report import DiffKind
from ppcdesk.services.recon_service import ReconService
from ppcdesk.storage.db import Database
from recon_support import add_buyer_contract, apply_rule

CLOCK = FixedClock(datetime(2026, 3, 10, 15, tzinfo=UTC))
T = int(datetime(2026, 3, 2, 15, tzinfo=UTC).timestamp())  # 10:00 in New York
HEADER = "call_id,caller,started_at,duration,amount,status,campaign\n"


@pytest.fixture
def service(db: Database, tmp_path: Path) -> ReconService:
    with db.write() as conn:
        conn.exec_driver_sql("INSERT INTO workspace (id, name, role, timezone, currency, "
                             "is_demo, created_at) VALUES (1, 'Desk', 'publisher', "
                             "'America/New_York', 'USD', 0, 0)")
        conn.exec_driver_sql("INSERT INTO buyers (id, name, contact, created_at) VALUES "
                             "(1, 'Acme', '', 0)")
        for i, (caller, connected) in enumerate(
                [("+16025550101", 120), ("+16025550102", 200), ("+16025550103", 30)], 1):
            conn.exec_driver_sql(
                "INSERT INTO calls (sid, caller, called, status, direction, started_at, "
                "duration_s, connected_s, buyer_id, updated_at) VALUES (?, ?, '+18005550100', "
                "'completed', 'inbound', ?, ?, ?, 1, 0)",
                (f"CA{i}", caller, T + i * 600, connected + 10, connected))
    apply_rule(db, add_buyer_contract(db, 1), 1)  # calls 1 and 2 billable at $25
    return ReconService(db, resolve(tmp_path / "home"), CLOCK)


def _report(tmp_path: Path, *lines: str) -> Path:
    path = tmp_path / "acme.csv"
    path.write_text(HEADER + "".join(line + "\n" for line in lines), encoding="utf-8")
    return path


def _when(i: int) -> str:
    return datetime.fromtimestamp(T + i * 600, UTC).isoformat()


def test_bad_rows_import_nothing_unless_asked(service: ReconService, tmp_path: Path) -> None:
    path = _report(tmp_path, f",6025550101,{_when(1)},120,$25,paid,A",
                   ",6025550102,yesterday,200,$25,paid,A")
    plan = service.plan_import(path, service.preset("generic-iso"))
    with pytest.raises(BadRowsError, match=r"(?s)1 of 2 rows.*row 3, column 'started_at'"):
        run_job(service.import_job(plan, partner="Acme"))
    with service.db.read() as conn:
        assert conn.exec_driver_sql("SELECT COUNT(*) FROM imports").scalar_one() == 0
    summary = run_job(service.import_job(plan, partner="Acme", good_rows=True))
    assert (summary.rows_ok, summary.rows_failed) == (1, 1)
    with pytest.raises(AlreadyImportedError):
        run_job(service.import_job(plan, partner="acme", good_rows=True))


def test_a_cancelled_import_leaves_nothing(service: ReconService, tmp_path: Path) -> None:
    plan = service.plan_import(_report(tmp_path, f",6025550101,{_when(1)},120,$25,paid,A"),
                               service.preset("generic-iso"))
    job = service.import_job(plan, partner="Acme")
    next(job)
    next(job)  # inside the transaction
    job.close()
    with service.db.read() as conn:
        assert conn.exec_driver_sql("SELECT COUNT(*) FROM partner_rows").scalar_one() == 0


def test_presets_are_saved_and_replace_builtins(service: ReconService) -> None:
    mine = Preset("acme", ColumnMapping(time="When"), partner="Acme", dispute_window_days=14)
    service.save_preset(mine)
    assert service.preset("acme") == mine
    assert service.window_days("ACME") == 14
    with pytest.raises(PresetError, match="no preset named 'nope'"):
        service.preset("nope")


def test_reconcile_then_dispute_a_difference(service: ReconService, tmp_path: Path) -> None:
    service.save_preset(Preset("acme", service.preset("generic-iso").mapping, partner="Acme",
                               dispute_window_days=20))
    path = _report(tmp_path, f"CA1,,{_when(1)},120,$25,paid,A",
                   f",6025550102,{_when(2)},200,$0,duplicate,A")
    run_job(service.import_job(service.plan_import(path, service.preset("acme"))))
    done = run_job(service.reconcile_job("Acme", date(2026, 3, 1), date(2026, 3, 31)))
    (contested,) = done.report.differences
    assert (contested.kind, contested.call_id, contested.at_stake_micros) == (
        DiffKind.CONTESTED, 2, 25_000_000)

    dispute = service.open_from_difference("Acme", contested)
    assert (dispute.status, dispute.claimed_micros, dispute.call_sid, dispute.partner) == (
        DisputeStatus.OPEN, 25_000_000, "CA2", "Acme")
    assert dispute.deadline == "2026-03-22"  # the call's day in New York + 20 days
    assert [d.id for d in service.due_disputes(within_days=12)] == [dispute.id]
    assert service.due_disputes(within_days=11) == []

    with pytest.raises(DisputeError, match="between 0 and the claim"):
        service.set_status(dispute.id, DisputeStatus.PARTIALLY_ACCEPTED, 30_000_000)
    service.set_status(dispute.id, DisputeStatus.PARTIALLY_ACCEPTED, 10_000_000)
    other = service.open_dispute("Acme", call_id=None, reason="bonus", claimed_micros=5_000_000)
    service.set_status(other.id, DisputeStatus.ACCEPTED)
    ledger = service.ledger()
    assert (ledger.claimed_micros, ledger.recovered_micros, ledger.open_count) == (
        30_000_000, 15_000_000, 0)


def test_a_statement_lists_each_billed_call_once_with_every_contracts_amount(
        service: ReconService) -> None:
    # A second contract with Acme bills call 1 a $10.00 bonus: the statement's line for call 1
    # is $35.00 (one line per call, the contracts' amounts summed); call 3 (30 s) was billed by
    # neither and is left out; the campaign each call came through is named.
    with service.db.write() as conn:
        conn.exec_driver_sql("INSERT INTO campaigns (id, name, vertical, timezone, "
                             "created_at) VALUES (1, 'Medicare', '', 'America/New_York', 0)")
        conn.exec_driver_sql("UPDATE calls SET campaign_id = 1 WHERE sid = 'CA1'")
    bonus = add_buyer_contract(service.db, 1, "bonus")
    with service.db.write() as conn:
        conn.exec_driver_sql(
            "INSERT INTO call_outcomes (call_id, contract_id, contract_version_id, billable, "
            "payable, revenue_micros, payout_micros, reasons, flags, evaluated_at) SELECT 1, "
            "?, id, 1, 0, 10000000, 0, '[]', 0, 0 FROM contract_versions WHERE contract_id = ?",
            (bonus, bonus))
    doc = service.statement("acme", date(2026, 3, 1), date(2026, 3, 31))
    assert [(line.call_sid, line.campaign, line.amount_micros) for line in doc.lines] == [
        ("CA1", "Medicare", 35_000_000), ("CA2", "", 25_000_000)]
    assert (doc.party, doc.total_micros) == ("Acme", 60_000_000)
    assert service.statement("Acme", date(2026, 4, 1), date(2026, 4, 30)).lines == ()
