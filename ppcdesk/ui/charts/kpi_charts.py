"""The dashboard's charts: each draws one table and can hand that table back as CSV.

A chart is a titled box with a pyqtgraph plot, a hover line that shows the exact values under
the mouse, and two buttons: the picture as PNG, the table behind it as CSV. Charts know nothing
of KPIs: the page gives each one header + rows and says which columns to draw.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import pyqtgraph as pg
from pyqtgraph.exporters import ImageExporter
from PySide6.QtCore import QPointF, Qt
from PySide6.QtWidgets import (
    QFileDialog,
    QFrame,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
)

from ppcdesk.config.atomic import write_text_atomic
from ppcdesk.ui.widgets.elided_label import ElidedLabel

TEAL, AMBER, SLATE, RED = "#0f766e", "#f59e0b", "#334155", "#b91c1c"
HEADROOM = 1.3
WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
Row = Sequence[Any]


class LabelAxis(pg.AxisItem):  # type: ignore[misc]  # pyqtgraph ships no type hints
    """Integer positions on an axis shown as labels (days, publishers, weekdays)."""

    def __init__(self, orientation: str) -> None:
        super().__init__(orientation=orientation)
        self.labels: list[str] = []

    def tickStrings(self, values: list[float], scale: float, spacing: float  # noqa: N802
                    ) -> list[str]:
        if not self.labels:  # a plain numeric axis (the histogram's seconds)
            return list(super().tickStrings(values, scale, spacing))
        return [self.labels[round(v)] if 0 <= round(v) < len(self.labels) and
                abs(v - round(v)) < 0.01 else "" for v in values]


class ChartBox(QFrame):
    """A titled plot with hover values and PNG / CSV export of what it shows."""

    def __init__(self, title: str, *, left: str = "bottom") -> None:
        super().__init__()
        self.setObjectName("chartBox")
        self.title = title
        self.header: list[str] = []
        self.rows: list[Row] = []
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        top = QHBoxLayout()
        self.title_label = ElidedLabel(title)  # a narrow window shortens it, never clips
        self.title_label.setObjectName("chartTitle")
        top.addWidget(self.title_label, 1)
        self.png_button = QPushButton("PNG")
        self.csv_button = QPushButton("CSV")
        for button, tip in ((self.png_button, "Save this chart as a picture"),
                            (self.csv_button, "Save the table behind this chart")):
            button.setToolTip(tip)
            button.setFixedWidth(48)
            top.addWidget(button)
        self.png_button.clicked.connect(self._ask_png)
        self.csv_button.clicked.connect(self._ask_csv)
        layout.addLayout(top)
        self.axis = LabelAxis(left)
        self.plot = pg.PlotWidget(axisItems={left: self.axis}, background="w")
        self.plot.setMouseEnabled(x=False, y=False)
        self.plot.setMenuEnabled(False)
        self.plot.hideButtons()
        self.plot.showGrid(x=False, y=True, alpha=0.2)
        # Small enough that both rows of charts fit a 1280x720 laptop screen.
        self.plot.setMinimumHeight(120)
        layout.addWidget(self.plot, 1)
        self.hover = QLabel(" ")
        self.hover.setObjectName("chartHover")
        layout.addWidget(self.hover)
        self.plot.scene().sigMouseMoved.connect(self._moved)

    # ---------------------------------------------------------------- data
    def set_table(self, header: list[str], rows: list[Row]) -> None:
        self.header, self.rows = header, rows

    def csv_text(self) -> str:
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(self.header)
        writer.writerows(self.rows)
        return out.getvalue()

    def describe(self, x: float, y: float) -> str:
        """The hover text at plot coordinates (x, y): the row under the mouse."""
        del y
        i = round(x)
        if not 0 <= i < len(self.rows):
            return " "
        return "   ".join(f"{h}: {_show(v)}" for h, v in zip(self.header, self.rows[i],
                                                            strict=False))

    def _moved(self, pos: QPointF) -> None:
        if not self.plot.sceneBoundingRect().contains(pos):
            return
        point = self.plot.getPlotItem().vb.mapSceneToView(pos)
        self.hover.setText(self.describe(point.x(), point.y()))

    # ---------------------------------------------------------------- export
    def save_png(self, path: Path) -> None:
        ImageExporter(self.plot.getPlotItem()).export(str(path))

    def save_csv(self, path: Path) -> None:
        write_text_atomic(path, self.csv_text())

    def _ask_png(self) -> None:
        name, _ = QFileDialog.getSaveFileName(self, f"Save {self.title}", f"{self.title}.png",
                                              "PNG image (*.png)")
        if name:
            self.save_png(Path(name))

    def _ask_csv(self) -> None:
        name, _ = QFileDialog.getSaveFileName(self, f"Save {self.title}", f"{self.title}.csv",
                                              "CSV (*.csv)")
        if name:
            self.save_csv(Path(name))


def _show(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:,.2f}"
    if isinstance(value, int):
        return f"{value:,}"
    return "n/a" if value is None else str(value)


class TrendChart(ChartBox):
    """Calls as bars, billable calls and revenue as lines (revenue on its own right axis)."""

    def __init__(self) -> None:
        super().__init__("Calls, billable calls and revenue")
        self.bars = pg.BarGraphItem(x=[], height=[], width=0.7, brush=pg.mkBrush("#99d5cf"),
                                    pen=pg.mkPen(None), name="Calls")
        # One row above the bars: show_series leaves headroom for it, so it hides no data.
        self.plot.addLegend(offset=(10, 2), brush=pg.mkBrush(255, 255, 255, 230), colCount=3)
        self.plot.addItem(self.bars)
        self.billable = self.plot.plot([], [], pen=pg.mkPen(TEAL, width=2.5), name="Billable")
        self.revenue_view = pg.ViewBox()
        item = self.plot.getPlotItem()
        item.showAxis("right")
        item.scene().addItem(self.revenue_view)
        item.getAxis("right").linkToView(self.revenue_view)
        item.getAxis("right").setLabel("revenue $")
        item.getAxis("left").setLabel("calls")
        self.revenue_view.setXLink(item)
        self.revenue = pg.PlotCurveItem(pen=pg.mkPen(AMBER, width=2, style=Qt.PenStyle.DashLine))
        self.revenue_view.addItem(self.revenue)
        legend = item.legend
        if legend is not None:  # the revenue lives in its own view: name it by hand
            legend.addItem(self.revenue, "Revenue (right axis)")
        item.vb.sigResized.connect(
            lambda: self.revenue_view.setGeometry(item.vb.sceneBoundingRect()))

    def show_series(self, rows: list[tuple[str, int, int, int]], grain: str) -> None:
        self.set_table([grain, "calls", "billable", "revenue $"],
                       [(d, c, b, r / 1_000_000) for d, c, b, r in rows])
        xs = np.arange(len(rows), dtype=float)
        self.axis.labels = [d[5:] if grain != "month" else d[:7] for d, *_ in rows]
        self.bars.setOpts(x=xs, height=[r[1] for r in rows], width=0.7)
        self.billable.setData(xs, [r[2] for r in rows])
        self.revenue.setData(xs, [r[3] / 1_000_000 for r in rows])
        self.plot.setXRange(-0.7, max(len(rows) - 0.3, 0.3), padding=0)
        # A quarter of headroom on both axes keeps the legend's row clear of bars and lines.
        self.plot.setYRange(0, HEADROOM * max([1, *(r[1] for r in rows)]), padding=0)
        self.revenue_view.setYRange(
            0, HEADROOM * max([1.0, *(r[3] / 1_000_000 for r in rows)]), padding=0)
        self.axis.picture = None
        self.axis.update()


class HeatmapChart(ChartBox):
    """An hour x weekday grid (weekdays down, hours across); empty cells stay white."""

    def __init__(self, title: str, colour: str) -> None:
        super().__init__(title, left="left")
        self.image = pg.ImageItem()
        self.plot.addItem(self.image)
        self.plot.getPlotItem().invertY(True)  # noqa: FBT003
        self.axis.labels = list(WEEKDAYS)
        self.axis.setTicks([list(enumerate(WEEKDAYS))])  # all seven days, however short
        self.plot.showGrid(x=False, y=False)
        # From white (none) to the colour given: no matplotlib needed.
        self.image.setColorMap(pg.ColorMap([0.0, 1.0], [(255, 255, 255), colour]))
        self.grid: list[list[float | None]] = []

    def show_grid(self, grid: Sequence[Sequence[float | None]], unit: str) -> None:
        self.grid = [list(r) for r in grid]
        data = np.array([[np.nan if v is None else v for v in r] for r in grid], dtype=float)
        # ImageItem's first axis is x: hours across, weekdays down.
        self.image.setImage(data.T, autoLevels=False,
                            levels=(0, float(np.nanmax(data)) if np.isfinite(data).any()
                                    else 1.0))
        self.image.setRect(-0.5, -0.5, 24, 7)
        self.plot.setXRange(-0.5, 23.5, padding=0)
        self.plot.setYRange(-0.5, 6.5, padding=0)
        self.set_table(["weekday", *[f"{h:02d}" for h in range(24)]],
                       [(WEEKDAYS[d], *grid[d]) for d in range(7)])
        self.unit = unit

    def describe(self, x: float, y: float) -> str:
        hour, day = round(x), round(y)
        if not (0 <= hour < 24 and 0 <= day < 7) or not self.grid:
            return " "
        value = self.grid[day][hour]
        shown = "n/a" if value is None else (
            f"{100 * value:.1f}%" if self.unit == "rate" else f"{int(value):,} calls")
        return f"{WEEKDAYS[day]} {hour:02d}:00-{hour:02d}:59   {shown}"


class RankingChart(ChartBox):
    """Publishers as horizontal bars ranked by conversion rate (else rpm), both in the table."""

    TITLES: ClassVar[dict[str, str]] = {
        "conversion_rate": "Publishers by conversion rate (rpm in the table)",
        "rpm": "Publishers by revenue per minute",
    }

    def __init__(self) -> None:
        super().__init__(self.TITLES["conversion_rate"], left="left")
        self.bars = pg.BarGraphItem(x0=[], y=[], width=[], height=0.6,
                                    brush=pg.mkBrush(TEAL), pen=pg.mkPen(None))
        self.plot.addItem(self.bars)
        self.plot.getPlotItem().invertY(True)  # noqa: FBT003
        self.plot.showGrid(x=True, y=False, alpha=0.2)

    def show_ranking(self, rows: list[tuple[str, int, float | None, float | None]],
                     by: str = "conversion_rate") -> None:
        """Bars of conversion rate (%) or rpm ($), as ``by`` says; rows come ranked."""
        self.title = self.TITLES[by]
        self.title_label.setText(self.title)
        self.plot.getPlotItem().getAxis("bottom").setLabel(
            "conversion rate %" if by == "conversion_rate" else "revenue $ per minute")
        self.set_table(["publisher", "calls", "conversion rate %", "rpm $"],
                       [(n, c, None if r is None else round(100 * r, 2),
                         None if m is None else m / 1_000_000) for n, c, r, m in rows])
        ys = np.arange(len(rows), dtype=float)
        self.axis.labels = [r[0] for r in rows]
        # Every publisher named: left to itself the axis skips every other one when short.
        self.axis.setTicks([list(enumerate(self.axis.labels))])
        self.bars.setOpts(x0=np.zeros(len(rows)), y=ys, height=0.6,
                          width=[100 * (r[2] or 0) if by == "conversion_rate"
                                 else (r[3] or 0) / 1_000_000 for r in rows])
        self.plot.setXRange(0, max([*self.bars.opts["width"], 1e-9]), padding=0.05)
        self.plot.setYRange(-0.6, max(len(rows) - 0.4, 0.4), padding=0)
        self.axis.picture = None
        self.axis.update()

    def describe(self, x: float, y: float) -> str:
        return super().describe(y, x)


class HistogramChart(ChartBox):
    """Answered calls by connected duration, with the buffer as a red line."""

    def __init__(self) -> None:
        super().__init__("Answered calls by connected seconds")
        self.bars = pg.BarGraphItem(x0=[], x1=[], height=[], brush=pg.mkBrush("#94a3b8"),
                                    pen=pg.mkPen("w"))
        self.plot.addItem(self.bars)
        self.buffer = pg.InfiniteLine(angle=90, pen=pg.mkPen(RED, width=2),
                                      label="buffer {value:.0f} s",
                                      labelOpts={"position": 0.9, "color": RED})
        self.plot.addItem(self.buffer)
        # Bins differ in width, so heights are calls per second of duration, not counts.
        self.plot.getPlotItem().getAxis("left").setLabel("calls per s")
        self.bins: list[tuple[int, int | None, int]] = []

    def show_bins(self, bins: list[tuple[int, int | None, int]], buffer_s: int,
                  whose: str = "") -> None:
        """Draw the bins and the buffer line; ``whose`` names the contract it comes from."""
        self.bins = bins
        self.buffer.label.setFormat(f"buffer {{value:.0f}} s{f' ({whose})' if whose else ''}")
        top = [hi if hi is not None else lo + 120 for lo, hi, _ in bins]
        # Per-second heights, so wide bins do not look taller than they are.
        self.bars.setOpts(x0=[b[0] for b in bins], x1=top,
                          height=[n / (t - b[0]) for b, t, n in zip(bins, top, bins_n(bins),
                                                                    strict=True)])
        self.buffer.setValue(buffer_s)
        self.plot.setXRange(0, top[-1] if top else 1, padding=0.02)
        self.set_table(["from s", "to s", "answered calls"],
                       [(lo, "" if hi is None else hi, n) for lo, hi, n in bins])

    def describe(self, x: float, y: float) -> str:
        del y
        for lo, hi, n in self.bins:
            if lo <= x < (hi if hi is not None else lo + 120):
                return f"{lo}-{'' if hi is None else hi} s   {n:,} answered calls"
        return " "


def bins_n(bins: list[tuple[int, int | None, int]]) -> list[int]:
    return [n for _, _, n in bins]
