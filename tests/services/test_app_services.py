"""AppServices over a small demo workspace: the dashboard and the lists add up."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from ppcdesk.config import paths as paths_mod
from ppcdesk.core.clock import FixedClock, day_start_epoch
from ppcdesk.core.progress import run_job
from ppcdesk.services.app_services import AppServices
from ppcdesk.storage import migrate
from ppcdesk.storage.db import Database

CALLS, SEED, END = 2_000, 7, date(2026, 11, 20)
ZONE = "America/New_York"  # the demo workspace's zone and the default setting


@pytest.fixture(scope="module")
def services(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AppServices]:
    home = tmp_path_factory.mktemp("services-home")
    paths = paths_mod.resolve(home).ensure()
    db = Database(paths.data / "demo.sqlite")
    migrate.upgrade(db)
    # The clock is a day after the demo year, so "now" never depends on when tests run.
    clock = FixedClock(datetime(2026, 11, 21, 15, tzinfo=UTC))
    app = AppServices(db, paths, clock)
    run_job(app.demo_job(calls=CALLS, seed=SEED, end=END))
    yield app
    db.dispose()


def count_between(app: AppServices, start: int, end: int) -> int:
    with app.db.read() as conn:
        return int(conn.exec_driver_sql(
            "SELECT COUNT(*) FROM calls WHERE started_at >= ? AND started_at < ?",
            (start, end)).scalar_one())


def test_the_demo_wrote_what_was_asked(services: AppServices) -> None:
    assert services.count_calls() == CALLS
    workspace = services.workspace()
    assert workspace is not None
    assert workspace.is_demo
    assert services.zone() == ZONE


def test_the_dashboard_has_thirty_days_that_sum_to_the_period(services: AppServices) -> None:
    dash = services.dashboard()
    assert dash.end_day == END  # the day of the newest call
    assert dash.start_day == END - timedelta(days=29)
    assert len(dash.daily) == 30
    assert [d.day for d in dash.daily] == [
        (dash.start_day + timedelta(days=i)).isoformat() for i in range(30)]
    assert sum(d.calls for d in dash.daily) == dash.current.calls
    assert sum(d.answered for d in dash.daily) == dash.current.answered
    # ...and the period is what SQL counts between local midnights, independently.
    start = day_start_epoch(dash.start_day, ZONE)
    end = day_start_epoch(END + timedelta(days=1), ZONE)
    assert dash.current.calls == count_between(services, start, end)
    assert dash.current.calls > 0


def test_the_previous_period_is_the_thirty_days_before(services: AppServices) -> None:
    dash = services.dashboard()
    start = day_start_epoch(dash.start_day - timedelta(days=30), ZONE)
    end = day_start_epoch(dash.start_day, ZONE)
    assert dash.previous.calls == count_between(services, start, end)


def test_each_daily_point_counts_the_calls_of_that_local_day(services: AppServices) -> None:
    dash = services.dashboard(days=7, end=date(2026, 11, 15))
    assert len(dash.daily) == 7
    for point in dash.daily:
        day = date.fromisoformat(point.day)
        assert point.calls == count_between(services, day_start_epoch(day, ZONE),
                                            day_start_epoch(day + timedelta(days=1), ZONE))


def test_an_empty_workspace_dashboard_ends_yesterday_by_the_clock(tmp_path: Path) -> None:
    paths = paths_mod.resolve(tmp_path / "home").ensure()
    db = Database(tmp_path / "empty.sqlite")
    try:
        migrate.upgrade(db)
        # 03:00 UTC on March 8 is 22:00 on March 7 in New York: "yesterday" is March 6.
        app = AppServices(db, paths, FixedClock(datetime(2026, 3, 8, 3, tzinfo=UTC)))
        dash = app.dashboard()
    finally:
        db.dispose()
    assert dash.end_day == date(2026, 3, 6)
    assert len(dash.daily) == 30
    assert sum(d.calls for d in dash.daily) == 0
    assert dash.current.calls == 0


def test_the_dashboard_never_shows_a_day_that_is_not_over(services: AppServices) -> None:
    # The clock says Nov 21, 10:00 in New York; the demo's newest call is on Nov 20.
    assert services.dashboard().end_day == END
    early = AppServices(services.db, services.paths,
                        FixedClock(datetime(2026, 11, 10, 15, tzinfo=UTC)))
    assert early.dashboard().end_day == date(2026, 11, 9)


def test_numbers_campaigns_and_publishers_account_for_every_call(
        services: AppServices) -> None:
    total = services.count_calls()
    numbers, campaigns = services.numbers(), services.campaigns()
    publishers = services.publishers()
    assert numbers
    assert campaigns
    assert publishers
    assert sum(n.calls for n in numbers) == total
    assert sum(c.calls for c in campaigns) == total
    assert sum(p.calls for p in publishers) == total
    assert sum(c.numbers for c in campaigns) == len(numbers)


def test_buyers_account_for_every_answered_call(services: AppServices) -> None:
    with services.db.read() as conn:
        answered = conn.exec_driver_sql(
            "SELECT COUNT(*) FROM calls WHERE buyer_id IS NOT NULL").scalar_one()
    buyers = services.buyers()
    assert buyers
    assert all(b.destinations for b in buyers)
    assert sum(b.answered_calls for b in buyers) == answered
    assert 0 < answered < services.count_calls()


def test_the_call_log_pages_through_every_call(services: AppServices) -> None:
    seen: set[str] = set()
    last = None
    while page := services.calls_after(last, limit=500):
        seen.update(call.sid for call in page)
        last = page[-1]
    assert len(seen) == CALLS


def test_info_reports_the_schema_and_counts(services: AppServices) -> None:
    info = services.info()
    assert info.counts["calls"] == CALLS
    assert info.schema_revision == info.schema_head == migrate.head_revision()
    assert info.first_call_at is not None
    assert info.last_call_at is not None
    assert info.first_call_at <= info.last_call_at
