"""The dashboard: the last 30 days against the 30 before, and calls per day.

The KPI catalogue (a later issue) fills in every figure of the trade; the foundation shows the
ones the data already holds, computed by SQL on the read lane.
"""

from __future__ import annotations

from datetime import date
from typing import ClassVar

import pyqtgraph as pg
from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QFrame, QGridLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from ppcdesk.core.changes import Entity
from ppcdesk.services.app_services import AppServices, DashboardData
from ppcdesk.ui import format as fmt
from ppcdesk.ui.pages.base import Page
from ppcdesk.ui.workers import JobRunner

TEAL = "#0f766e"
AMBER = "#f59e0b"


class KpiTile(QFrame):
    """A figure, its label, and its change against the previous period."""

    def __init__(self, label: str) -> None:
        super().__init__()
        self.setObjectName("kpiTile")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(14, 10, 14, 10)
        self.label = QLabel(label)
        self.label.setObjectName("kpiLabel")
        self.value = QLabel("—")
        self.value.setObjectName("kpiValue")
        self.delta = QLabel("")
        self.delta.setObjectName("kpiDelta")
        for widget in (self.label, self.value, self.delta):
            layout.addWidget(widget)

    def show_value(self, text: str, delta: tuple[str, int] | None = None,
                   *, good_when_up: bool = True) -> None:
        self.value.setText(text)
        if delta is None:
            self.delta.setText("")
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


class DayAxis(pg.AxisItem):  # type: ignore[misc]  # pyqtgraph ships no type hints
    """Day numbers on the x axis shown as dates."""

    def __init__(self, days: list[str]) -> None:
        super().__init__(orientation="bottom")
        self.days = days

    def tickStrings(self, values: list[float], scale: float, spacing: float  # noqa: N802
                    ) -> list[str]:
        del scale, spacing
        out = []
        for v in values:
            i = round(v)
            out.append(date.fromisoformat(self.days[i]).strftime("%b %d")
                       if 0 <= i < len(self.days) else "")
        return out


class DashboardPage(Page):
    title = "Dashboard"
    depends_on: ClassVar[frozenset[Entity]] = frozenset(
        {Entity.CALLS, Entity.SPEND, Entity.WORKSPACE, Entity.OUTCOMES})
    open_demo = Signal()

    def __init__(self, services: AppServices, runner: JobRunner) -> None:
        super().__init__(services, runner)
        self.period = QLabel("")
        self.period.setObjectName("periodLabel")
        self.layout_.addWidget(self.period)
        self.welcome = WelcomePanel()
        self.welcome.open_demo.connect(self.open_demo)
        self.welcome.hide()
        self.layout_.addWidget(self.welcome)

        self.body = QWidget()
        body = QVBoxLayout(self.body)
        body.setContentsMargins(0, 0, 0, 0)
        grid = QGridLayout()
        grid.setSpacing(10)
        self.tiles = {key: KpiTile(label) for key, label in (
            ("calls", "Calls"), ("answer_rate", "Answer rate"),
            ("unique", "Unique callers"), ("talk", "Talk minutes"),
            ("telco", "Telco cost"), ("spend", "Media spend"),
        )}
        for i, tile in enumerate(self.tiles.values()):
            grid.addWidget(tile, 0, i)
        body.addLayout(grid)
        self.days: list[str] = []
        self.axis = DayAxis(self.days)
        self.chart = pg.PlotWidget(axisItems={"bottom": self.axis}, background="w")
        self.chart.setMinimumHeight(260)
        self.chart.showGrid(x=False, y=True, alpha=0.25)
        self.chart.setMouseEnabled(x=False, y=False)
        self.chart.setMenuEnabled(False)
        self.chart.addLegend(offset=(10, 10))
        self.chart.setTitle("Calls per day", color="#334155", size="11pt")
        self.calls_bars = pg.BarGraphItem(x=[], height=[], width=0.7, brush=pg.mkBrush(
            "#99d5cf"), pen=pg.mkPen(None), name="Calls")
        self.answered_line = self.chart.plot([], [], pen=pg.mkPen(TEAL, width=2.5),
                                             symbol="o", symbolSize=5, symbolBrush=TEAL,
                                             name="Answered")
        self.calls_bars.setZValue(-1)  # the answered line stays readable over the bars
        self.chart.addItem(self.calls_bars)
        body.addWidget(self.chart, 1)
        self.layout_.addWidget(self.body, 1)
        self.data: DashboardData | None = None

    def load(self) -> None:
        self.query(lambda: (self.services.is_empty(), self.services.dashboard(30)), self._show)

    def _show(self, result: tuple[bool, DashboardData]) -> None:
        empty, data = result
        self.data = data
        self.welcome.setVisible(empty)
        self.body.setVisible(not empty)
        self.period.setVisible(not empty)
        if empty:
            return
        cur, prev = data.current, data.previous
        self.period.setText(f"Last 30 days: {data.start_day:%b %d} to {data.end_day:%b %d, %Y} "
                            f"({data.zone}), compared with the 30 days before")
        self.tiles["calls"].show_value(fmt.count(cur.calls), fmt.change(cur.calls, prev.calls))
        rate = cur.answered / cur.calls if cur.calls else 0.0
        prev_rate = prev.answered / prev.calls if prev.calls else 0.0
        self.tiles["answer_rate"].show_value(fmt.percent(cur.answered, cur.calls),
                                             fmt.change(rate, prev_rate))
        self.tiles["unique"].show_value(fmt.count(cur.unique_callers),
                                        fmt.change(cur.unique_callers, prev.unique_callers))
        self.tiles["talk"].show_value(fmt.count(cur.talk_seconds // 60),
                                      fmt.change(cur.talk_seconds, prev.talk_seconds))
        self.tiles["telco"].show_value(fmt.money(cur.telco_cost_micros),
                                       fmt.change(cur.telco_cost_micros, prev.telco_cost_micros),
                                       good_when_up=False)
        self.tiles["spend"].show_value(fmt.money(cur.media_spend_micros),
                                       fmt.change(cur.media_spend_micros,
                                                  prev.media_spend_micros), good_when_up=False)
        self.days[:] = [d.day for d in data.daily]
        xs = list(range(len(data.daily)))
        self.calls_bars.setOpts(x=xs, height=[d.calls for d in data.daily], width=0.7)
        self.answered_line.setData(xs, [d.answered for d in data.daily])
        self.chart.setXRange(-0.7, len(xs) - 0.3, padding=0)
        self.axis.picture = None
        self.axis.update()
