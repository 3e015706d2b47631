"""Add a Twilio account: SID, an API key (recommended) or the auth token, where to start."""

from __future__ import annotations

from datetime import date, timedelta

from PySide6.QtCore import QDate
from PySide6.QtWidgets import (
    QButtonGroup,
    QDateEdit,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QRadioButton,
    QVBoxLayout,
    QWidget,
)

from ppcdesk.core.errors import NoSecretBackendError, PpcdeskError
from ppcdesk.core.model import AccountRow
from ppcdesk.services.app_services import AppServices


class AddAccountDialog(QDialog):
    """Collects credentials and hands them to the services; the secret goes nowhere else."""

    def __init__(self, services: AppServices, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.services = services
        self.added: AccountRow | None = None
        self.setWindowTitle("Connect a Twilio account")
        self.setObjectName("addAccountDialog")
        layout = QVBoxLayout(self)
        intro = QLabel(
            "ppcdesk reads your tracking numbers, calls and recordings from Twilio. We "
            "recommend an <b>API key</b> (Twilio Console, Account, API keys): you can revoke "
            "it alone at any time. The secret is kept in your operating system's keyring, "
            "never in ppcdesk's files.")
        intro.setWordWrap(True)
        layout.addWidget(intro)
        form = QFormLayout()
        self.account_sid = QLineEdit()
        self.account_sid.setPlaceholderText("AC followed by 32 characters")
        self.use_key = QRadioButton("API key (recommended)")
        self.use_token = QRadioButton("Auth token")
        self.use_key.setChecked(True)
        group = QButtonGroup(self)
        group.addButton(self.use_key)
        group.addButton(self.use_token)
        self.key_sid = QLineEdit()
        self.key_sid.setPlaceholderText("SK followed by 32 characters")
        self.secret = QLineEdit()
        self.secret.setEchoMode(QLineEdit.EchoMode.Password)
        self.secret.setPlaceholderText("API key secret")
        self.label = QLineEdit()
        self.label.setPlaceholderText("e.g. My tracking numbers")
        self.since = QDateEdit()
        self.since.setCalendarPopup(True)
        self.since.setDisplayFormat("yyyy-MM-dd")
        start = date.today() - timedelta(days=30)  # noqa: DTZ011 - a day the user picks
        self.since.setDate(QDate(start.year, start.month, start.day))
        form.addRow("Account SID", self.account_sid)
        form.addRow("Sign in with", self.use_key)
        form.addRow("", self.use_token)
        form.addRow("API key SID", self.key_sid)
        form.addRow("Secret", self.secret)
        form.addRow("Label", self.label)
        form.addRow("First sync from", self.since)
        layout.addLayout(form)
        self.error = QLabel()
        self.error.setObjectName("errorLabel")
        self.error.setWordWrap(True)
        self.error.hide()
        layout.addWidget(self.error)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save
                                   | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.save)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self.use_key.toggled.connect(self._kind_changed)

    def _kind_changed(self, key: bool) -> None:
        self.key_sid.setEnabled(key)
        self.secret.setPlaceholderText("API key secret" if key else "Auth token")

    def save(self, *, session_only: bool = False) -> None:
        secret = self.secret.text().strip()
        key = self.use_key.isChecked()
        since = self.since.date().toPython()
        try:
            self.added = self.services.add_account(
                self.account_sid.text().strip(),
                auth_token=None if key else secret,
                api_key_sid=self.key_sid.text().strip() if key else None,
                api_key_secret=secret if key else None,
                label=self.label.text().strip(), sync_from=since,  # type: ignore[arg-type]
                session_only=session_only)
        except NoSecretBackendError as exc:
            answer = QMessageBox.question(
                self, "No keyring on this computer",
                f"{exc}.\n\nKeep the secret for this session only? ppcdesk will forget it "
                "when it quits, and ask for it again next time. It is never written to a "
                "file.")
            if answer == QMessageBox.StandardButton.Yes:
                self.save(session_only=True)
            return
        except PpcdeskError as exc:
            self.error.setText(str(exc))
            self.error.show()
            return
        self.secret.clear()
        self.accept()
