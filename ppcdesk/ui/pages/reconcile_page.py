"""The Reconcile page: a partner's period against our log, the money at stake, the disputes.

The controller reaches data only through ``ReconService``: reads on the read lane, every write
(reconcile stores its pairings, disputes, imports) as a small job on the write lane. Files
(CSV, PDF, evidence) are written on the GUI thread: the PDF is laid out by Qt.

The reminder of disputes near their deadline shows in the page's header and, through
``status_reminder``, in the main window's status bar; it refreshes whenever disputes change,
shown or not.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path
from typing import Any, ClassVar

from PySide6.QtCore import QDate, Qt
from PySide6.QtWidgets import (
    QComboBox,
    QDateEdit,
    QFileDialog,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QSpinBox,
    QSplitter,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from ppcdesk.core import model
from ppcdesk.core.changes import ChangeSet, Entity
from ppcdesk.core.errors import PpcdeskError
from ppcdesk.core.model import DisputeStatus
from ppcdesk.core.money import to_micros
from ppcdesk.core.progress import Job, Progress
from ppcdesk.recon.disputes import DisputeLine, Ledger
from ppcdesk.recon.job import Reconciliation
from ppcdesk.recon.records import Tolerance
from ppcdesk.recon.report import Difference, DiffKind
from ppcdesk.services.app_services import AppServices
from ppcdesk.ui import format as fmt
from ppcdesk.ui.models.records import Column, RecordTableModel
from ppcdesk.ui.pages.base import Page, empty_state, make_table
from ppcdesk.ui.workers import JobRunner

_DEFAULT = Tolerance()
# Amber, as the demo badge: a deadline to act on, not an error.
_REMINDER_STYLE = "color: #92400e; font-weight: 600;"
_KIND_SHORT = {DiffKind.UNSEEN: "Unseen", DiffKind.UNPAID: "Unpaid",
               DiffKind.CONTESTED: "Contested", DiffKind.AMOUNT: "Amount",
               DiffKind.TZ_SHIFT: "Time shift", DiffKind.AMBIGUOUS: "Ambiguous",
               DiffKind.DUPLICATE_ROW: "Listed twice"}


def _tile(caption: str) -> tuple[QFrame, QLabel]:
    tile = QFrame()
    tile.setObjectName("kpiTile")
    inner = QVBoxLayout(tile)
    inner.setContentsMargins(12, 8, 12, 8)
    value = QLabel("—")
    value.setObjectName("kpiValue")
    label = QLabel(caption)
    label.setObjectName("kpiLabel")
    inner.addWidget(label)  # caption above the figure, as on the dashboard's tiles
    inner.addWidget(value)
    return tile, value


def _write_job(title: str, fn: Callable[[], Any]) -> Callable[[], Job[Any]]:
    """One short write as a job, so it runs on the write lane like every other write."""
    def job() -> Job[Any]:
        yield Progress(0, 1, title)
        return fn()
    return job


class ReconcilePage(Page):
    title = "Reconcile"
    depends_on: ClassVar[frozenset[Entity]] = frozenset(
        {Entity.IMPORTS, Entity.DISPUTES, Entity.PARTNERS, Entity.OUTCOMES})

    def __init__(self, services: AppServices, runner: JobRunner) -> None:
        super().__init__(services, runner)
        self.recon = services.recon
        self.zone = "UTC"
        self.done: Reconciliation | None = None
        self.status_reminder = QLabel()  # the main window puts it in the status bar
        self.status_reminder.setObjectName("disputeReminder")
        self.status_reminder.setStyleSheet(_REMINDER_STYLE)
        self.status_reminder.hide()
        self._build_header()
        self._build_differences()
        self._build_lower()
        self.load_reminder()

    # ------------------------------------------------------------------ layout
    def _build_header(self) -> None:
        self.partner = QComboBox()
        # Wide enough for most names, narrow enough that the row fits a 1280 px screen
        # (at a fixed 240 px the "From" label was drawn over it).
        self.partner.setSizeAdjustPolicy(
            QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.partner.setMinimumContentsLength(18)
        self.first, self.last = QDateEdit(), QDateEdit()
        for edit in (self.first, self.last):
            edit.setCalendarPopup(True)
            edit.setDisplayFormat("yyyy-MM-dd")
        self.time_tol, self.duration_tol = QSpinBox(), QSpinBox()
        for spin, top, value, tip in (
            (self.time_tol, 3600, _DEFAULT.time_s, ("Their start time and ours may differ "
             "by this much (clocks and queues differ)")),
            (self.duration_tol, 600, _DEFAULT.duration_s, ("Their duration may be this much "
             "longer than our whole call, or shorter than the buyer's leg"))):
            spin.setRange(0, top)
            spin.setValue(value)
            spin.setSuffix(" s")
            spin.setToolTip(tip)
        self.run_button = QPushButton("Reconcile")
        self.run_button.setDefault(True)
        self.run_button.clicked.connect(self.reconcile)
        self.import_button = QPushButton("Import a report…")
        self.import_button.clicked.connect(self.open_import_wizard)
        row = QHBoxLayout()
        for label, widget in (("Partner", self.partner), ("From", self.first),
                              ("to", self.last), ("Start times ±", self.time_tol),
                              ("durations ±", self.duration_tol)):
            row.addWidget(QLabel(label))
            row.addWidget(widget)
        row.addWidget(self.run_button)
        row.addStretch(1)
        row.addWidget(self.import_button)
        self.layout_.addLayout(row)
        self.reminder = QLabel()
        self.reminder.setObjectName("disputeReminder")
        self.reminder.setStyleSheet(_REMINDER_STYLE)
        self.reminder.setWordWrap(True)
        self.reminder.hide()
        self.layout_.addWidget(self.reminder)

        tiles = QHBoxLayout()
        self.tiles: dict[str, QLabel] = {}
        for key, caption in (("expected", "Expected (our contracts)"),
                             ("paid", "Paid (their report)"), ("at_stake", "At stake"),
                             ("recovered", "Recovered (disputes)")):
            tile, figure = _tile(caption)
            self.tiles[key] = figure
            tiles.addWidget(tile)
        self.layout_.addLayout(tiles)
        self.summary = QLabel("Choose a partner and a period, then Reconcile: their report is "
                              "matched call by call against your log and your contracts.")
        self.summary.setWordWrap(True)
        self.layout_.addWidget(self.summary)

    def _build_differences(self) -> None:
        def zone() -> str:  # read when painted, after load sets it
            return self.zone

        self.diffs: RecordTableModel[Difference] = RecordTableModel([
            Column("Kind", lambda d: _KIND_SHORT[d.kind], tooltip=lambda d: d.kind.label),
            Column("Started", lambda d: fmt.when(d.started_at, zone(), seconds=True),
                   sort_key=lambda d: d.started_at),
            Column("Caller", lambda d: fmt.phone(d.caller) if d.caller else "—"),
            Column("Their line", lambda d: "—" if d.line is None else str(d.line),
                   numeric=True, sort_key=lambda d: d.line or 0),
            Column("Our call", lambda d: d.call_sid or "—"),
            Column("Expected", lambda d: fmt.money(d.expected_micros), numeric=True,
                   sort_key=lambda d: d.expected_micros),
            Column("Paid", lambda d: fmt.money(d.paid_micros), numeric=True,
                   sort_key=lambda d: d.paid_micros),
            Column("At stake", lambda d: fmt.money(d.at_stake_micros), numeric=True,
                   sort_key=lambda d: d.at_stake_micros),
            Column("Why", lambda d: d.detail, tooltip=lambda d: d.detail),
        ])
        self.kind = QComboBox()
        self.kind.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        self.kind.currentIndexChanged.connect(lambda _i: self._filter())
        self.shown = QLabel()
        bar = QHBoxLayout()
        bar.addWidget(QLabel("Show"))
        bar.addWidget(self.kind)
        bar.addWidget(self.shown, 1)
        self.export_button = QPushButton("Export CSV…")
        self.export_button.clicked.connect(self.export_csv)
        self.dispute_button = QPushButton("Open dispute")
        self.dispute_button.setToolTip("Claim what this line puts at stake; the deadline "
                                       "follows the partner's dispute window")
        self.dispute_button.clicked.connect(self.open_dispute)
        self.seconds = QSpinBox()
        self.seconds.setRange(0, 3600)
        self.seconds.setSpecialValueText("recording: whole")  # as the prefix reads
        self.seconds.setPrefix("recording: first ")
        self.seconds.setSuffix(" s")
        self.seconds.setToolTip("How much of the recording the evidence packet carries")
        self.evidence_button = QPushButton("Write evidence packet…")
        self.evidence_button.setToolTip("A PDF of the call, its legs, the contract's rule "
                                        "trace and their line; the recording; a SHA-256 "
                                        "manifest. Name it .zip for one archive.")
        self.evidence_button.clicked.connect(self.write_evidence)
        for widget in (self.export_button, self.dispute_button, self.seconds,
                       self.evidence_button):
            bar.addWidget(widget)
        self.diff_view = make_table(self.diffs)
        self.diff_view.setSortingEnabled(True)
        self.diff_view.horizontalHeader().setSortIndicator(1, Qt.SortOrder.AscendingOrder)
        self.diff_view.selectionModel().selectionChanged.connect(lambda *_: self._enable())
        self.diff_box = QWidget()
        inner = QVBoxLayout(self.diff_box)
        inner.setContentsMargins(0, 0, 0, 0)
        inner.addLayout(bar)
        inner.addWidget(self.diff_view)

    def _build_lower(self) -> None:
        self.disputes: RecordTableModel[DisputeLine] = RecordTableModel([
            Column("#", lambda d: str(d.id), numeric=True, sort_key=lambda d: d.id),
            Column("Partner", lambda d: d.partner),
            Column("Call", lambda d: d.call_sid or "—"),
            Column("Status", lambda d: d.status.replace("_", " ")),
            Column("Due", lambda d: d.deadline or "—", sort_key=lambda d: d.deadline or ""),
            Column("Claimed", lambda d: fmt.money(d.claimed_micros), numeric=True,
                   sort_key=lambda d: d.claimed_micros),
            Column("Recovered", lambda d: fmt.money(d.recovered_micros), numeric=True,
                   sort_key=lambda d: d.recovered_micros),
            Column("Reason", lambda d: d.reason, tooltip=lambda d: d.reason),
        ])
        self.dispute_view = make_table(self.disputes)
        self.dispute_view.setSortingEnabled(True)
        self.dispute_view.horizontalHeader().setSortIndicator(0, Qt.SortOrder.DescendingOrder)
        self.dispute_view.selectionModel().selectionChanged.connect(lambda *_: self._enable())
        self.status = QComboBox()
        for status in DisputeStatus:
            self.status.addItem(status.replace("_", " ").capitalize(), status)
        self.recovered = QLineEdit()
        self.recovered.setPlaceholderText("recovered, e.g. 12.50")
        self.recovered.setMinimumWidth(150)  # its example is read whole
        self.recovered.setMaximumWidth(160)
        self.set_button = QPushButton("Set status")
        self.set_button.clicked.connect(self.set_status)
        self.ledger = QLabel()
        edit = QHBoxLayout()
        for widget in (QLabel("Selected dispute:"), self.status, self.recovered,
                       self.set_button):
            edit.addWidget(widget)
        edit.addStretch(1)
        edit.addWidget(self.ledger)
        disputes = QWidget()
        grid = QGridLayout(disputes)
        grid.setContentsMargins(0, 4, 0, 0)
        grid.addLayout(edit, 0, 0)
        grid.addWidget(self.dispute_view, 1, 0)
        self.no_disputes = empty_state("No disputes yet. Select a difference above and Open "
                                       "dispute: the claim is what it puts at stake.")
        grid.addWidget(self.no_disputes, 2, 0)

        self.imports: RecordTableModel[model.ImportRow] = RecordTableModel([
            Column("Imported", lambda i: fmt.when(i.created_at, self.zone)),
            Column("File", lambda i: i.file_name),
            Column("Partner", lambda i: i.partner or ""),
            Column("Lines", lambda i: f"{i.rows_ok:,} read, {i.rows_failed:,} refused",
                   numeric=True),
            Column("Status", lambda i: i.status),
        ])
        self.below = QTabWidget()
        self.below.addTab(disputes, "Disputes")
        self.below.addTab(make_table(self.imports), "Imported reports")
        self.statement_button = QPushButton("Write statement (PDF or CSV)…")
        self.statement_button.setToolTip("The partner's period: every call our contracts "
                                         "bill them (or pay them) for, with the total")
        self.statement_button.clicked.connect(self.write_statement)
        self.below.setCornerWidget(self.statement_button)
        split = QSplitter(Qt.Orientation.Vertical)
        split.addWidget(self.diff_box)
        split.addWidget(self.below)
        split.setSizes([560, 240])  # the differences are what this page is for
        self.layout_.addWidget(split, 1)
        self._enable()

    # ------------------------------------------------------------------ loading
    def load(self) -> None:
        def fetch() -> tuple[str, list[str], date, Ledger, list[model.ImportRow]]:
            return (self.recon.zone(), self.recon.partners(), self.services.today(),
                    self.recon.ledger(), self.services.imports())
        self.query(fetch, self._show)
        self.load_reminder()

    def _show(self, result: tuple[str, list[str], date, Ledger,
                                  list[model.ImportRow]]) -> None:
        self.zone, partners, today, ledger, imports = result
        current = self.partner.currentText()
        self.partner.blockSignals(True)  # noqa: FBT003 - Qt's API
        self.partner.clear()
        self.partner.addItems(partners)
        self.partner.blockSignals(False)  # noqa: FBT003
        recent = next((i.partner for i in imports if i.partner), None)
        self.partner.setCurrentText(current or recent or (partners[0] if partners else ""))
        if self.loads == 0:  # the last whole month, on first show only
            last = today.replace(day=1) - timedelta(days=1)
            self.first.setDate(QDate(last.year, last.month, 1))
            self.last.setDate(QDate(last.year, last.month, last.day))
        self._show_ledger(ledger)
        self.imports.set_records(imports)

    def _show_ledger(self, ledger: Ledger) -> None:
        self.disputes.set_records(list(ledger.lines))
        self.dispute_view.resizeColumnsToContents()
        self.no_disputes.setVisible(not ledger.lines)
        self.tiles["recovered"].setText(fmt.money(ledger.recovered_micros))
        self.ledger.setText(f"Claimed {fmt.money(ledger.claimed_micros)}, recovered "
                            f"<b>{fmt.money(ledger.recovered_micros)}</b>; "
                            f"{ledger.open_count} open or submitted "
                            f"({fmt.money(ledger.pending_micros)} pending)")
        self._enable()

    def load_reminder(self) -> None:
        """Ask for the disputes near their deadline (shown, or not: the status bar shows it)."""
        self.runner.query("reconcile:reminder", self.recon.due_reminder, self._show_reminder)

    def _show_reminder(self, text: str) -> None:
        for label in (self.reminder, self.status_reminder):
            label.setText(f"⚑ {text}" if text else "")
            label.setVisible(bool(text))

    def changed(self, changes: ChangeSet) -> None:
        super().changed(changes)
        if changes.touches({Entity.DISPUTES}) and not self.isVisible():
            self.load_reminder()

    # ------------------------------------------------------------------ reconcile
    def period(self) -> tuple[date, date]:
        return self.first.date().toPython(), self.last.date().toPython()  # type: ignore[return-value]

    def reconcile(self) -> None:
        partner = self.partner.currentText()
        first, last = self.period()
        if not partner:
            self._failed("Choose a partner first (a buyer or a publisher).")
            return
        if last < first:
            self._failed(f"The period ends ({last}) before it starts ({first}).")
            return
        tolerance = Tolerance(time_s=self.time_tol.value(),
                              duration_s=self.duration_tol.value())
        self.run_button.setEnabled(False)
        self.summary.setText(f"Matching {partner}'s report with your calls…")
        self.runner.submit(f"Reconciling {partner}", lambda: self.recon.reconcile_job(
            partner, first, last, tolerance), on_done=self._show_result, on_error=self._failed)

    def _show_result(self, done: Reconciliation) -> None:
        self.done = done
        self.run_button.setEnabled(True)
        totals = done.report.totals
        self.tiles["expected"].setText(fmt.money(totals.expected_micros))
        self.tiles["paid"].setText(fmt.money(totals.paid_micros))
        self.tiles["at_stake"].setText(fmt.money(totals.at_stake_micros))
        result = done.result
        self.summary.setText(
            f"<b>{done.party.name}</b> ({done.party.kind}): {totals.lines:,} lines of theirs "
            f"in the period, {totals.calls_expected:,} calls our contracts "
            f"{'bill' if done.party.kind == 'buyer' else 'pay'}; {len(result.pairings):,} "
            f"paired ({sum(p.kind == 'id' for p in result.pairings):,} by their call id), "
            f"{len(done.report.differences):,} differences. Start times within "
            f"{done.tolerance.time_s} s, durations within {done.tolerance.duration_s} s, "
            f"whole-hour shifts up to {done.tolerance.shift_hours} h. Times in {self.zone}.")
        counts = done.report.counts()
        self.kind.blockSignals(True)  # noqa: FBT003
        self.kind.clear()
        self.kind.addItem(f"Every difference ({len(done.report.differences):,})", None)
        for kind in DiffKind:
            if counts[kind]:
                self.kind.addItem(f"{kind.label} ({counts[kind]:,})", kind)
        self.kind.blockSignals(False)  # noqa: FBT003
        self._filter()

    def _filter(self) -> None:
        if self.done is None:
            return
        kind = self.kind.currentData()
        shown = (self.done.report.differences if kind is None
                 else self.done.report.of_kind(kind))
        self.diffs.set_records(list(shown))
        self.diff_view.resizeColumnsToContents()
        self.diff_view.setColumnWidth(8, max(self.diff_view.columnWidth(8), 320))
        stake = sum(max(0, d.at_stake_micros) for d in shown)
        self.shown.setText(f"{len(shown):,} shown: expected "
                           f"{fmt.money(sum(d.expected_micros for d in shown))}, paid "
                           f"{fmt.money(sum(d.paid_micros for d in shown))}, at stake "
                           f"{fmt.money(stake)}")
        self._enable()

    def selected_difference(self) -> Difference | None:
        rows = self.diff_view.selectionModel().selectedRows()
        return self.diffs.records[rows[0].row()] if rows else None

    def selected_dispute(self) -> DisputeLine | None:
        rows = self.dispute_view.selectionModel().selectedRows()
        return self.disputes.records[rows[0].row()] if rows else None

    def _enable(self) -> None:
        diff = self.selected_difference()
        dispute = self.selected_dispute()
        self.export_button.setEnabled(bool(self.diffs.records))
        self.dispute_button.setEnabled(diff is not None)
        call = (diff.call_id if diff is not None else None) or (
            dispute.call_id if dispute is not None else None)
        self.evidence_button.setEnabled(call is not None)
        self.set_button.setEnabled(dispute is not None)

    # ------------------------------------------------------------------ actions
    def _failed(self, message: str) -> None:
        self.run_button.setEnabled(True)
        QMessageBox.warning(self, "Reconcile", message)

    def _write(self, title: str, fn: Callable[[], Any]) -> None:
        def then(_result: object) -> None:
            self.query(self.recon.ledger, self._show_ledger)
            self.load_reminder()
        self.runner.submit(title, _write_job(title, lambda: (fn(), ChangeSet.of(
            Entity.DISPUTES))[1]), on_done=then, on_error=self._failed)

    def open_dispute(self) -> None:
        diff = self.selected_difference()
        if diff is None or self.done is None:
            return
        partner = self.done.party.name
        self._write(f"Opening a dispute with {partner}",
                    lambda: self.recon.open_from_difference(partner, diff))
        self.below.setCurrentIndex(0)

    def set_status(self) -> None:
        dispute = self.selected_dispute()
        if dispute is None:
            return
        status = DisputeStatus(self.status.currentData())
        text = self.recovered.text().strip()
        try:
            recovered = to_micros(text) if text else None
        except (PpcdeskError, ValueError) as exc:
            self._failed(f"Recovered: {exc}")
            return
        self.recovered.clear()
        self._write(f"Dispute #{dispute.id}: {status}",
                    lambda: self.recon.set_status(dispute.id, status, recovered))

    def ask_save_path(self, caption: str, suggested: str, filters: str) -> str:
        """Where to write (a dialog; tests replace it)."""
        path, _ = QFileDialog.getSaveFileName(self, caption, suggested, filters)
        return path

    def export_csv(self) -> None:
        if self.done is None:
            return
        first, last = self.period()
        path = self.ask_save_path("Export the differences", f"differences-{first}-{last}.csv",
                                  "CSV (*.csv)")
        if path:
            self._file_action(lambda: self.recon.export_differences(
                Path(path), list(self.diffs.records)), f"Exported {len(self.diffs.records)} "
                f"differences to {path}")

    def write_evidence(self) -> None:
        diff, dispute = self.selected_difference(), self.selected_dispute()
        call = diff.call_id if diff is not None and diff.call_id is not None else (
            dispute.call_id if dispute is not None else None)
        sid = diff.call_sid if diff is not None and diff.call_id is not None else (
            dispute.call_sid if dispute is not None else None)
        if call is None:
            return
        path = self.ask_save_path("Write the evidence packet", f"evidence-{sid or call}.zip",
                                  "Zip archive (*.zip);;Folder (*)")
        if not path:
            return
        target = Path(path)
        as_zip = target.suffix.lower() == ".zip"
        folder = target.with_suffix("") if as_zip else target
        seconds = self.seconds.value() or None

        def write() -> Path:
            from ppcdesk.ui.printing.pdf_writer import write_pdf

            return self.recon.write_evidence(call, folder, lambda html, out: write_pdf(
                html, out, title=f"Evidence: {sid or call}"), seconds=seconds, as_zip=as_zip)
        self._file_action(write, f"Wrote the evidence packet to {target}")

    def write_statement(self) -> None:
        partner = self.partner.currentText()
        first, last = self.period()
        if not partner:
            return
        path = self.ask_save_path(f"Statement for {partner}", f"statement-{partner}-{first}-"
                                  f"{last}.pdf".replace(" ", "-"), "PDF (*.pdf);;CSV (*.csv)")
        if not path:
            return
        target = Path(path)

        def write() -> object:
            from ppcdesk.ui.printing.pdf_writer import write_pdf

            doc = self.recon.statement(partner, first, last)
            if target.suffix.lower() == ".csv":
                return self.recon.write_statement(doc, csv_path=target)
            return self.recon.write_statement(doc, pdf_path=target, pdf=lambda h, p: write_pdf(
                h, p, title=f"{doc.title}: {doc.party}"))
        self._file_action(write, f"Wrote {partner}'s statement to {target}")

    def _file_action(self, fn: Callable[[], object], message: str) -> None:
        """Write a file here (Qt lays out the PDFs); say where, or why not."""
        try:
            fn()
        except (PpcdeskError, OSError) as exc:
            self._failed(str(exc))
            return
        self.summary.setText(message)

    def open_import_wizard(self) -> None:
        from ppcdesk.ui.dialogs.import_wizard import ImportWizard

        wizard = ImportWizard(self.recon, self.runner, self,
                              partner=self.partner.currentText())
        wizard.imported.connect(lambda _summary: self.reload())
        wizard.open()
        self.wizard = wizard
