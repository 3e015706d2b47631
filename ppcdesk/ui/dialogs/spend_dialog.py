"""Enter one day's media spend, or import a CSV of them (date, campaign, publisher, amount)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from PySide6.QtCore import QDate
from PySide6.QtWidgets import (
    QComboBox,
    QDateEdit,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from ppcdesk.core.changes import ChangeSet
from ppcdesk.core.errors import MoneyError
from ppcdesk.core.money import to_micros
from ppcdesk.services.app_services import AppServices
from ppcdesk.ui import format as fmt
from ppcdesk.ui.workers import JobRunner


class SpendDialog(QDialog):
    """Type a day's spend per campaign, publisher and source, or import a spend CSV."""

    def __init__(self, services: AppServices, runner: JobRunner,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Media spend")
        self.services, self.runner = services, runner
        self.setMinimumWidth(420)  # room for the intro and for a campaign's whole name
        layout = QVBoxLayout(self)
        intro = QLabel("What you paid for ads on a day. Profit, cost per call and ROAS on the "
                       "dashboard are figured from it; leave campaign or publisher at 'any' "
                       "for spend that is not theirs alone.")
        intro.setWordWrap(True)
        intro.setObjectName("hint")
        layout.addWidget(intro)
        form = QFormLayout()
        yesterday = services.today()  # the user's zone, from the services' clock
        self.day = QDateEdit(QDate(yesterday.year, yesterday.month, yesterday.day).addDays(-1))
        self.day.setCalendarPopup(True)
        self.day.setDisplayFormat("yyyy-MM-dd")
        self.campaign, self.publisher = QComboBox(), QComboBox()
        self.campaign.addItem("(any campaign)", None)
        for row in services.campaigns():
            self.campaign.addItem(row.name, row.id)
        self.publisher.addItem("(any publisher)", None)
        for prow in services.publishers():
            self.publisher.addItem(prow.name, prow.id)
        self.source = QLineEdit()
        self.source.setPlaceholderText("e.g. Google Ads")
        self.amount = QLineEdit()
        self.amount.setPlaceholderText("e.g. 1,250.00")
        for label, widget in (("Day", self.day), ("Campaign", self.campaign),
                              ("Publisher", self.publisher), ("Source (optional)", self.source),
                              ("Amount ($)", self.amount)):
            form.addRow(label, widget)
        layout.addLayout(form)
        self.message = QLabel("")
        self.message.setWordWrap(True)
        layout.addWidget(self.message)
        self.import_button = QPushButton("Import a CSV…")
        self.import_button.setToolTip("Columns: date, campaign, publisher, amount (source "
                                      "optional); names as ppcdesk knows them")
        self.import_button.clicked.connect(self._ask_import)
        layout.addWidget(self.import_button)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save
                                   | QDialogButtonBox.StandardButton.Close)
        buttons.accepted.connect(self.save)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)

    def save(self) -> None:
        """Save the typed amount on the write lane; errors are shown, never raised."""
        try:
            micros = to_micros(self.amount.text())
        except MoneyError as exc:
            self._say(f"Amount: {exc}", error=True)
            return
        qday = self.day.date()
        day = date(qday.year(), qday.month(), qday.day())
        campaign, publisher = self.campaign.currentData(), self.publisher.currentData()
        source = self.source.text().strip()
        kpi = self.services.kpi

        def write() -> ChangeSet:
            return kpi.add_spend(day, micros, campaign_id=campaign, publisher_id=publisher,
                                 source=source)

        from ppcdesk.ui.pages.dashboard_page import one_step

        self.runner.submit("Saving media spend", lambda: one_step(write, "Saving spend"),
                           on_done=lambda _c: self._say(
                               f"Saved {fmt.money(micros)} of spend for {day}."),
                           on_error=lambda m: self._say(m, error=True))

    def import_file(self, path: Path) -> None:
        self._say(f"Importing {path.name}…")
        self.runner.submit(f"Importing {path.name}",
                           lambda: self.services.kpi.import_spend_job(path),
                           on_done=lambda c: self._say(
                               f"Imported {c.counts.get('spend', 0):,} rows from {path.name}."),
                           on_error=lambda m: self._say(m, error=True))

    def _say(self, text: str, *, error: bool = False) -> None:
        """Show a result: red for a problem (naming file, row and field), plain for success."""
        self.message.setText(text)
        self.message.setStyleSheet("color: #b91c1c;" if error else "")

    def _ask_import(self) -> None:
        name, _ = QFileDialog.getOpenFileName(self, "Import media spend", "", "CSV (*.csv)")
        if name:
            self.import_file(Path(name))
