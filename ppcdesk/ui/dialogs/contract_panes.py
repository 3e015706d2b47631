"""The contracts page's panes: TOML editor with live checks, what-if, and version history.

Views with a little wiring: each pane asks the billing service through the job runner (read
lane for checks and what-if) and shows the answer; none writes.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from PySide6.QtCore import QDate, QTimer, Signal
from PySide6.QtGui import (
    QColor,
    QFont,
    QFontDatabase,
    QTextCharFormat,
    QTextCursor,
    QTextFormat,
)
from PySide6.QtWidgets import (
    QDateEdit,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QSplitter,
    QTextEdit,
    QVBoxLayout,
    QWidget,
)

from ppcdesk.services.billing_service import (
    BillingService,
    BuyerBehaviour,
    ContractDetail,
    Draft,
    WhatIfReport,
)
from ppcdesk.ui import format as fmt
from ppcdesk.ui.models.records import Column, RecordTableModel
from ppcdesk.ui.pages.base import make_table
from ppcdesk.ui.workers import JobRunner

CHECK_DELAY_MS = 300  # check the text once typing pauses, not at every key
NEW_CONTRACT = """\
[[contract]]
name = "New contract"
buyer = "Buyer name"
campaign = "Campaign name"
timezone = "America/New_York"
buffer = "90s"

[contract.price]
amount = "$40.00"

[contract.duplicates]
window = "30d"
"""


def behaviour_text(found: BuyerBehaviour) -> str:
    """One line on a buyer's calls bunching under the buffer, with the figures."""
    return (f"⚠ {found.buyer} may be hanging up just before the buffer: "
            f"{found.just_under:,} answered calls ended in the 15 s before its "
            f"{found.buffer_s} s buffer, against {found.just_over:,} in the 15 s after "
            f"(of {found.answered:,} answered calls).")


def _mono() -> QFont:
    return QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)


class EditorPane(QWidget):
    """The contract's TOML, checked as it is typed; Save stores it as a new version."""

    save_requested = Signal(str)
    text_changed = Signal(str)

    def __init__(self, billing: BillingService, runner: JobRunner) -> None:
        super().__init__()
        self.billing = billing
        self.runner = runner
        self.checks = 0  # how many checks were shown (tests wait on it)
        self.text = QPlainTextEdit()
        self.text.setFont(_mono())
        self.text.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        self.problems = QLabel()
        self.problems.setObjectName("errorLabel")
        self.problems.setWordWrap(True)
        self.reads_as = QLabel()
        self.reads_as.setWordWrap(True)
        self.reads_as.setTextFormat(self.reads_as.textFormat().RichText)
        self.save = QPushButton("Save as new version")
        self.save.setEnabled(False)
        self.save.clicked.connect(lambda: self.save_requested.emit(self.text.toPlainText()))
        self.timer = QTimer(self)
        self.timer.setSingleShot(True)
        self.timer.setInterval(CHECK_DELAY_MS)
        self.timer.timeout.connect(self._check)
        self.text.textChanged.connect(self.timer.start)
        side = QWidget()
        side_layout = QVBoxLayout(side)
        side_layout.setContentsMargins(8, 0, 0, 0)
        side_layout.addWidget(QLabel("<b>Reads as</b>"))
        side_layout.addWidget(self.reads_as)
        side_layout.addWidget(self.problems)
        side_layout.addStretch(1)
        side_layout.addWidget(self.save)
        split = QSplitter()
        split.addWidget(self.text)
        split.addWidget(side)
        split.setStretchFactor(0, 3)
        split.setStretchFactor(1, 2)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 4, 0, 0)
        layout.addWidget(split)
        self._saved = ""

    def show_contract(self, detail: ContractDetail) -> None:
        self._saved = detail.toml
        self.set_text(detail.toml)

    def set_text(self, text: str) -> None:
        self.text.setPlainText(text)
        self._check()

    def _check(self) -> None:
        text = self.text.toPlainText()
        self.text_changed.emit(text)
        self.runner.query("contracts:check", lambda: self.billing.check(text),
                          lambda draft: self._show(text, draft))

    def _show(self, text: str, draft: Draft) -> None:
        self.checks += 1
        lines = [f"line {p.line}: {' '.join(x for x in (p.subject, p.key) if x)}: {p.message}"
                 for p in draft.problems]
        self.problems.setText("\n".join(lines))
        self.problems.setVisible(bool(lines))
        self._mark_lines([p.line for p in draft.problems if p.line])
        self.reads_as.setText("".join(
            f"<p><b>{_escape(name)}</b><br>{'<br>'.join(_escape(s) for s in sentences)}</p>"
            for name, sentences in draft.reads_as))
        self.save.setEnabled(draft.ok and text != self._saved)


    def _mark_lines(self, numbers: list[int]) -> None:
        """Tint the lines a problem names, so the eye finds "line 7" in the text at once."""
        marks = []
        document = self.text.document()
        for number in sorted(set(numbers)):
            block = document.findBlockByNumber(number - 1)
            if not block.isValid():
                continue
            tint = QTextCharFormat()
            tint.setBackground(QColor("#fde2e2"))
            tint.setProperty(QTextFormat.Property.FullWidthSelection, True)  # noqa: FBT003
            mark = QTextEdit.ExtraSelection()
            mark.format = tint  # PySide hands out a copy: set the whole format, not a part
            mark.cursor = QTextCursor(block)
            marks.append(mark)
        self.text.setExtraSelections(marks)


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


