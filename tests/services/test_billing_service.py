"""The billing service over a small demo year: contracts, explain, what-if, adjust, behaviour."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from ppcdesk.config import paths as paths_mod
from ppcdesk.core.clock import FixedClock
from ppcdesk.core.progress import run_job
from ppcdesk.services.app_services import AppServices
from ppcdesk.services.billing_service import NoSuchCallError
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

[contract.duplicates]
window = "30d"

[[contract]]
name = "Keystone auto"
buyer = "Keystone Direct Insurance"
campaign = "Auto Insurance"
timezone = "America/Chicago"
buffer = "60s"

[contract.price]
amount = "$30.00"
"""


@pytest.fixture(scope="module",
                params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgresql)])
def services(request: pytest.FixtureRequest,
             tmp_path_factory: pytest.TempPathFactory) -> Iterator[AppServices]:
    """One demo year per back end for the module (a SQLite file, then a PostgreSQL database)."""
    home = tmp_path_factory.mktemp("billing-home")
    paths = paths_mod.resolve(home).ensure()
    server: Any = None
    if request.param == "sqlite":
        target: str | Path = paths.data / "demo.sqlite"
        db = Database(target)
        migrate.upgrade(db)
    else:  # a database of the module's own, copied from the migrated template
        server = request.getfixturevalue("pg_server")
        target = server.create_database(template=request.getfixturevalue("_pg_template"))
        db = Database(target)
    app = AppServices(db, paths, FixedClock(datetime(2026, 11, 21, 15, tzinfo=UTC)))
    try:
        run_job(app.demo_job(calls=3_000, seed=5, end=date(2026, 11, 20)))
        app.billing.import_contracts(text=CONTRACTS, evaluate=True)
        yield app
    finally:
        db.dispose()
        if server is not None:
            server.drop_database(target)


def _sid(app: AppServices, where: str) -> str:
    with app.db.read() as conn:
        return str(conn.exec_driver_sql(
            "SELECT c.sid FROM call_outcomes o JOIN calls c ON c.id = o.call_id "
            f"JOIN contracts k ON k.id = o.contract_id WHERE {where} "
            "ORDER BY c.started_at LIMIT 1").scalar_one())


def test_the_under_buffer_buyer_is_flagged_with_its_figures(services: AppServices) -> None:
    found = {b.buyer: b for b in services.billing.buyer_behaviour()}
    apex = found["Apex Auto Insurance Group"]
    assert apex.flagged
    assert apex.buffer_s == 90
    assert apex.just_under > apex.just_over
    keystone = found["Keystone Direct Insurance"]
    assert not keystone.flagged


def test_contracts_read_as_sentences_and_show_their_versions(services: AppServices) -> None:
    listed = {c.name: c for c in services.billing.contracts()}
    assert listed["Apex auto"].price == "$38.00"
    assert any("90 s" in line for line in listed["Apex auto"].reads_as)
    detail = services.billing.contract("Apex auto")
    assert [v.version for v in detail.versions] == [1]
    assert detail.behaviour is not None
    assert detail.behaviour.flagged


def test_explain_traces_every_rule_of_a_short_call(services: AppServices) -> None:
    sid = _sid(services, "k.name = 'Apex auto' AND o.flags = 4")  # SHORT only
    explained = services.billing.explain(sid)
    (apex,) = [c for c in explained.contracts if c.contract == "Apex auto"]
    assert not apex.qualified
    assert [code for code, _ in apex.reasons] == ["short"]
    failed = [t for t in apex.trace if not t.passed]
    assert [t.rule for t in failed] == [t.rule for t in apex.trace if t.reason is not None
                                        and t.reason.value == "short"]
    assert failed[0].values["buffer_s"] == 90
    assert failed[0].values["measured_s"] < 90  # type: ignore[operator]
    with pytest.raises(NoSuchCallError):
        services.billing.explain("CAnothing")


def test_what_if_moves_money_without_saving(services: AppServices) -> None:
    before = services.billing.contracts()
    report = services.billing.whatif(CONTRACTS.replace('buffer = "90s"', 'buffer = "75s"'),
                                     date(2026, 9, 1), date(2026, 11, 20))
    apex = next(c for c in report.contracts if c.name == "Apex auto")
    assert apex.calls
    assert {c.change for c in apex.calls} <= {"gained"}
    assert apex.result.money_moved_micros == 38_000_000 * len(apex.calls)
    keystone = next(c for c in report.contracts if c.name == "Keystone auto")
    assert keystone.calls == ()  # the same terms move nothing
    assert services.billing.contracts() == before


def test_an_adjustment_keeps_its_audit_trail_and_survives_re_evaluation(
        services: AppServices) -> None:
    sid = _sid(services, "k.name = 'Keystone auto' AND o.billable = 1")
    services.billing.adjust(sid, "Keystone auto", "qualified", "no", "caller was a test",
                            "sam")
    run_job(services.billing.evaluate_job())
    explained = services.billing.explain(sid)
    keystone = next(c for c in explained.contracts if c.contract == "Keystone auto")
    assert (keystone.qualified, keystone.amount_micros, keystone.adjusted) == (False, 0, True)
    trail = services.billing.adjustments(sid)
    assert [(a.field, a.before, a.after, a.author, a.reason) for a in trail] == [
        ("billable", "true", "false", "sam", "caller was a test")]
