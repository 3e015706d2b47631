"""The dashboard page on a demo workspace: tiles, charts, filters, export, hover."""

from __future__ import annotations

import csv
from pathlib import Path

from ppcdesk.ui.pages.dashboard_page import DashboardPage


def loaded(qtbot, page: DashboardPage, loads: int) -> None:  # type: ignore[no-untyped-def]
    qtbot.waitUntil(lambda: page.loads >= loads, timeout=20_000)


def test_the_tiles_and_charts_show_the_services_figures(qtbot, window, services):
    page = window.pages["dashboard"]
    loaded(qtbot, page, 1)
    data = page.data
    assert data is not None
    expected = services.kpi.dashboard(data.period)
    assert page.tiles["total_calls"].value.text() == f"{expected.current['total_calls']:,}"
    assert page.tiles["revenue"].value.text() == "n/a" or expected.evaluated
    # The trend chart's table is what the service computed, day by day.
    assert [r[1] for r in page.trend.rows] == [r[1] for r in expected.series]
    assert sum(sum(row) for row in data.heat_calls) == expected.current["total_calls"]
    assert page.histogram.buffer.value() == expected.buffer_s


def test_a_filter_change_recomputes_for_that_publisher(qtbot, window, services):
    page = window.pages["dashboard"]
    loaded(qtbot, page, 1)
    everyone = page.data.current["total_calls"]
    page.combos["publisher"].setCurrentIndex(1)
    loaded(qtbot, page, 2)
    one = page.data.current["total_calls"]
    assert 0 < one < everyone
    assert [r[0] for r in page.ranking.rows] == [page.combos["publisher"].currentText()]


def test_charts_export_their_table_as_csv_and_their_picture_as_png(qtbot, window,
                                                                   tmp_path: Path):
    page = window.pages["dashboard"]
    loaded(qtbot, page, 1)
    page.heat_calls.save_csv(tmp_path / "heat.csv")
    rows = list(csv.reader((tmp_path / "heat.csv").read_text().splitlines()))
    assert rows[0][:3] == ["weekday", "00", "01"]
    assert [r[0] for r in rows[1:]] == ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
    total = sum(int(v) for r in rows[1:] for v in r[1:])
    assert total == page.data.current["total_calls"]
    page.trend.save_png(tmp_path / "trend.png")
    assert (tmp_path / "trend.png").read_bytes()[:4] == b"\x89PNG"


def test_hover_names_the_exact_value_under_the_mouse(qtbot, window):
    page = window.pages["dashboard"]
    loaded(qtbot, page, 1)
    first = page.trend.rows[0]
    assert page.trend.describe(0.1, 0).startswith(f"{page.data.grain}: {first[0]}")
    monday_noon = page.data.heat_calls[0][12]
    assert page.heat_calls.describe(12, 0) == f"Mon 12:00-12:59   {monday_noon:,} calls"


def test_unique_callers_follow_the_tiles_and_match_the_service(qtbot, window, services):
    page = window.pages["dashboard"]
    loaded(qtbot, page, 1)
    qtbot.waitUntil(lambda: page.unique_loads >= 1, timeout=20_000)
    expected = services.kpi.dashboard(page.data.period)
    assert page.tiles["unique_callers"].value.text() == (
        f"{expected.current['unique_callers']:,}")
    assert page.tiles["unique_callers"].delta.text() != ""


def test_a_newer_filter_wins_over_an_older_one_still_running(qtbot, window, services):
    page = window.pages["dashboard"]
    loaded(qtbot, page, 1)
    before = page.loads
    page.combos["publisher"].setCurrentIndex(1)
    page.combos["publisher"].setCurrentIndex(2)  # before the first answer arrives
    chosen = page.combos["publisher"].currentData()
    qtbot.waitUntil(lambda: page.data.filters.publisher_id == chosen
                    and page.data.counted, timeout=20_000)
    assert page.loads == before + 1  # the first request was cancelled or dropped: one paint
    expected = services.kpi.dashboard(page.data.period, page.data.filters)
    assert page.data.current == expected.current
    assert [r[0] for r in page.ranking.rows] == [page.combos["publisher"].currentText()]


def test_a_change_from_a_loss_is_measured_from_its_size():
    from ppcdesk.ui.pages.dashboard_page import change

    assert change(-1_500, -1_000) == ("▼ 50.0% vs previous", -1)  # the loss grew
    assert change(-500, -1_000) == ("▲ 50.0% vs previous", 1)
    assert change(1_200, 1_000) == ("▲ 20.0% vs previous", 1)


def test_an_n_a_tile_says_why(qtbot, window):
    page = window.pages["dashboard"]
    loaded(qtbot, page, 1)
    tile = page.tiles["conversion_rate"]
    if page.data.disposed[0]:  # the demo records no dispositions; if it ever does, say so
        assert tile.value.text() != "n/a"
    else:
        assert (tile.value.text(), tile.delta.text()) == ("n/a", "no dispositions recorded")
