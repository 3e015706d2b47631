"""The KPI service over a small demo year (with its contracts evaluated): periods, filters,
the previous period, n/a, the buffer drawn on the histogram, and spend entered by hand."""

from __future__ import annotations

import shutil
import threading
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from ppcdesk.config import paths as paths_mod
from ppcdesk.core.clock import FixedClock
from ppcdesk.core.errors import DataError
from ppcdesk.core.progress import CancelledError, run_job
from ppcdesk.kpi import catalog
from ppcdesk.kpi.queries import Filters, Period
from ppcdesk.services.app_services import AppServices
from ppcdesk.storage import migrate
from ppcdesk.storage.db import Database
from sqlalchemy.exc import OperationalError

ZONE = "America/New_York"
END = date(2026, 11, 20)  # the demo's last day; "today" is the 21st
MONTH = Period(date(2026, 10, 22), END, ZONE)  # the dashboard's default: 30 days


NOW = datetime(2026, 11, 21, 15, tzinfo=UTC)


@pytest.fixture(scope="module")
def demo_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The small demo year as a SQLite file, made once and never written after."""
    home = tmp_path_factory.mktemp("kpi-demo")
    db = Database(home / "demo.sqlite")
    migrate.upgrade(db)
    paths = paths_mod.resolve(home / "home").ensure()
    run_job(AppServices(db, paths, FixedClock(NOW)).demo_job(calls=3_000, seed=5, end=END))
    db.dispose()
    return home / "demo.sqlite"


def _services(target: str | Path, home: Path) -> AppServices:
    return AppServices(Database(target), paths_mod.resolve(home).ensure(), FixedClock(NOW))


@pytest.fixture(scope="module",
                params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgresql)])
def app(request: pytest.FixtureRequest, demo_file: Path,
        tmp_path_factory: pytest.TempPathFactory) -> Iterator[AppServices]:
    """The demo year on each back end, once per module (on PostgreSQL: the file copied into
    a new database). Tests read it, or put back what they change."""
    home = tmp_path_factory.mktemp("kpi-home")
    if request.param == "sqlite":
        shutil.copy(demo_file, home / "demo.sqlite")
        services = _services(home / "demo.sqlite", home)
        yield services
        services.db.dispose()
        return
    server = request.getfixturevalue("pg_server")
    url = server.create_database(template=request.getfixturevalue("_pg_template"))
    services = _services(url, home)
    _copy(demo_file, services.db)
    yield services
    services.db.dispose()
    server.drop_database(url)


def _copy(source: Path, destination: Database) -> None:
    """The SQLite workspace ``source`` copied into ``destination`` (ppcdesk workspace copy)."""
    from ppcdesk.storage.copy import copy_job

    src = Database(source)
    try:
        assert run_job(copy_job(src, destination)).committed
    finally:
        src.dispose()


def _id(rows: list[tuple[int, str]], name: str) -> int:
    return next(i for i, n in rows if n == name)


@pytest.mark.parametrize(("preset", "start", "end"), [
    # today is Saturday 2026-11-21; every preset ends yesterday
    ("yesterday", "2026-11-20", "2026-11-20"),
    ("last 7 days", "2026-11-14", "2026-11-20"),
    ("last 30 days", "2026-10-22", "2026-11-20"),
    ("last 90 days", "2026-08-23", "2026-11-20"),
    ("last 365 days", "2025-11-21", "2026-11-20"),
    ("month to date", "2026-11-01", "2026-11-20"),
    ("last month", "2026-10-01", "2026-10-31"),
    ("year to date", "2026-01-01", "2026-11-20"),
])
def test_each_preset_is_whole_days_ending_yesterday(app: AppServices, preset: str, start: str,
                                                    end: str) -> None:
    period = app.kpi.preset(preset, ZONE)
    assert (period.start.isoformat(), period.end.isoformat(), period.zone) == (start, end, ZONE)


def test_month_to_date_on_the_first_is_yesterday_not_an_empty_period(app: AppServices) -> None:
    period = app.kpi.preset("month to date", ZONE, today=date(2026, 11, 1))
    assert (period.start, period.end) == (date(2026, 10, 31), date(2026, 10, 31))
    with pytest.raises(DataError, match="no period preset 'fortnight'"):
        app.kpi.preset("fortnight", ZONE)


def test_the_previous_period_is_as_long_and_just_before() -> None:
    before = MONTH.previous()
    assert (before.start, before.end, before.days) == (date(2026, 9, 22), date(2026, 10, 21), 30)


def test_the_dashboard_tiles_compare_with_the_report_of_the_previous_period(
        app: AppServices) -> None:
    board = app.kpi.dashboard(MONTH)
    assert board.previous == MONTH.previous()
    assert board.current == app.kpi.report(MONTH).rows[0].values
    assert board.before == app.kpi.report(MONTH.previous()).rows[0].values
    assert board.current["total_calls"] > 0
    assert board.before["total_calls"] > 0
    assert board.evaluated  # the demo's contracts decided about its calls
    # Under a filter too (unique callers of both periods come from one pass of their own).
    peak = Filters(publisher_id=_id([(p.id, p.name) for p in app.publishers()],
                                    "Peak Leads Co"))
    week = Period(date(2026, 11, 14), END, ZONE)
    for period in (MONTH, week):
        board = app.kpi.dashboard(period, peak)
        assert board.current == app.kpi.report(period, peak).rows[0].values
        assert board.before == app.kpi.report(period.previous(), peak).rows[0].values


def test_every_chart_adds_up_to_the_tiles(app: AppServices) -> None:
    board = app.kpi.dashboard(MONTH)
    calls = board.current["total_calls"]
    assert sum(row[1] for row in board.series) == calls
    assert sum(row[2] for row in board.series) == board.current["billable_calls"]
    assert sum(row[3] for row in board.series) == board.current["revenue"]
    assert sum(map(sum, board.heat_calls)) == calls
    assert sum(row[1] for row in board.publishers) == calls
    assert sum(n for _, _, n in board.histogram) == board.current["answered_calls"]
    assert [row[0] for row in board.series][:2] == ["2026-10-22", "2026-10-23"]  # days
    assert board.grain == "day"
    assert app.kpi.dashboard(Period(date(2026, 1, 1), END, ZONE)).grain == "week"


def test_a_breakdown_adds_up_and_a_filter_gives_its_row(app: AppServices) -> None:
    whole = app.kpi.report(MONTH).rows[0].values
    by = app.kpi.report(MONTH, by="publisher")
    assert sum(r.values["total_calls"] for r in by.rows) == whole["total_calls"]
    assert sum(r.values["revenue"] for r in by.rows) == whole["revenue"]
    peak = _id([(p.id, p.name) for p in app.publishers()], "Peak Leads Co")
    (row,) = [r for r in by.rows if r.label == "Peak Leads Co"]
    alone = app.kpi.report(MONTH, Filters(publisher_id=peak)).rows[0].values
    assert alone["total_calls"] == row.values["total_calls"]
    assert alone["revenue"] == row.values["revenue"]
    assert alone["unique_callers"] == row.values["unique_callers"]
    with pytest.raises(DataError, match="cannot break down by 'colour'"):
        app.kpi.report(MONTH, by="colour")


def test_spend_is_n_a_under_a_buyer_filter_and_ratios_of_nothing_are_n_a(
        app: AppServices) -> None:
    whole = app.kpi.report(MONTH).rows[0].values
    assert whole["media_cost"] > 0  # the demo enters its own ads' spend
    apex = _id([(b.id, b.name) for b in app.buyers()], "Apex Auto Insurance Group")
    one_buyer = app.kpi.report(MONTH, Filters(buyer_id=apex)).rows[0].values
    assert one_buyer["revenue"] > 0
    # Spend is kept per campaign and publisher, not per buyer: unknown, never 0.
    assert one_buyer["media_cost"] is None
    assert one_buyer["cost_per_call"] is None
    assert one_buyer["roas"] is None
    assert one_buyer["profit"] is None
    empty = app.kpi.report(Period(date(2020, 1, 1), date(2020, 1, 31), ZONE)).rows[0].values
    assert empty["total_calls"] == 0
    assert empty["answer_rate"] is None
    assert empty["revenue"] is None  # nothing evaluated in that period
    assert empty["cost_per_call"] is None


def test_the_histogram_draws_the_selected_buyers_buffer(app: AppServices) -> None:
    buyers = [(b.id, b.name) for b in app.buyers()]
    keystone = app.kpi.dashboard(MONTH, Filters(buyer_id=_id(buyers, "Keystone Direct Insurance")))
    assert (keystone.buffer_s, keystone.buffer_from) == (60, "Keystone Direct - Auto Insurance")
    silverline = app.kpi.dashboard(
        MONTH, Filters(buyer_id=_id(buyers, "Silverline Health Partners")))
    assert silverline.buffer_s == 120
    hvac = _id([(c.id, c.name) for c in app.campaigns()], "HVAC Repair")
    assert app.kpi.dashboard(MONTH, Filters(campaign_id=hvac)).buffer_s == 90
    # Every buyer: the buffer most contracts share (60, 90 and 120 s twice each: the first
    # by contract name, Apex's 90 s), and it says how many share it.
    whole = app.kpi.dashboard(MONTH)
    assert (whole.buffer_s, whole.buffer_from) == (90, "2 of 7 buyer contracts")


def test_spend_entered_by_hand_replaces_that_days_amount(app: AppServices) -> None:
    day = Period(date(2019, 6, 3), date(2019, 6, 3), ZONE)  # no demo spend there
    app.kpi.add_spend(day.start, 250_000_000, source="radio")
    app.kpi.add_spend(day.start, 300_000_000, source="radio")
    assert app.kpi.report(day).rows[0].values["media_cost"] == 300_000_000
    with pytest.raises(DataError, match="cannot be negative"):
        app.kpi.add_spend(day.start, -1)


def test_unique_callers_can_follow_the_rest_and_add_up_the_same(app: AppServices) -> None:
    whole = app.kpi.dashboard(MONTH)
    quick = app.kpi.dashboard(MONTH, unique=False)
    assert not quick.counted
    assert quick.current["unique_callers"] is None  # not counted yet, not 0
    assert quick.before["repeat_callers"] is None
    assert quick.current["total_calls"] == whole.current["total_calls"]
    counted = app.kpi.with_unique(quick)
    assert counted.counted
    assert counted.current == whole.current
    assert counted.before == whole.before


def test_a_cancelled_request_stops_with_cancelled_error(app: AppServices) -> None:
    with pytest.raises(CancelledError):
        app.kpi.dashboard(MONTH, cancel=lambda: True)
    looks = 0

    def later() -> bool:  # lets the query start, then says stop
        nonlocal looks
        looks += 1
        return looks > 3

    quick = app.kpi.dashboard(MONTH, unique=False)
    if app.db.dialect == "sqlite":
        with pytest.raises(CancelledError):
            app.kpi.with_unique(quick, later)
        assert looks > 3  # SQLite asked while counting, not only before and after
    else:
        _stops_a_running_postgresql_query(app)
    assert app.kpi.with_unique(quick, lambda: False).counted  # the connection is usable again


def _stops_a_running_postgresql_query(app: AppServices) -> None:
    """PostgreSQL's cancel: a thread watching the flag ends the server's query at once."""
    asked = threading.Event()

    def from_the_watcher() -> bool:  # only the watching thread's look says stop
        if threading.current_thread() is not threading.main_thread():
            asked.set()
        return asked.is_set()

    with pytest.raises(CancelledError) as info, app.kpi._reading(from_the_watcher) as conn:
        conn.exec_driver_sql("SELECT pg_sleep(60)")
    # Stopped inside the server (the query failed), not waited out and refused after.
    assert isinstance(info.value.__context__, OperationalError)


def test_with_the_demos_dispositions_publishers_rank_by_conversion_rate(
        app: AppServices) -> None:
    board = app.kpi.dashboard(MONTH)
    assert board.current["conversions"]
    assert board.ranked_by == "conversion_rate"
    assert board.publishers[-1][0] == "ClickSurge Network"  # its callers rarely buy


def test_without_dispositions_conversions_are_unknown_and_publishers_rank_by_rpm(
        app: AppServices) -> None:
    # The demo's buyers report dispositions; a workspace nobody reviewed in has none.
    with app.db.write() as conn:
        kept = conn.exec_driver_sql("SELECT * FROM dispositions ORDER BY id").fetchall()
        conn.exec_driver_sql("DELETE FROM dispositions")
    try:
        board = app.kpi.dashboard(MONTH)
        assert board.current["conversions"] is None
        assert board.current["conversion_rate"] is None
        assert board.current["cpa"] is None
        assert board.ranked_by == "rpm"
        rpms = [rpm for _, _, _, rpm in board.publishers]
        assert rpms == sorted(rpms, key=lambda v: -(v or 0))
        assert app.kpi.report(MONTH).rows[0].values["conversion_rate"] is None
    finally:  # the module's other tests share this demo
        with app.db.write() as conn:
            conn.exec_driver_sql("INSERT INTO dispositions VALUES (?, ?, ?, ?, ?, ?)",
                                 [tuple(row) for row in kept])


@pytest.mark.postgresql
def test_postgresql_rebuilds_the_same_rollups_and_figures_as_sqlite(
        demo_file: Path, pg_url: str, tmp_path: Path) -> None:
    # The same demo on both back ends, each rollup rebuilt there from the calls (PostgreSQL's
    # rebuild runs its own SQL over the copied calls, outcomes and dispositions).
    shutil.copy(demo_file, tmp_path / "demo.sqlite")
    lite, pg = _services(tmp_path / "demo.sqlite", tmp_path), _services(pg_url, tmp_path)
    _copy(demo_file, pg.db)
    try:
        for services in (lite, pg):
            run_job(services.kpi.rebuild_job(ZONE))
        for table in ("kpi_hourly", "kpi_daily"):
            rows = []
            for services in (lite, pg):
                with services.db.read() as conn:
                    rows.append([tuple(map(int, r)) for r in conn.exec_driver_sql(
                        f"SELECT * FROM {table} ORDER BY 1, 2, 3, 4, 5")])
            assert len(rows[0]) > 1_000
            assert rows[0] == rows[1], table
        year = Period(date(2025, 11, 21), END, ZONE)
        for by in (None, *catalog.DIMENSIONS):
            for period in (MONTH, year):
                assert lite.kpi.report(period, by=by) == pg.kpi.report(period, by=by), by
        lax = Period(MONTH.start, MONTH.end, "America/Los_Angeles")  # the hourly table
        assert lite.kpi.report(lax, by="month") == pg.kpi.report(lax, by="month")
        peak = Filters(publisher_id=_id([(p.id, p.name) for p in lite.publishers()],
                                        "Peak Leads Co"))
        for period, filters in ((MONTH, Filters()), (year, Filters()), (MONTH, peak)):
            assert lite.kpi.dashboard(period, filters) == pg.kpi.dashboard(period, filters)
        money = pg.kpi.report(MONTH).rows[0].values
        assert type(money["revenue"]) is int  # micros, not Decimal
        assert type(money["media_cost"]) is int
    finally:
        lite.db.dispose()
        pg.db.dispose()

