"""The calls page's filter bar: every filter of the call log, as one CallFilter.

Layout and reading only: it emits ``changed`` (the search debounced while typing) and the page
reloads the log.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QDate, QSignalBlocker, QTimer, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDateEdit,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QWidget,
)

from ppcdesk.core.reasons import Reason
from ppcdesk.services.review_service import CallFilter

STATUSES = ("completed", "no-answer", "busy", "failed", "canceled", "in-progress")


def _combo(name: str, items: list[tuple[str, Any]]) -> QComboBox:
    combo = QComboBox()
    combo.setObjectName(name)
    for text, data in items:
        combo.addItem(text, data)
    return combo


def _tristate(name: str, yes: str, no: str) -> QComboBox:
    return _combo(name, [("any", None), (yes, True), (no, False)])


class FilterBar(QWidget):
    changed = Signal()
    export_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        grid = QGridLayout(self)
        grid.setContentsMargins(0, 0, 0, 0)
        self.use_dates = QCheckBox("From")
        today = QDate.currentDate()
        self.date_from = QDateEdit(today.addDays(-30))
        self.date_to = QDateEdit(today)
        for edit in (self.date_from, self.date_to):
            edit.setCalendarPopup(True)
            edit.setDisplayFormat("yyyy-MM-dd")
        self.status = _combo("status", [("any status", None), *((s, s) for s in STATUSES)])
        self.billing = _combo("billing", [("billable or not", None), ("billable", True),
                                          ("not billable", False),
                                          *((f"not billable: {r.value.replace('_', ' ')}",
                                             r) for r in Reason)])
        self.campaign = _combo("campaign", [("any campaign", None)])
        self.publisher = _combo("publisher", [("any publisher", None)])
        self.buyer = _combo("buyer", [("any buyer", None)])
        self.number = _combo("number", [("any number", None)])
        self.state = QLineEdit()
        self.state.setPlaceholderText("state")
        self.state.setMaxLength(2)
        self.state.setFixedWidth(50)
        self.recording = _tristate("recording", "with recording", "without recording")
        self.reviewed = _tristate("reviewed", "reviewed", "not reviewed")
        self.duplicate = _tristate("duplicate", "duplicates", "not duplicates")
        self.under_buffer = _tristate("under_buffer", "under buffer", "over buffer")
        self.disputed = _tristate("disputed", "disputed", "not disputed")
        self.search = QLineEdit()
        self.search.setPlaceholderText("Search caller number or call SID")
        self.search.setClearButtonEnabled(True)
        export = QPushButton("Export CSV…")
        export.clicked.connect(self.export_requested.emit)
        self.debounce = QTimer(self)
        self.debounce.setSingleShot(True)
        self.debounce.setInterval(250)
        self.debounce.timeout.connect(self.changed.emit)
        self.tail = QHBoxLayout()
        self.tail.addWidget(export)
        row1 = [self.use_dates, self.date_from, QLabel("to"), self.date_to, self.status,
                self.billing, self.campaign, self.publisher, self.buyer]
        row2 = [self.number, self.state, self.recording, self.reviewed, self.duplicate,
                self.under_buffer, self.disputed, self.search]
        for column, widget in enumerate(row1):
            grid.addWidget(widget, 0, column)
        for column, widget in enumerate(row2):
            grid.addWidget(widget, 1, column)
        grid.addLayout(self.tail, 1, len(row2), 1, len(row1) - len(row2))
        for combo in (self.status, self.billing, self.campaign, self.publisher, self.buyer,
                      self.number, self.recording, self.reviewed, self.duplicate,
                      self.under_buffer, self.disputed):
            combo.currentIndexChanged.connect(lambda _i: self.changed.emit())
        self.use_dates.toggled.connect(lambda _on: self.changed.emit())
        for edit in (self.date_from, self.date_to):
            edit.dateChanged.connect(lambda _d: self.changed.emit()
                                     if self.use_dates.isChecked() else None)
        self.search.textChanged.connect(lambda _t: self.debounce.start())
        self.state.textChanged.connect(lambda _t: self.debounce.start())

    def set_choices(self, campaigns: list[Any], publishers: list[Any], buyers: list[Any],
                    numbers: list[Any]) -> None:
        """Fill the campaign, publisher, buyer and number lists (keeping the choices)."""
        lists: list[tuple[QComboBox, list[Any], str]] = [
            (self.campaign, campaigns, "name"), (self.publisher, publishers, "name"),
            (self.buyer, buyers, "name"), (self.number, numbers, "e164")]
        for combo, rows, text in lists:
            chosen = combo.currentData()
            blocked = QSignalBlocker(combo)
            while combo.count() > 1:
                combo.removeItem(1)
            for row in rows:
                combo.addItem(getattr(row, text), row.id if text == "name" else row.e164)
            index = combo.findData(chosen)
            combo.setCurrentIndex(max(0, index))
            blocked.unblock()

    def dates(self) -> tuple[QDate | None, QDate | None]:
        if not self.use_dates.isChecked():
            return None, None
        return self.date_from.date(), self.date_to.date()

    def build(self, *, start: int | None, end: int | None) -> CallFilter:
        billing = self.billing.currentData()
        status = self.status.currentData()
        return CallFilter(
            start=start, end=end, statuses=(status,) if status else (),
            campaign_id=self.campaign.currentData(), publisher_id=self.publisher.currentData(),
            buyer_id=self.buyer.currentData(), number=self.number.currentData(),
            state=self.state.text().strip().upper() or None,
            has_recording=self.recording.currentData(), reviewed=self.reviewed.currentData(),
            disputed=self.disputed.currentData(),
            billable=billing if isinstance(billing, bool) else
            (False if isinstance(billing, Reason) else None),
            reason_flags=int(billing.flag) if isinstance(billing, Reason) else 0,
            duplicate=self.duplicate.currentData(),
            under_buffer=self.under_buffer.currentData(), search=self.search.text())
