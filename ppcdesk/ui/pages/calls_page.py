"""The call log: every call, newest first, read by key in blocks as the user scrolls."""

from __future__ import annotations

from typing import ClassVar

from PySide6.QtWidgets import QLabel

from ppcdesk.core.changes import Entity
from ppcdesk.core.model import CallRow
from ppcdesk.services.app_services import AppServices
from ppcdesk.ui.models.calls_model import BLOCK, CallsTableModel, call_columns
from ppcdesk.ui.pages.base import Page, empty_state, make_table
from ppcdesk.ui.workers import JobRunner


class CallsPage(Page):
    title = "Calls"
    depends_on: ClassVar[frozenset[Entity]] = frozenset(
        {Entity.CALLS, Entity.RECORDINGS, Entity.CAMPAIGNS, Entity.PARTNERS, Entity.WORKSPACE})

    def __init__(self, services: AppServices, runner: JobRunner, *,
                 masked: bool = False) -> None:
        super().__init__(services, runner)
        self.zone = "UTC"
        self.masked = masked
        self.model = CallsTableModel(services.calls_after,
                                     call_columns(lambda: self.zone, lambda: self.masked))
        self.summary = QLabel("")
        self.view = make_table(self.model, stretch_last=True)
        self.empty = empty_state("No calls yet. Calls arrive with a Twilio sync, or open the "
                                 "demo workspace to explore.")
        self.empty.hide()
        for widget in (self.summary, self.view, self.empty):
            self.layout_.addWidget(widget)
        widths = (130, 130, 45, 125, 140, 150, 190, 80, 70, 75, 75, 85, 40)
        for column, width in enumerate(widths):
            self.view.setColumnWidth(column, width)

    def load(self) -> None:
        self.query(lambda: (self.services.zone(), self.services.count_calls(),
                            self.services.calls_after(None, BLOCK)), self._show)

    def _show(self, result: tuple[str, int, list[CallRow]]) -> None:
        self.zone, total, first = result
        self.model.reset_with(first)
        self.summary.setText(f"{total:,} calls, newest first (times in {self.zone})")
        self.view.setVisible(bool(first))
        self.empty.setVisible(not first)
