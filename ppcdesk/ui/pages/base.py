"""What every page shares: a title, the entities it shows, and reload-when-shown.

A page never tells another to refresh. The main window hands every change-set to every page;
a page whose entities were touched marks itself stale and reloads the next time it is shown
(or at once, if it is on screen). Loading runs on the read lane, and a newer load supersedes an
older one.

To add a page: subclass Page, set ``title`` and ``depends_on``, build widgets in ``__init__``,
fetch in ``load()`` with ``self.query(fn, on_done)``, and register it in main_window.PAGES.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar

from PySide6.QtCore import Qt
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHeaderView,
    QLabel,
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


def make_table(model: Any, *, stretch_last: bool = True) -> QTableView:
    """A read-only, row-selecting table with alternating rows and sensible headers."""
    view = QTableView()
    view.setModel(model)
    view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    view.setAlternatingRowColors(True)
    view.setWordWrap(False)
    view.verticalHeader().setVisible(False)
    view.verticalHeader().setDefaultSectionSize(24)
    view.horizontalHeader().setStretchLastSection(stretch_last)
    view.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
    view.horizontalHeader().setDefaultAlignment(
        Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
    return view


def empty_state(text: str) -> QLabel:
    label = QLabel(text)
    label.setObjectName("emptyState")
    label.setWordWrap(True)
    label.setAlignment(Qt.AlignmentFlag.AlignCenter)
    return label