class WhatIfPane(QWidget):
    """Apply the editor's terms to a range of past days, without saving."""

    def __init__(self, billing: BillingService, runner: JobRunner) -> None:
        super().__init__()
        self.billing = billing
        self.runner = runner
        self.draft = ""
        self.runs = 0
        self.model: RecordTableModel[Any] = RecordTableModel([
            Column("Contract", lambda r: r[0]),
            Column("Call", lambda r: r[1].sid),
            Column("Started", lambda r: fmt.when(r[1].started_at, r[2])),
            Column("Now", lambda r: _verdict(r[1].before)),
            Column("With these terms", lambda r: _verdict(r[1].after)),
            Column("Moves", lambda r: signed(_amount(r[1].after) - _amount(r[1].before)),
                   numeric=True, sort_key=lambda r: _amount(r[1].after) - _amount(r[1].before)),
        ])
        today = QDate.currentDate()
        self.start = QDateEdit(today.addDays(-30))
        self.end = QDateEdit(today)
        for edit in (self.start, self.end):
            edit.setCalendarPopup(True)
            edit.setDisplayFormat("yyyy-MM-dd")
        self.run = QPushButton("Run what-if")
        self.run.clicked.connect(self.start_run)
        self.summary = QLabel("Pick days, then run: nothing is saved.")
        self.summary.setWordWrap(True)
        row = QHBoxLayout()
        for widget in (QLabel("From"), self.start, QLabel("to"), self.end, self.run):
            row.addWidget(widget)
        row.addStretch(1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 4, 0, 0)
        layout.addLayout(row)
        layout.addWidget(self.summary)
        self.view = make_table(self.model)
        layout.addWidget(self.view, 1)

    def set_text(self, text: str) -> None:
        self.draft = text

    def set_days(self, first: date, last: date) -> None:
        self.start.setDate(QDate(first.year, first.month, first.day))
        self.end.setDate(QDate(last.year, last.month, last.day))

    def start_run(self) -> None:
        text = self.draft
        first, last = sorted((_day(self.start.date()), _day(self.end.date())))
        self.summary.setText("Running…")
        self.runner.query("contracts:whatif",
                          lambda: self.billing.whatif(text, first, last), self._show,
                          lambda message: self.summary.setText(f"Cannot run: {message}"))

    def _show(self, report: WhatIfReport) -> None:
        zone = self.billing.zone()
        rows = [(c.name, call, zone) for c in report.contracts for call in c.calls]
        self.model.set_records(rows)
        self.view.resizeColumnsToContents()
        parts = [f"{c.name}: {len(c.calls):,} calls change, "
                 f"{signed(sum(_amount(x.after) - _amount(x.before) for x in c.calls))} moves"
                 for c in report.contracts]
        self.summary.setText(("; ".join(parts) + f" (times in {zone}; nothing is saved).")
                             if parts else "No contract in the text.")
        self.runs += 1


def _day(value: QDate) -> date:
    return date(value.year(), value.month(), value.day())


def signed(micros: int) -> str:
    """Money with its direction: +$28.00 comes in with these terms, -$28.00 goes."""
    return ("+" if micros > 0 else "") + fmt.money(micros)


def _amount(outcome: Any) -> int:
    return 0 if outcome is None else int(outcome.amount_micros)


def _verdict(outcome: Any) -> str:
    if outcome is None:
        return "not covered"
    if outcome.qualified:
        return fmt.money(outcome.amount_micros)
    return "no: " + ", ".join(r.value.replace("_", " ") for r in outcome.reasons)


class HistoryPane(QWidget):
    """Every saved version: when, from which day, superseded or not, and its terms."""

    def __init__(self) -> None:
        super().__init__()
        self.zone = "UTC"
        self.model: RecordTableModel[Any] = RecordTableModel([
            Column("Version", lambda v: f"v{v.version}", numeric=True),
            Column("Saved", lambda v: fmt.when(v.created_at, self.zone)),
            Column("In force from", lambda v: "the start" if v.effective_from is None
                   else fmt.when(v.effective_from, self.zone)[:10]),
            Column("Status", lambda v: "in force" if v.in_force else "superseded"),
            Column("Note", lambda v: v.note),
        ])
        self.view = make_table(self.model)
        self.view.selectionModel().currentRowChanged.connect(
            lambda current, _prev: self._pick(current.row()))
        self.terms = QPlainTextEdit()
        self.terms.setReadOnly(True)
        self.terms.setFont(_mono())
        split = QSplitter()
        split.addWidget(self.view)
        split.addWidget(self.terms)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 4, 0, 0)
        layout.addWidget(split)

    def show_versions(self, detail: ContractDetail, zone: str) -> None:
        self.zone = zone
        self.model.set_records(list(reversed(detail.versions)))
        self.view.resizeColumnsToContents()
        if detail.versions:
            self.view.selectRow(0)
            self._pick(0)

    def _pick(self, row: int) -> None:
        if 0 <= row < self.model.rowCount():
            self.terms.setPlainText(self.model.records[row].terms)
