"""A reviewer's disposition counts in billing: rejected calls stop qualifying, and only a review
can undo what a review did."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime

import pytest
from ppcdesk.config import paths as paths_mod
from ppcdesk.core.clock import FixedClock
from ppcdesk.core.model import DispositionCode
from ppcdesk.core.progress import run_job
from ppcdesk.services.app_services import AppServices
from ppcdesk.storage import migrate
from ppcdesk.storage.db import Database

CONTRACTS = """\
[[contract]]
name = "Apex auto"
buyer = "Apex Auto Insurance Group"
campaign = "Auto Insurance"
timezone = "America/Chicago"
buffer = "90s"

[contract.price]
amount = "$38.00"
"""


@pytest.fixture
def app(tmp_path_factory: pytest.TempPathFactory, db_target: str) -> Iterator[AppServices]:
    """A 1,500-call demo with Apex's contract, on SQLite and on PostgreSQL (issue 9)."""
    home = tmp_path_factory.mktemp("review-billing")
    paths = paths_mod.resolve(home).ensure()
    db = Database(db_target)
    migrate.upgrade(db)
    services = AppServices(db, paths, FixedClock(datetime(2026, 11, 21, 15, tzinfo=UTC)))
    run_job(services.demo_job(calls=1_500, seed=3, end=date(2026, 11, 20)))
    services.billing.import_contracts(text=CONTRACTS, evaluate=True)
    yield services
    db.dispose()


def _call(app: AppServices, *, billable: bool) -> tuple[int, str]:
    with app.db.read() as conn:
        row = conn.exec_driver_sql(
            "SELECT c.id, c.sid FROM call_outcomes o JOIN calls c ON c.id = o.call_id "
            "JOIN contracts k ON k.id = o.contract_id WHERE k.name = 'Apex auto' "
            "AND o.billable = ? ORDER BY c.id LIMIT 1", (int(billable),)).one()
    return int(row[0]), str(row[1])


def _billable(app: AppServices, call_id: int) -> tuple[bool, int]:
    with app.db.read() as conn:
        row = conn.exec_driver_sql(
            "SELECT o.billable, o.revenue_micros FROM call_outcomes o JOIN contracts k "
            "ON k.id = o.contract_id WHERE k.name = 'Apex auto' AND o.call_id = ?",
            (call_id,)).one()
    return bool(row[0]), int(row[1])


def _qualified_outcomes(app: AppServices, call_id: int) -> int:
    with app.db.read() as conn:
        return int(conn.exec_driver_sql(
            "SELECT COUNT(*) FROM call_outcomes WHERE call_id = ? "
            "AND (billable = 1 OR payable = 1)",
            (call_id,)).scalar() or 0)


def _qualified_outcomes_before(app: AppServices, call_id: int) -> int:
    """Outcomes the engine qualified (its bits, without MANUAL, are clear)."""
    with app.db.read() as conn:
        return int(conn.exec_driver_sql(
            "SELECT COUNT(*) FROM call_outcomes WHERE call_id = ? AND flags & ~1024 = 0",
            (call_id,)).scalar() or 0)


def _billable_in_rollups(app: AppServices) -> int:
    with app.db.read() as conn:
        return int(conn.exec_driver_sql(
            "SELECT COALESCE(SUM(billable), 0) FROM kpi_hourly").scalar() or 0)


def test_a_call_judged_spam_stops_being_billable_with_an_audit_trail(app: AppServices) -> None:
    call_id, sid = _call(app, billable=True)
    assert _billable(app, call_id) == (True, 38_000_000)
    before = _billable_in_rollups(app)

    changes = run_job(app.review.dispose_job(call_id, DispositionCode.SPAM, author="rita"))

    assert _billable(app, call_id) == (False, 0)
    # The demo's own contracts (its buyer's and its publisher's) are turned down too.
    qualified_before = _qualified_outcomes_before(app, call_id)
    assert changes.counts["adjustments"] == qualified_before >= 2
    assert _qualified_outcomes(app, call_id) == 0
    [adjustment] = [a for a in app.billing.adjustments(sid) if a.contract == "Apex auto"]
    assert (adjustment.author, adjustment.before, adjustment.after) == ("rita", "true", "false")
    assert adjustment.reason == "review: spam"
    assert _billable_in_rollups(app) == before - 1  # the dashboard counts it at once


def test_the_verdict_survives_a_full_re_evaluation(app: AppServices) -> None:
    call_id, _ = _call(app, billable=True)
    run_job(app.review.dispose_job(call_id, DispositionCode.WRONG_NUMBER, author="rita"))
    run_job(app.billing.evaluate_job())
    assert _billable(app, call_id) == (False, 0)


def test_a_later_qualified_review_restores_the_contracts_verdict(app: AppServices) -> None:
    call_id, sid = _call(app, billable=True)
    run_job(app.review.dispose_job(call_id, DispositionCode.NOT_QUALIFIED, author="rita"))
    run_job(app.review.dispose_job(call_id, DispositionCode.QUALIFIED, author="sam"))
    assert _billable(app, call_id) == (True, 38_000_000)
    assert [a.after for a in app.billing.adjustments(sid)
            if a.contract == "Apex auto"] == ["false", "true"]
    assert _qualified_outcomes(app, call_id) == _qualified_outcomes_before(app, call_id)


def test_a_qualified_review_never_bills_a_call_the_contract_turned_down(
        app: AppServices) -> None:
    call_id, sid = _call(app, billable=False)
    changes = run_job(app.review.dispose_job(call_id, DispositionCode.QUALIFIED, author="sam"))
    assert _billable(app, call_id) == (False, 0)
    assert app.billing.adjustments(sid) == []
    assert "adjustments" not in changes.counts
