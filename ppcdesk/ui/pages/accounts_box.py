"""The Twilio accounts group of the Settings page: list, add, test the connection, remove."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QMessageBox,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from ppcdesk.core.changes import ChangeSet, Entity
from ppcdesk.core.model import AccountRow
from ppcdesk.services.app_services import AppServices
from ppcdesk.ui import format as fmt
from ppcdesk.ui.dialogs.account_dialog import AddAccountDialog
from ppcdesk.ui.models.records import Column, RecordTableModel
from ppcdesk.ui.pages.base import make_table
from ppcdesk.ui.workers import JobRunner


class AccountsBox(QGroupBox):
    """Accounts and their standing; emits ``changed`` after an add or a removal."""

    changed = Signal(object)  # ChangeSet

    def __init__(self, services: AppServices, runner: JobRunner,
                 parent: QWidget | None = None) -> None:
        super().__init__("Twilio accounts", parent)
        self.services = services
        self.runner = runner
        self.zone = "UTC"
        self.model: RecordTableModel[AccountRow] = RecordTableModel([
            Column("Account SID", lambda a: a.account_sid),
            Column("Label", lambda a: a.label),
            Column("Signs in with", lambda a: "API key " + (a.api_key_sid or "")
                   if a.auth_kind == "api_key" else "auth token"),
            Column("Secret", lambda a: "at hand" if a.secret_available else
                   "missing: connect it again"),
            Column("Last sync", lambda a: fmt.when(a.last_sync_at, self.zone)),
            Column("Synced up to", lambda a: fmt.when(a.checkpoint_at, self.zone)),
        ])
        layout = QVBoxLayout(self)
        self.view = make_table(self.model)
        self.view.setMaximumHeight(140)
        self.empty = QLabel("No account yet. Connect the Twilio account that owns your "
                            "tracking numbers; ppcdesk then syncs it on demand (Sync, F5) or "
                            "every few minutes (below).")
        self.empty.setWordWrap(True)
        buttons = QHBoxLayout()
        self.add_button = QPushButton("Connect an account…")
        self.test_button = QPushButton("Test connection")
        self.remove_button = QPushButton("Remove")
        for button in (self.add_button, self.test_button, self.remove_button):
            buttons.addWidget(button)
        buttons.addStretch(1)
        self.result = QLabel()
        self.result.setObjectName("connectionResult")
        self.result.setWordWrap(True)
        for widget in (self.view, self.empty):
            layout.addWidget(widget)
        layout.addLayout(buttons)
        layout.addWidget(self.result)
        self.add_button.clicked.connect(self.add)
        self.test_button.clicked.connect(self.test)
        self.remove_button.clicked.connect(self.remove)

    def show_accounts(self, accounts: list[AccountRow], zone: str) -> None:
        self.zone = zone
        self.model.set_records(accounts)
        self.view.resizeColumnsToContents()
        self.view.setVisible(bool(accounts))
        self.empty.setVisible(not accounts)
        self.test_button.setEnabled(bool(accounts))
        self.remove_button.setEnabled(bool(accounts))
        if accounts:
            self.view.selectRow(0)

    def selected(self) -> AccountRow | None:
        rows = self.view.selectionModel().selectedRows()
        if rows:
            return self.model.records[rows[0].row()]
        return self.model.records[0] if self.model.records else None

    def add(self) -> None:
        dialog = AddAccountDialog(self.services, self)
        if dialog.exec() and dialog.added is not None:
            self.result.setText(f"Added {dialog.added.account_sid}. Use Test connection to "
                                "check the credentials, then Sync.")
            self.changed.emit(ChangeSet.of(Entity.ACCOUNTS))

    def test(self) -> None:
        account = self.selected()
        if account is None:
            return
        self.result.setText(f"Connecting to Twilio as {account.account_sid}…")
        self.runner.query(
            "accounts:test", lambda: self.services.test_connection(account.id),
            lambda status: self.result.setText(
                f"✔ Connected: {status.friendly_name} ({status.sid}), account {status.status}."),
            lambda message: self.result.setText(f"✘ {message}"))

    def remove(self) -> None:
        account = self.selected()
        if account is None:
            return
        answer = QMessageBox.question(
            self, "Remove account", f"Forget {account.account_sid} and its secret? The numbers, "
            "calls and recordings it brought stay in this workspace.")
        if answer == QMessageBox.StandardButton.Yes:
            self.changed.emit(self.services.remove_account(account.id))
