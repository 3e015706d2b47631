"""The import wizard: a partner's report from file to stored lines, every step shown.

File -> preview (as read: encoding, delimiter, the first rows) -> column mapping (a named
preset, or one guessed from the headers; save it as a preset) -> validation (every bad row:
row, column, value, why; import the good rows or none) -> the import, a job on the write lane
with progress and Cancel (a cancelled import rolls back: nothing is stored).

Reading and checking run on the read lane, so a 50 MB report does not freeze the window.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QButtonGroup,
    QComboBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QRadioButton,
    QSpinBox,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
    QWizard,
    QWizardPage,
)

from ppcdesk.core.changes import ChangeSet, Entity
from ppcdesk.core.errors import PpcdeskError
from ppcdesk.core.money import Money
from ppcdesk.core.progress import Job, Progress
from ppcdesk.recon.importers.mapping import FIELDS, ColumnMapping, Preset
from ppcdesk.recon.importers.parse import RowError
from ppcdesk.recon.job import ImportPlan, ImportSummary, ReportFile
from ppcdesk.services.recon_service import ReconService
from ppcdesk.ui.models.records import Column, RecordTableModel
from ppcdesk.ui.pages.base import make_table
from ppcdesk.ui.workers import JobRunner

PREVIEW_ROWS = 20
_NONE = "(not in this report)"
_ENCODINGS = {"utf-8": "UTF-8", "utf-8-sig": "UTF-8 with a byte-order mark (Excel's CSV UTF-8)",
              "cp1252": "Windows-1252 (Excel's plain CSV)", "xlsx": "an Excel workbook"}
_DELIMITERS = {",": "comma", ";": "semicolon", "\t": "tab", "|": "vertical bar"}
_LABELS = {"time": "Start time *", "caller": "Caller", "duration": "Duration",
           "amount": "Amount paid", "call_id": "Their call id", "status": "Status",
           "campaign": "Campaign"}
_ZONES = ("America/New_York", "America/Chicago", "America/Denver", "America/Phoenix",
          "America/Los_Angeles", "UTC")


def describe(table_encoding: str, delimiter: str) -> str:
    """How the file was read, in words ("UTF-8, split on semicolons")."""
    how = _ENCODINGS.get(table_encoding, table_encoding)
    return how if not delimiter else f"{how}, split on {_DELIMITERS.get(delimiter, delimiter)}s"


class ImportWizard(QWizard):
    """Import one report; ``imported`` carries the ImportSummary when lines were stored."""

    imported = Signal(object)

    def __init__(self, recon: ReconService, runner: JobRunner, parent: QWidget | None = None,
                 *, partner: str = "") -> None:
        super().__init__(parent)
        self.recon, self.runner = recon, runner
        self.setWindowTitle("Import a partner's report")
        self.setOption(QWizard.WizardOption.NoBackButtonOnLastPage)
        self.setOption(QWizard.WizardOption.NoCancelButtonOnLastPage)
        self.resize(980, 640)
        self.report: ReportFile | None = None
        self.plan: ImportPlan | None = None
        self.partner_hint = partner
        self.zone = recon.zone()
        self.file_page, self.preview_page = _FilePage(self), _PreviewPage(self)
        self.mapping_page, self.check_page = _MappingPage(self), _CheckPage(self)
        self.run_page = _RunPage(self)
        for page in (self.file_page, self.preview_page, self.mapping_page, self.check_page,
                     self.run_page):
            self.addPage(page)

    def preset(self) -> Preset:
        return self.mapping_page.preset()

    def reject(self) -> None:
        self.run_page.cancel()
        super().reject()


class _FilePage(QWizardPage):
    def __init__(self, wizard: ImportWizard) -> None:
        super().__init__()
        self.w = wizard
        self.setTitle("Which report?")
        self.setSubTitle("A network's call log, a buyer's statement or a payout report, as CSV "
                         "or XLSX. Its encoding and delimiter are found for you.")
        self.path = QLineEdit()
        self.path.setPlaceholderText("the report's file")
        self.path.editingFinished.connect(lambda: self.read(self.path.text()))
        browse = QPushButton("Choose…")
        browse.clicked.connect(self._browse)
        self.state = QLabel()
        self.state.setWordWrap(True)
        row = QHBoxLayout()
        row.addWidget(self.path, 1)
        row.addWidget(browse)
        layout = QVBoxLayout(self)
        layout.addLayout(row)
        layout.addWidget(self.state)
        layout.addStretch(1)

    def _browse(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "A partner's report", "",
                                              "Reports (*.csv *.txt *.xlsx);;All files (*)")
        if path:
            self.read(path)

    def read(self, path: str) -> None:
        """Read the file on the read lane; the page completes when it has been read."""
        if not path or (self.w.report is not None and str(self.w.report.path) == path):
            return
        self.path.setText(path)
        self.w.report = None
        self.state.setText(f"Reading {Path(path).name}…")
        self.completeChanged.emit()
        self.w.runner.query("import:read", lambda: self.w.recon.read_report(Path(path)),
                            self._read, self._failed)

    def _read(self, report: ReportFile) -> None:
        self.w.report = report
        self.state.setText(f"{report.table.source}: {len(report.table.rows):,} rows, "
                           f"{len(report.table.header)} columns, read as "
                           f"{describe(report.table.encoding, report.table.delimiter)}.")
        self.completeChanged.emit()

    def _failed(self, message: str) -> None:
        self.state.setText(f"<b>This file cannot be read:</b> {message}")

    def isComplete(self) -> bool:  # noqa: N802
        return self.w.report is not None


class _PreviewPage(QWizardPage):
    def __init__(self, wizard: ImportWizard) -> None:
        super().__init__()
        self.w = wizard
        self.setTitle("As read")
        self.setSubTitle("The first rows, as the file was read.")
        self.how = QLabel()
        self.how.setWordWrap(True)
        self.table = QTableWidget()
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().setDefaultSectionSize(22)
        layout = QVBoxLayout(self)
        layout.addWidget(self.how)
        layout.addWidget(self.table, 1)

    def initializePage(self) -> None:  # noqa: N802
        report = self.w.report
        if report is None:
            return
        table = report.table
        self.setSubTitle(f"The first {min(PREVIEW_ROWS, len(table.rows))} of "
                         f"{len(table.rows):,} rows. If the columns look wrong, the file is not "
                         "the report you meant, or not a CSV.")
        self.how.setText(f"Read as <b>{describe(table.encoding, table.delimiter)}</b>; the "
                         "header is row 1, as a spreadsheet numbers it.")
        rows = table.rows[:PREVIEW_ROWS]
        self.table.setColumnCount(len(table.header))
        self.table.setRowCount(len(rows))
        self.table.setHorizontalHeaderLabels(list(table.header))
        self.table.setVerticalHeaderLabels([str(n) for n, _ in rows])
        for r, (_n, cells) in enumerate(rows):
            for c, text in enumerate(cells[:len(table.header)]):
                self.table.setItem(r, c, QTableWidgetItem(text))
        self.table.resizeColumnsToContents()


class _MappingPage(QWizardPage):
    def __init__(self, wizard: ImportWizard) -> None:
        super().__init__()
        self.w = wizard
        self.setTitle("Which column is which")
        self.setSubTitle("Pick a preset (this partner's saved layout) or map the columns; "
                         "save the mapping as a preset for their next report.")
        self.presets = QComboBox()
        self.presets.currentIndexChanged.connect(lambda _i: self._apply_preset())
        self.columns: dict[str, QComboBox] = {name: QComboBox() for name in FIELDS}
        for combo in self.columns.values():
            combo.currentIndexChanged.connect(lambda _i: self.completeChanged.emit())
        self.zone = QComboBox()
        self.zone.setEditable(True)
        self.zone.addItems(_ZONES)
        self.date_format = QComboBox()
        self.date_format.setEditable(True)
        self.date_format.addItem("US: 03/01/2026 2:05 PM", "us")
        self.date_format.addItem("ISO: 2026-03-01 14:05", "iso")
        self.partner = QComboBox()
        self.partner.currentIndexChanged.connect(lambda _i: self.completeChanged.emit())
        self.window_days = QSpinBox()
        self.window_days.setRange(1, 365)
        self.window_days.setSuffix(" days after the call")
        self.name = QLineEdit()
        self.name.setPlaceholderText("preset name, e.g. silverline")
        save = QPushButton("Save as preset")
        save.clicked.connect(self.save_preset)
        self.saved = QLabel()
        form = QFormLayout(self)
        form.addRow("Preset", self.presets)
        for name in FIELDS:
            form.addRow(_LABELS[name], self.columns[name])
        form.addRow("Times without an offset are in", self.zone)
        form.addRow("Dates are written", self.date_format)
        form.addRow("Whose report", self.partner)
        form.addRow("They accept disputes for", self.window_days)
        row = QHBoxLayout()
        row.addWidget(self.name, 1)
        row.addWidget(save)
        form.addRow("", row)
        form.addRow("", self.saved)

    def initializePage(self) -> None:  # noqa: N802
        report = self.w.report
        if report is None:
            return
        for combo in self.columns.values():
            combo.blockSignals(True)  # noqa: FBT003 - Qt's API
            combo.clear()
            combo.addItems([_NONE, *report.table.header])
            combo.blockSignals(False)  # noqa: FBT003
        self.partner.clear()
        self.partner.addItems(self.w.recon.partners())
        self.partner.setCurrentText(self.w.partner_hint)
        self.presets.blockSignals(True)  # noqa: FBT003
        self.presets.clear()
        self.presets.addItem("Guessed from the headers", self.w.recon.guess_preset(report))
        header = {h.lower() for h in report.table.header}
        chosen = 0
        for preset in self.w.recon.presets():
            self.presets.addItem(preset.name + (f" ({preset.partner})" if preset.partner
                                                else ""), preset)
            fits = preset.mapping.time.lower() in header
            if fits and (chosen == 0 or preset.partner == self.w.partner_hint):
                chosen = self.presets.count() - 1
        self.presets.blockSignals(False)  # noqa: FBT003
        self.presets.setCurrentIndex(chosen)
        self._apply_preset()

    def _apply_preset(self) -> None:
        preset = self.presets.currentData()
        if not isinstance(preset, Preset):
            return
        mapping = preset.mapping
        for name, combo in self.columns.items():
            header = getattr(mapping, name) or ""
            found = next((i for i in range(combo.count())
                          if combo.itemText(i).lower() == header.lower()), 0)
            combo.setCurrentIndex(found if header else 0)
        self.zone.setCurrentText(mapping.timezone)
        index = self.date_format.findData(mapping.date_format)
        if index >= 0:
            self.date_format.setCurrentIndex(index)
        else:
            self.date_format.setCurrentText(mapping.date_format)
        if preset.partner:
            self.partner.setCurrentText(preset.partner)
        self.window_days.setValue(preset.dispute_window_days)
        self.name.setText(preset.name if not preset.builtin else "")

    def preset(self) -> Preset:
        """The mapping as the page shows it (checked: PresetError says what is wrong)."""
        chosen = {name: (c.currentText() if c.currentIndex() > 0 else None)
                  for name, c in self.columns.items()}
        data = self.date_format.currentData()
        typed = self.date_format.currentText()
        date_format = data if data is not None and self.date_format.itemText(
            self.date_format.currentIndex()) == typed else typed
        base = self.presets.currentData()
        mapping = ColumnMapping(
            time=chosen.pop("time") or "", timezone=self.zone.currentText().strip(),
            date_format=str(date_format).strip(),
            statuses=base.mapping.statuses if isinstance(base, Preset) else {},
            timezone_column=base.mapping.timezone_column if isinstance(base, Preset) else None,
            **chosen)
        preset = Preset(self.name.text().strip() or "unsaved", mapping,
                        partner=self.partner.currentText(),
                        dispute_window_days=self.window_days.value())
        mapping.check()
        return preset

    def save_preset(self) -> None:
        name = self.name.text().strip()
        if not name:
            self.saved.setText("Name the preset first.")
            return
        try:
            preset = replace(self.preset(), name=name)
        except PpcdeskError as exc:
            self.saved.setText(str(exc))
            return

        def job() -> Job[ChangeSet]:
            yield Progress(0, 1, f"Saving preset {name}")
            self.w.recon.save_preset(preset)
            return ChangeSet.of(Entity.IMPORTS)
        self.w.runner.submit(f"Saving preset {name}", job, on_done=lambda _r: self.saved.setText(
            f"Saved as preset {name!r}: choose it for {preset.partner or 'this partner'}'s "
            "next report."), on_error=self.saved.setText)

    def isComplete(self) -> bool:  # noqa: N802
        return self.columns["time"].currentIndex() > 0 and bool(self.partner.currentText())

    def validatePage(self) -> bool:  # noqa: N802
        try:
            self.preset()
        except PpcdeskError as exc:
            self.saved.setText(f"<b>{exc}</b>")
            return False
        return True


class _CheckPage(QWizardPage):
    def __init__(self, wizard: ImportWizard) -> None:
        super().__init__()
        self.w = wizard
        self.setTitle("Every line checked")
        self.setSubTitle("Each line that cannot be read is listed once, for the first value "
                         "that cannot be read. Import the good ones, or none.")
        self.verdict = QLabel()
        self.verdict.setWordWrap(True)
        self.errors: RecordTableModel[RowError] = RecordTableModel([
            Column("Row", lambda e: str(e.row), numeric=True, sort_key=lambda e: e.row),
            Column("Column", lambda e: e.column),
            Column("Value", lambda e: e.value),
            Column("Why", lambda e: e.why),
        ])
        self.view = make_table(self.errors)
        self.good = QRadioButton()
        self.none = QRadioButton("Import none (fix the file, then import it again)")
        self.choice = QButtonGroup(self)
        self.choice.addButton(self.good)
        self.choice.addButton(self.none)
        self.good.setChecked(True)
        layout = QVBoxLayout(self)
        layout.addWidget(self.verdict)
        layout.addWidget(self.view, 1)
        layout.addWidget(self.good)
        layout.addWidget(self.none)

    def initializePage(self) -> None:  # noqa: N802
        report = self.w.report
        self.w.plan = None
        self.completeChanged.emit()
        if report is None:
            return
        preset = self.w.preset()
        self.verdict.setText("Checking every line…")
        self.w.runner.query("import:check", lambda: self.w.recon.check_report(report, preset),
                            self._checked, self._failed)

    def _checked(self, plan: ImportPlan) -> None:
        self.w.plan = plan
        parsed = plan.parsed
        rows = parsed.rows
        paid = sum(r.amount_micros for r in rows)
        span = ""
        if rows:
            zone = ZoneInfo(self.w.zone)
            first = datetime.fromtimestamp(min(r.started_at for r in rows), zone)
            last = datetime.fromtimestamp(max(r.started_at for r in rows), zone)
            span = f", calls from {first:%Y-%m-%d} to {last:%Y-%m-%d}"
        summary = f"{len(rows):,} lines can be read: {Money(paid)} paid{span}."
        bad = len(parsed.errors)
        if bad:
            self.verdict.setText(f"<b>{bad:,} of {parsed.total:,} rows cannot be read</b>, "
                                 f"each for the reason below. {summary}")
        else:
            self.verdict.setText(f"<b>Every row can be read.</b> {summary}")
        self.errors.set_records(list(parsed.errors))
        self.view.resizeColumnsToContents()
        self.good.setText(f"Import the {len(rows):,} good rows and leave the {bad:,} out")
        for widget in (self.view, self.good, self.none):
            widget.setVisible(bool(bad))
        self.good.setChecked(True)
        self.completeChanged.emit()

    def _failed(self, message: str) -> None:
        self.verdict.setText(f"<b>The mapping does not fit this file:</b> {message}")
        for widget in (self.view, self.good, self.none):
            widget.hide()

    def import_good_rows(self) -> bool:
        return self.good.isChecked()

    def isComplete(self) -> bool:  # noqa: N802
        return self.w.plan is not None and (bool(self.w.plan.parsed.rows)
                                            or self.none.isChecked())


class _RunPage(QWizardPage):
    def __init__(self, wizard: ImportWizard) -> None:
        super().__init__()
        self.w = wizard
        self.setTitle("Importing")
        self.setSubTitle("The import record and every line, in one transaction.")
        self.job_id: int | None = None
        self.finished = False
        self.state = QLabel()
        self.state.setWordWrap(True)
        self.bar = QProgressBar()
        self.cancel_button = QPushButton("Cancel the import")
        self.cancel_button.clicked.connect(self.cancel)
        layout = QVBoxLayout(self)
        layout.addWidget(self.state)
        layout.addWidget(self.bar)
        layout.addWidget(self.cancel_button)
        layout.addStretch(1)
        runner = wizard.runner
        runner.job_progress.connect(self._progress)
        runner.job_cancelled.connect(self._cancelled)

    def initializePage(self) -> None:  # noqa: N802
        plan = self.w.plan
        self.finished = False
        if plan is None or not self.w.check_page.import_good_rows():
            self._end("Nothing was imported.")
            return
        self.state.setText(f"Storing {len(plan.parsed.rows):,} lines in one transaction: "
                           "cancel and nothing is kept.")
        self.bar.setRange(0, 0)
        self.cancel_button.show()
        partner = self.w.mapping_page.partner.currentText()
        self.job_id = self.w.runner.submit(
            f"Importing {plan.table.source}", lambda: self.w.recon.import_job(
                plan, partner=partner, good_rows=True), on_done=self._done,
            on_error=lambda message: self._end(f"<b>Nothing was imported:</b> {message}"))

    def _progress(self, job_id: int, progress: Progress) -> None:
        if job_id == self.job_id and progress.total:
            self.bar.setRange(0, progress.total)
            self.bar.setValue(progress.done)

    def _done(self, summary: ImportSummary) -> None:
        left = (f"; {summary.rows_failed:,} rows were left out" if summary.rows_failed else "")
        self._end(f"Imported {summary.rows_ok:,} lines for <b>{summary.partner}</b> (import "
                  f"#{summary.import_id}){left}. Reconcile the period to see every "
                  "difference.")
        self.bar.setRange(0, 1)
        self.bar.setValue(1)
        self.w.imported.emit(summary)

    def _cancelled(self, job_id: int) -> None:
        if job_id == self.job_id:
            self._end("Cancelled: nothing was imported.")

    def cancel(self) -> None:
        if self.job_id is not None and not self.finished:
            self.w.runner.cancel(self.job_id)

    def _end(self, message: str) -> None:
        self.finished = True
        self.state.setText(message)
        self.cancel_button.hide()
        if self.bar.maximum() == 0:
            self.bar.setRange(0, 1)
        self.completeChanged.emit()

    def isComplete(self) -> bool:  # noqa: N802
        return self.finished
