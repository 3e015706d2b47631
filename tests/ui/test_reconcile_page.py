"""The Reconcile page over a small demo year and a buyer's report with planted differences.

What a publisher proving what they are owed does here: reconcile a period, see the money
(expected, paid, at stake), narrow the list to one kind of difference, open a dispute from a
line, record what came back, export the lines, write the evidence and the statement; and see
the disputes near their deadline without opening the page.
"""

from __future__ import annotations

import csv
import sys
import zipfile
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from ppcdesk.core.changes import ChangeSet, Entity
from ppcdesk.core.clock import FixedClock, day_start_epoch
from ppcdesk.core.model import DisputeStatus
from ppcdesk.core.progress import run_job
from ppcdesk.recon.report import DiffKind
from ppcdesk.services.app_services import AppServices
from ppcdesk.ui.main_window import PAGE_KEYS, MainWindow
from ppcdesk.ui.pages.reconcile_page import ReconcilePage
from PySide6.QtCore import QDate
from PySide6.QtPdf import QPdfDocument
from PySide6.QtWidgets import QMessageBox

sys.path.insert(0, str(Path(__file__).parents[1] / "recon"))
from recon_support import Planted, add_buyer_contract, apply_rule, plant_report

BUYER = "Silverline Health Partners"
FIRST, LAST = date(2026, 1, 1), date(2026, 10, 31)  # before the fall-back hour of 1 November


@pytest.fixture
def planted(services: AppServices, tmp_path: Path) -> Planted:
    """The buyer's report of FIRST..LAST, differences planted (recon_support), imported."""
    db = services.db
    with db.read() as conn:
        buyer = conn.exec_driver_sql("SELECT id FROM buyers WHERE name = ?",
                                     (BUYER,)).scalar_one()
    contract = add_buyer_contract(db, buyer)
    apply_rule(db, contract, buyer)
    zone = services.recon.zone()
    period = (day_start_epoch(FIRST, zone), day_start_epoch(date(2026, 11, 1), zone))
    report = tmp_path / "silverline.csv"
    found, _lines = plant_report(db, contract, buyer, period, report)
    recon = services.recon
    run_job(recon.import_job(recon.plan_import(report, recon.preset("generic-us")),
                             partner=BUYER))
    return found


def _reconciled(qtbot, window: MainWindow) -> ReconcilePage:  # type: ignore[no-untyped-def]
    page = window.reconcile_page
    window.nav.setCurrentRow(PAGE_KEYS.index("reconcile"))
    qtbot.waitUntil(lambda: page.loads >= 1, timeout=10_000)
    page.partner.setCurrentText(BUYER)
    page.first.setDate(QDate(FIRST.year, FIRST.month, FIRST.day))
    page.last.setDate(QDate(LAST.year, LAST.month, LAST.day))
    page.reconcile()
    qtbot.waitUntil(lambda: page.done is not None, timeout=30_000)
    return page


def _select(page: ReconcilePage, kind: DiffKind) -> None:
    page.kind.setCurrentIndex(page.kind.findData(kind))
    page.diff_view.selectRow(0)


def test_every_planted_difference_is_listed_with_the_money(
        qtbot, window: MainWindow, planted: Planted) -> None:  # type: ignore[no-untyped-def]
    page = _reconciled(qtbot, window)
    shown = {(d.kind, d.line, d.call_id if d.kind is not DiffKind.DUPLICATE_ROW else None)
             for d in page.diffs.records}
    assert shown == planted
    # 3 left out at $25, 2 underpaid by $5, 2 contested at $25.
    assert page.tiles["at_stake"].text() == "$135.00"
    totals = page.done.report.totals if page.done else None
    assert totals is not None
    assert page.tiles["expected"].text() == f"${totals.expected_micros // 1_000_000:,}.00"
    assert f"{BUYER}</b> (buyer)" in page.summary.text()


def test_the_list_narrows_to_one_kind_with_its_own_totals(
        qtbot, window: MainWindow, planted: Planted) -> None:  # type: ignore[no-untyped-def]
    del planted
    page = _reconciled(qtbot, window)
    _select(page, DiffKind.UNPAID)
    assert {d.kind for d in page.diffs.records} == {DiffKind.UNPAID}
    assert page.shown.text() == "3 shown: expected $75.00, paid $0.00, at stake $75.00"
    labels = [page.kind.itemText(i) for i in range(page.kind.count())]
    assert labels[0] == "Every difference (12)"
    assert "They marked it duplicate or short; our contract says it qualifies (2)" in labels


