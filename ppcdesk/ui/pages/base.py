"""What every page shares: a title, the entities it shows, and reload-when-shown.

A page never tells another to refresh. The main window hands every change-set to every page;
a page whose entities were touched marks itself stale and reloads the next time it is shown
(or at once, if it is on screen). Loading runs on the read lane, and a newer load supersedes an
older one.

To add a page: subclass Page, set ``title`` and ``depends_on``, build widgets in ``__init__``,
fetch in ``load()`` with ``self.query(fn, on_done)``, and register it in main_window.PAGES.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any, ClassVar

from PySide6.QtCore import Qt
from PySide6.QtGui import QPainter, QShowEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFrame,
    QHeaderView,
    QLabel,
    QProxyStyle,
    QScrollArea,
    QStyle,
    QStyleOption,
    QStyleOptionHeader,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from ppcdesk.core.changes import ChangeSet, Entity
from ppcdesk.services.app_services import AppServices
from ppcdesk.ui.workers import JobRunner


class Page(QWidget):
    title: ClassVar[str] = ""
    depends_on: ClassVar[frozenset[Entity]] = frozenset()

    def __init__(self, services: AppServices, runner: JobRunner,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.services = services
        self.runner = runner
        self.stale = True
        self.loads = 0  # how many loads finished (tests wait on it)
        self.layout_ = QVBoxLayout(self)
        self.layout_.setContentsMargins(16, 12, 16, 12)
        heading = QLabel(self.title)
        heading.setObjectName("pageTitle")
        self.layout_.addWidget(heading)
        self.error_label = QLabel()
        self.error_label.setObjectName("errorLabel")
        self.error_label.setWordWrap(True)
        self.error_label.hide()
        self.layout_.addWidget(self.error_label)

    # ------------------------------------------------------------------ refresh protocol
    def changed(self, changes: ChangeSet) -> None:
        if changes.touches(self.depends_on):
            self.stale = True
            if self.isVisible():
                self.reload()

    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802
        super().showEvent(event)
        if self.stale:
            self.reload()

    def reload(self) -> None:
        self.stale = False
        self.load()

    def load(self) -> None:
        """Fetch what the page shows (override)."""

    def query(self, fn: Callable[[], Any], on_done: Callable[[Any], None]) -> None:
        def done(result: Any) -> None:
            self.error_label.hide()
            on_done(result)
            self.loads += 1

        self.runner.query(f"page:{type(self).__name__}", fn, done, self.show_error)

    def show_error(self, message: str) -> None:
        self.error_label.setText(f"Could not load this page: {message}")
        self.error_label.show()


ARROW_ROOM = 14  # px Fusion's sort arrow takes at a header's right end


class SortArrowStyle(QProxyStyle):
    """Point a header's sort arrow up for ascending order, as most programs and the web do.

    Qt's Fusion style (the Linux one) draws ascending as a down arrow, so a call log sorted
    newest first showed an up arrow. Other platforms' styles are left as they are.
    """

    _FLIP: ClassVar[dict[QStyleOptionHeader.SortIndicator, QStyleOptionHeader.SortIndicator]] = {
        QStyleOptionHeader.SortIndicator.SortUp: QStyleOptionHeader.SortIndicator.SortDown,
        QStyleOptionHeader.SortIndicator.SortDown: QStyleOptionHeader.SortIndicator.SortUp,
    }

    def drawPrimitive(self, element: QStyle.PrimitiveElement, option: QStyleOption,  # noqa: N802
                      painter: QPainter, widget: QWidget | None = None) -> None:
        if element == QStyle.PrimitiveElement.PE_IndicatorHeaderArrow and isinstance(
                option, QStyleOptionHeader) and option.sortIndicator in self._FLIP:
            flipped = QStyleOptionHeader(option)
            flipped.sortIndicator = self._FLIP[option.sortIndicator]
            option = flipped
        super().drawPrimitive(element, option, painter, widget)

    def drawControl(self, element: QStyle.ControlElement, option: QStyleOption,  # noqa: N802
                    painter: QPainter, widget: QWidget | None = None) -> None:
        # Fusion draws a right-aligned title (a number's) under the arrow: keep them apart.
        if element == QStyle.ControlElement.CE_HeaderLabel and isinstance(
                option, QStyleOptionHeader) and option.sortIndicator in self._FLIP:
            narrower = QStyleOptionHeader(option)
            narrower.rect = option.rect.adjusted(0, 0, -ARROW_ROOM, 0)
            option = narrower
        super().drawControl(element, option, painter, widget)


_ARROWS: list[SortArrowStyle] = []  # one proxy for every header, kept alive here


def _fix_sort_arrow(header: QHeaderView) -> None:
    # Under the app's style sheet QApplication.style() no longer says which style it wraps;
    # on Linux it is Fusion (PySide6's wheels carry no desktop styles), elsewhere native.
    if not sys.platform.startswith("linux"):
        return
    if not _ARROWS:
        _ARROWS.append(SortArrowStyle("fusion"))
    header.setStyle(_ARROWS[0])


def make_table(model: Any, *, stretch_last: bool = True) -> QTableView:
    """A read-only, row-selecting table with alternating rows and sensible headers.

    Sorting (when a page turns it on) starts ascending on the first column. A numeric last
    column is never stretched: its figures would sit a screen away from its title.
    """
    view = QTableView()
    view.setModel(model)
    view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    view.setAlternatingRowColors(True)
    view.setWordWrap(False)
    view.verticalHeader().setVisible(False)
    view.verticalHeader().setDefaultSectionSize(24)
    columns: list[Any] = list(getattr(model, "columns", None) or [])
    numeric_last = bool(columns) and bool(getattr(columns[-1], "numeric", False))
    header = view.horizontalHeader()
    header.setStretchLastSection(stretch_last and not numeric_last)
    header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
    header.setDefaultAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
    header.setSortIndicator(0, Qt.SortOrder.AscendingOrder)  # Qt's default is descending
    header.setMinimumSectionSize(44)  # room for a short title ("#") beside its sort arrow
    _fix_sort_arrow(header)
    return view


def empty_state(text: str) -> QLabel:
    label = QLabel(text)
    label.setObjectName("emptyState")
    label.setWordWrap(True)
    label.setAlignment(Qt.AlignmentFlag.AlignCenter)
    return label


def scrolling(body: QWidget) -> QScrollArea:
    """``body`` in a frameless scroll area that shows the page's own background."""
    area = QScrollArea()
    area.setObjectName("pageScroll")
    area.setFrameShape(QFrame.Shape.NoFrame)
    area.setWidgetResizable(True)
    # Up and down only: the page's widths are kept within the window's minimum width.
    area.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
    body.setObjectName(body.objectName() or "pageBody")
    area.setWidget(body)
    return area
