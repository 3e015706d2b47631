"""The dashboard: KPI tiles against the previous period, and the charts of the trade.

Every figure comes from ``services.kpi.dashboard`` on the read lane; a filter change submits a
new query under the page's key, so a slower older answer is dropped, never painted over a newer
one, and cancels the older query inside SQLite (it stops within a millisecond instead of
running on beside the new one). The rollups answer the tiles and charts in a few ms, so they
are painted at once; unique callers (a pass over the calls themselves) follow a moment later.
The page reloads when shown after a sync, import, evaluation or spend entry changed calls,
outcomes or spend (change-sets, ``depends_on``).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any, ClassVar

from PySide6.QtCore import QDate, Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDateEdit,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from ppcdesk.core.changes import ChangeSet, Entity
from ppcdesk.core.progress import CancelledError, Job, Progress
from ppcdesk.kpi.catalog import BY_KEY, show
from ppcdesk.kpi.queries import Filters, Period
from ppcdesk.services.app_services import AppServices
from ppcdesk.services.kpi_service import PRESETS, UNIQUE_KEYS, Dashboard
from ppcdesk.ui import format as fmt
from ppcdesk.ui.charts.kpi_charts import HeatmapChart, HistogramChart, RankingChart, TrendChart
from ppcdesk.ui.pages.base import Page, scrolling
from ppcdesk.ui.widgets.elided_label import ElidedLabel
from ppcdesk.ui.workers import JobRunner

TILES = ("total_calls", "unique_callers", "answer_rate", "billable_rate", "conversion_rate",
         "revenue", "profit", "cost_per_call", "rpm", "roas")
CUSTOM = "custom range"


def change(now: float, before: float) -> tuple[str, int]:
    """The change against the previous period, measured from the size of the previous value.

    Profit from -$1,000 to -$1,500 is down 50% (a loss grew), not "up 50%" as dividing by a
    negative baseline would say.
    """
    if before >= 0:
        return fmt.change(now, before)
    delta = (now - before) / abs(before)
    sign = (delta > 0) - (delta < 0)
    arrow = "▲" if sign > 0 else "▼" if sign < 0 else "■"
    return f"{arrow} {abs(delta):.1%} vs previous", sign


class KpiTile(QFrame):
    """A figure, its label, and its change against the previous period."""

    def __init__(self, label: str, why: str = "") -> None:
        super().__init__()
        self.setObjectName("kpiTile")
        self.setToolTip(why)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(14, 8, 14, 8)
        self.label = QLabel(label)
        self.label.setObjectName("kpiLabel")
        self.value = QLabel("—")
        self.value.setObjectName("kpiValue")
        self.delta = ElidedLabel("")  # an n/a note may be longer than a narrow tile
        self.delta.setObjectName("kpiDelta")
        for widget in (self.label, self.value, self.delta):
            layout.addWidget(widget)

    def show_value(self, text: str, delta: tuple[str, int] | None = None,
                   *, good_when_up: bool = True, note: str = "") -> None:
        """The figure and its change; ``note`` (grey) says why there is no change to show."""
        self.value.setText(text)
        if delta is None:
            self.delta.setText(note)
            self.delta.setStyleSheet("color: #6b7280;")
            return
        words, sign = delta
        good = sign == 0 or (sign > 0) == good_when_up
        self.delta.setText(words)
        self.delta.setStyleSheet(f"color: {'#15803d' if good else '#b91c1c'};")


class WelcomePanel(QFrame):
    """What an empty workspace shows: connect Twilio, or explore the demo workspace."""

    open_demo = Signal()

    def __init__(self) -> None:
        super().__init__()
        self.setObjectName("welcome")
        layout = QVBoxLayout(self)
        title = QLabel("Welcome to ppcdesk")
        title.setObjectName("pageTitle")
        text = QLabel(
            "This workspace has no calls yet. Connect the Twilio account that owns your "
            "tracking numbers (Settings), and ppcdesk brings your numbers, calls and "
            "recordings onto this computer.\n\nWant to look around first? The demo workspace "
            "is a separate database with a year of realistic calls, so demo calls never mix "
            "with yours.")
        text.setWordWrap(True)
        self.button = QPushButton("Open the demo workspace")
        self.button.setDefault(True)
        self.button.clicked.connect(self.open_demo)
        layout.addWidget(title)
        layout.addWidget(text)
        layout.addWidget(self.button, alignment=Qt.AlignmentFlag.AlignLeft)
        layout.addStretch(1)


class DashboardPage(Page):
    title = "Dashboard"
    depends_on: ClassVar[frozenset[Entity]] = frozenset(
        {Entity.CALLS, Entity.SPEND, Entity.WORKSPACE, Entity.OUTCOMES, Entity.REVIEW,
         Entity.CAMPAIGNS, Entity.PARTNERS, Entity.NUMBERS})
    open_demo = Signal()

    def __init__(self, services: AppServices, runner: JobRunner) -> None:
        super().__init__(services, runner)
        self.welcome = WelcomePanel()
        self.welcome.open_demo.connect(self.open_demo)
        self.welcome.hide()
        self.layout_.addWidget(self.welcome)
        self.body = QWidget()
        body = QVBoxLayout(self.body)
        body.setContentsMargins(0, 0, 0, 0)
        body.addLayout(self._filter_bar())
        self.period = QLabel("")
        self.period.setObjectName("periodLabel")
        self.period.setWordWrap(True)  # its notes wrap in a narrow window
        line = QHBoxLayout()  # the period and the spend that its money figures depend on
        line.addWidget(self.period, 1)
        line.addWidget(self.spend_button)
        body.addLayout(line)
        content = QWidget()  # tiles and charts: the part that scrolls in a small window
        figures = QVBoxLayout(content)
        figures.setContentsMargins(0, 0, 0, 0)
        tiles = QGridLayout()
        tiles.setSpacing(8)
        self.tiles = {key: KpiTile(BY_KEY[key].label, BY_KEY[key].why) for key in TILES}
        for i, tile in enumerate(self.tiles.values()):
            tiles.addWidget(tile, i // 5, i % 5)
        for column in range(5):  # equal widths, whatever a tile's note says
            tiles.setColumnStretch(column, 1)
        figures.addLayout(tiles)
        charts = QGridLayout()
        charts.setSpacing(8)
        self.trend = TrendChart()
        self.ranking = RankingChart()
        self.heat_calls = HeatmapChart("Calls by hour and weekday", "#0f766e")
        self.heat_answer = HeatmapChart("Answer rate by hour and weekday", "#7c3aed")
        self.histogram = HistogramChart()
        charts.addWidget(self.trend, 0, 0, 1, 2)
        charts.addWidget(self.ranking, 0, 2)
        charts.addWidget(self.heat_calls, 1, 0)
        charts.addWidget(self.heat_answer, 1, 1)
        charts.addWidget(self.histogram, 1, 2)
        for column in range(3):  # equal thirds, whatever a chart's title says
            charts.setColumnStretch(column, 1)
        figures.addLayout(charts, 1)
        # Below the height the tiles and charts need (the window's 1024x640 minimum), they
        # scroll instead of being squeezed until their axes are cut off; the filters and the
        # period line (its notes wrap, which a scroll area would size at their widest) stay.
        body.addWidget(scrolling(content), 1)
        self.layout_.addWidget(self.body, 1)
        self.data: Dashboard | None = None
        self.unique_loads = 0  # how many unique-caller counts were painted (tests wait on it)
        self._cancel = threading.Event()
        self._options_loaded = False
        self._building = False

    # ---------------------------------------------------------------- filters
    def _filter_bar(self) -> QHBoxLayout:
        bar = QHBoxLayout()
        self.preset = QComboBox()
        self.preset.addItems([*PRESETS, CUSTOM])
        self.preset.setCurrentText("last 30 days")
        self.start_edit, self.end_edit = QDateEdit(), QDateEdit()
        self.to_label = QLabel("to")
        for edit in (self.start_edit, self.end_edit):
            edit.setCalendarPopup(True)
            edit.setDisplayFormat("yyyy-MM-dd")
            edit.dateChanged.connect(self._custom_changed)
        self._show_dates(custom=False)
        self.combos: dict[str, QComboBox] = {}
        bar.addWidget(QLabel("Period"))
        bar.addWidget(self.preset)
        bar.addWidget(self.start_edit)
        bar.addWidget(self.to_label)
        bar.addWidget(self.end_edit)
        for kind in ("campaign", "publisher", "buyer", "number"):
            combo = QComboBox()
            combo.addItem(f"every {kind}", None)
            combo.setMinimumContentsLength(10)
            # As wide as 10 characters, not as the longest name: the bar fits a laptop.
            combo.setSizeAdjustPolicy(
                QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
            combo.currentIndexChanged.connect(self._filters_changed)
            self.combos[kind] = combo
            bar.addWidget(combo)
        bar.addStretch(1)
        self.spend_button = QPushButton("Media spend…")
        self.spend_button.setToolTip("What you paid for ads, by day: profit, cost per call "
                                     "and ROAS are figured from it")
        self.spend_button.clicked.connect(self._open_spend)
        self.preset.currentTextChanged.connect(self._preset_changed)
        return bar

    def filters(self) -> Filters:
        def chosen(kind: str) -> int | None:
            value = self.combos[kind].currentData()
            return None if value is None else int(value)

        return Filters(chosen("campaign"), chosen("publisher"), chosen("buyer"),
                       chosen("number"))

    def _preset_changed(self, name: str) -> None:
        self._show_dates(custom=name == CUSTOM)
        self.reload()

    def _show_dates(self, *, custom: bool) -> None:
        """The date fields only for a custom range: a preset's days are in the period line.

        Greyed-out, they took a third of the filter bar, which then did not fit a laptop.
        """
        for widget in (self.start_edit, self.to_label, self.end_edit):
            widget.setVisible(custom)

    def _custom_changed(self) -> None:
        if self.preset.currentText() == CUSTOM:
            self.reload()

    def _filters_changed(self) -> None:
        if self._options_loaded:
            self.reload()

    # ---------------------------------------------------------------- loading
    def load(self) -> None:
        preset = self.preset.currentText()
        custom = (_day(self.start_edit.date()), _day(self.end_edit.date()))
        filters = self.filters()
        services = self.services
        self._cancel.set()  # the older request, if it still runs, stops here
        cancel = self._cancel = threading.Event()

        def fetch() -> tuple[str, Any]:
            try:
                return fetch_or_cancel()
            except CancelledError:
                return "cancelled", None

        def fetch_or_cancel() -> tuple[str, Any]:
            zone = services.zone()
            newest = services.kpi.newest_day(zone)
            # Counting every call to learn that there are some cost ~50 ms a filter change.
            if newest is None and services.is_empty():
                return "empty", None
            if not services.kpi.rollups_ready():
                return "build", None
            today = services.today() if newest is None else min(
                services.today(), newest + timedelta(days=1))
            if preset == CUSTOM:
                start, end = custom
                period = Period(min(start, end), max(start, end), zone)
            else:
                period = services.kpi.preset(preset, zone, today)
            options = None if self._options_loaded else _options(services)
            board = services.kpi.dashboard(period, filters, unique=False, cancel=cancel.is_set)
            return "ok", (board, options)

        self.query(fetch, self._show)

    def _show(self, result: tuple[str, Any]) -> None:
        state, payload = result
        self.welcome.setVisible(state == "empty")
        self.body.setVisible(state != "empty")
        if state == "build":
            self._build_rollups()
            return
        if state != "ok":
            return
        data, options = payload
        if options is not None:
            self._fill_options(options)
        self.paint(data)
        if not data.counted:
            self._count_unique(data, self._cancel)

    def _count_unique(self, data: Dashboard, cancel: threading.Event) -> None:
        kpi = self.services.kpi

        def fetch() -> Dashboard | None:
            try:
                return kpi.with_unique(data, cancel.is_set)
            except CancelledError:
                return None

        self.runner.query("page:DashboardPage:unique", fetch, self._show_unique,
                          self.show_error)

    def _show_unique(self, board: Dashboard | None) -> None:
        current = self.data
        if board is None or current is None or (board.period, board.filters) != (
                current.period, current.filters):
            return
        self.data = board
        self._paint_tiles(board)
        self.unique_loads += 1

    def _build_rollups(self) -> None:
        if self._building:
            return
        self._building = True
        self.period.setText("Summing your calls for the dashboard (once)…")
        zone = self.services.zone()

        def done(_changes: ChangeSet) -> None:
            self._building = False
            self.reload()

        self.runner.submit("Summing calls for the dashboard",
                           lambda: self.services.kpi.rebuild_job(zone), on_done=done)

    def _fill_options(self, options: dict[str, list[tuple[int, str]]]) -> None:
        for kind, rows in options.items():
            combo = self.combos[kind]
            combo.blockSignals(True)  # noqa: FBT003
            for ident, name in rows:
                combo.addItem(name, ident)
            combo.blockSignals(False)  # noqa: FBT003
        self._options_loaded = True

    def paint(self, data: Dashboard) -> None:
        """Fill the tiles and charts from one Dashboard (GUI thread)."""
        self.data = data
        p = data.period
        self.start_edit.blockSignals(True)  # noqa: FBT003
        self.end_edit.blockSignals(True)  # noqa: FBT003
        self.start_edit.setDate(QDate(p.start.year, p.start.month, p.start.day))
        self.end_edit.setDate(QDate(p.end.year, p.end.month, p.end.day))
        self.start_edit.blockSignals(False)  # noqa: FBT003
        self.end_edit.blockSignals(False)  # noqa: FBT003
        note = "" if data.evaluated else ("   No contract has evaluated these calls yet: "
                                          "money and quality figures are n/a.")
        if data.filters.buyer_id is not None:  # else a solid 100% heatmap looks like a bug
            note += "   A buyer's calls are the calls it answered: its answer rate is 100%."
        self.period.setText(f"{p.start:%b %d, %Y} to {p.end:%b %d, %Y} ({p.zone}), against "
                            f"{data.previous.start:%b %d} to {data.previous.end:%b %d}.{note}")
        self._paint_tiles(data)
        self.trend.show_series(list(data.series), data.grain)
        self.heat_calls.show_grid(data.heat_calls, "calls")
        self.heat_answer.show_grid(data.heat_answer, "rate")
        self.ranking.show_ranking([(n, c, None if r is None else float(r),
                                    None if m is None else float(m))
                                   for n, c, r, m in data.publishers], data.ranked_by)
        self.histogram.show_bins(list(data.histogram), data.buffer_s, data.buffer_from)

    def _paint_tiles(self, data: Dashboard) -> None:
        for key, tile in self.tiles.items():
            kpi = BY_KEY[key]
            if not data.counted and key in UNIQUE_KEYS:
                tile.show_value("…")  # being counted: a moment, not "n/a"
                continue
            now, before = data.current[key], data.before[key]
            delta = None if now is None or before is None else change(now, before)
            tile.show_value(show(kpi.unit, now), delta, good_when_up=kpi.good_when_up,
                            note=why_na(key, data) if now is None else "")


    # ---------------------------------------------------------------- spend
    def _open_spend(self) -> None:
        from ppcdesk.ui.dialogs.spend_dialog import SpendDialog

        dialog = SpendDialog(self.services, self.runner, self)
        dialog.exec()


def _day(value: QDate) -> date:
    return date(value.year(), value.month(), value.day())


def _options(services: AppServices) -> dict[str, list[tuple[int, str]]]:
    return {"campaign": [(r.id, r.name) for r in services.campaigns()],
            "publisher": [(r.id, r.name) for r in services.publishers()],
            "buyer": [(r.id, r.name) for r in services.buyers()],
            "number": [(r.id, r.friendly_name or r.e164) for r in services.numbers()]}


def one_step(fn: Callable[[], ChangeSet], message: str) -> Job[ChangeSet]:
    """A short write as a job, so it too runs on the write lane."""
    yield Progress(0, None, message)
    return fn()


def why_na(key: str, data: Dashboard) -> str:
    """Why a tile shows n/a, in a few words a publisher can act on."""
    keys = BY_KEY[key].expr.keys()
    if BY_KEY[key].needs_outcomes and not data.evaluated:
        return "no contract has decided these calls"
    if "conversions" in keys and not data.disposed[0]:
        return "no dispositions recorded"
    if "media_micros" in keys and not data.spend_known[0]:  # kept per campaign, publisher
        return "no spend per buyer" if data.filters.buyer_id is not None else (
            "no spend per number")
    return "nothing to divide by"