def test_a_dispute_from_a_line_then_what_came_back(
        qtbot, window: MainWindow, planted: Planted,  # type: ignore[no-untyped-def]
        services: AppServices) -> None:
    del planted
    page = _reconciled(qtbot, window)
    _select(page, DiffKind.CONTESTED)
    line = page.selected_difference()
    assert line is not None
    assert page.dispute_button.isEnabled()
    page.open_dispute()
    qtbot.waitUntil(lambda: len(page.disputes.records) == 1, timeout=10_000)
    (dispute,) = page.disputes.records
    assert (dispute.partner, dispute.call_id, dispute.claimed_micros, dispute.status) == (
        BUYER, line.call_id, 25_000_000, DisputeStatus.OPEN)
    assert dispute.deadline is not None  # the call's day + 30 days (generic preset)

    page.dispute_view.selectRow(0)
    page.status.setCurrentIndex(page.status.findData(DisputeStatus.PARTIALLY_ACCEPTED))
    page.recovered.setText("10.00")
    page.set_status()
    qtbot.waitUntil(lambda: page.disputes.records[0].recovered_micros == 10_000_000,
                    timeout=10_000)
    assert page.tiles["recovered"].text() == "$10.00"
    assert "recovered <b>$10.00</b>" in page.ledger.text()
    assert services.recon.ledger().recovered_micros == 10_000_000


def test_a_recovery_above_the_claim_is_refused_and_nothing_changes(
        qtbot, window: MainWindow, planted: Planted,  # type: ignore[no-untyped-def]
        monkeypatch: pytest.MonkeyPatch, services: AppServices) -> None:
    del planted
    page = _reconciled(qtbot, window)
    _select(page, DiffKind.UNPAID)
    page.open_dispute()
    qtbot.waitUntil(lambda: len(page.disputes.records) == 1, timeout=10_000)
    warnings: list[str] = []
    monkeypatch.setattr(QMessageBox, "warning", lambda _p, _t, text: warnings.append(text))
    page.dispute_view.selectRow(0)
    page.status.setCurrentIndex(page.status.findData(DisputeStatus.ACCEPTED))
    page.recovered.setText("99.00")
    page.set_status()
    qtbot.waitUntil(lambda: bool(warnings), timeout=10_000)
    assert "recovered must be between 0 and the claim" in warnings[0]
    assert services.recon.ledger().lines[0].status is DisputeStatus.OPEN


def test_export_evidence_and_statement_files(
        qtbot, window: MainWindow, planted: Planted,  # type: ignore[no-untyped-def]
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    del planted
    page = _reconciled(qtbot, window)
    _select(page, DiffKind.AMOUNT)
    answers = iter([str(tmp_path / "amounts.csv"), str(tmp_path / "packet.zip"),
                    str(tmp_path / "statement.pdf")])
    monkeypatch.setattr(page, "ask_save_path", lambda *_a: next(answers))
    page.export_csv()
    with (tmp_path / "amounts.csv").open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert [(r["kind"], r["expected"], r["paid"], r["at_stake"]) for r in rows] == [
        ("amount", "25.000000", "20.000000", "5.000000")] * 2

    line = page.selected_difference()
    assert line is not None
    page.write_evidence()
    with zipfile.ZipFile(tmp_path / "packet.zip") as archive:
        names = sorted(archive.namelist())
    assert "packet/evidence.pdf" in names
    assert "packet/SHA256SUMS" in names

    page.write_statement()
    pdf = QPdfDocument(None)
    pdf.load(str(tmp_path / "statement.pdf"))
    assert pdf.pageCount() >= 1
    assert f"Revenue receivable from {BUYER}" in pdf.getAllText(0).text()
    pdf.close()
    assert "statement.pdf" in page.summary.text()


def test_disputes_near_their_deadline_show_in_the_status_bar(
        qtbot, window: MainWindow, services: AppServices) -> None:  # type: ignore[no-untyped-def]
    """Shown without opening the page (the window starts on the dashboard), and gone once
    the dispute is settled."""
    recon = services.recon
    recon.clock = FixedClock(datetime(2026, 11, 22, 17, tzinfo=UTC))
    assert window.current_page() is not window.reconcile_page
    zone = recon.zone()
    with services.db.read() as conn:  # a call of 25 October: due 24 November (30 days)
        call = conn.exec_driver_sql(
            "SELECT id FROM calls WHERE started_at >= ? AND started_at < ? ORDER BY id LIMIT 1",
            (day_start_epoch(date(2026, 10, 25), zone),
             day_start_epoch(date(2026, 10, 26), zone))).scalar_one()
    far = recon.open_dispute(BUYER, call_id=None, reason="a line we never saw",
                             claimed_micros=5_000_000)  # opened today: due in 30 days
    near = recon.open_dispute(BUYER, call_id=call, reason="not paid",
                              claimed_micros=25_000_000)
    assert (far.deadline, near.deadline) == ("2026-12-22", "2026-11-24")
    reminder = window.reconcile_page.status_reminder
    window.apply_changes(ChangeSet.of(Entity.DISPUTES))
    qtbot.waitUntil(reminder.isVisible, timeout=10_000)
    assert reminder.text() == (f"⚑ 1 dispute to file or chase: #{near.id} {BUYER} $25.00 "
                               "due 2026-11-24")
    recon.set_status(near.id, DisputeStatus.ACCEPTED)
    window.apply_changes(ChangeSet.of(Entity.DISPUTES))
    qtbot.waitUntil(lambda: not reminder.isVisible(), timeout=10_000)
