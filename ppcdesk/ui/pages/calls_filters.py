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
from ppcdesk.ui import format as fmt

STATUSES = ("completed", "no-answer", "busy", "failed", "canceled", "in-progress")


def _combo(name: str, items: list[tuple[str, Any]]) -> QComboBox:
    combo = QComboBox()
    combo.setObjectName(name)
    for text, data in items:
        combo.addItem(text, data)
    return combo


def _tristate(name: str, either: str, yes: str, no: str) -> QComboBox:
    """A yes / no / either filter whose unset state still says what it filters on."""
    return _combo(name, [(either, None), (yes, True), (no, False)])


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
        self.recording = _tristate("recording", "recording: any", "with recording",
                                   "without recording")
        self.reviewed = _tristate("reviewed", "reviewed: any", "reviewed", "not reviewed")
        self.duplicate = _tristate("duplicate", "duplicate: any", "duplicates",
                                   "not duplicates")
        self.under_buffer = _tristate("under_buffer", "buffer: any", "under buffer",
                                      "over buffer")
        self.disputed = _tristate("disputed", "disputed: any", "disputed", "not disputed")
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
        self._lay_out(grid)
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

    def _lay_out(self, grid: QGridLayout) -> None:
        """Two rows that each take their own widths; ``tail`` (export) is the page's to place.

        A grid lined the dates up with the combos below them (a wide gap after "From") and
        clipped the buttons on a laptop screen.
        """
        row1, row2 = QHBoxLayout(), QHBoxLayout()
        widget: QWidget
        for widget in (self.use_dates, self.date_from, QLabel("to"), self.date_to,
                       self.status, self.billing, self.campaign, self.publisher, self.buyer):
            row1.addWidget(widget)
        row1.addStretch(1)
        for widget in (self.number, self.state, self.recording, self.reviewed, self.duplicate,
                       self.under_buffer, self.disputed):
            row2.addWidget(widget)
        row2.addWidget(self.search, 1)
        grid.addLayout(row1, 0, 0)
        grid.addLayout(row2, 1, 0)
        self.search.setMinimumWidth(120)
        for combo, chars in ((self.billing, 12), (self.campaign, 11), (self.publisher, 11),
                             (self.buyer, 11), (self.number, 11), (self.recording, 13),
                             (self.reviewed, 12), (self.duplicate, 13),
                             (self.under_buffer, 10), (self.disputed, 12)):
            combo.setSizeAdjustPolicy(
                QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
            combo.setMinimumContentsLength(chars)  # long names are read in the open list
        for edit in (self.date_from, self.date_to):
            edit.setEnabled(False)  # the dates filter only once "From" is ticked
        self.use_dates.toggled.connect(self.date_from.setEnabled)
        self.use_dates.toggled.connect(self.date_to.setEnabled)

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
                if text == "name":
                    combo.addItem(row.name, row.id)
                else:  # as the table shows numbers, with the name the user gave it
                    shown = fmt.phone(row.e164)
                    name = getattr(row, "friendly_name", "")
                    combo.addItem(f"{shown}  {name}" if name else shown, row.e164)
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
