"""File, "Open a shared workspace (PostgreSQL)…": where the server is, who signs in, and how.

The dialog builds ``postgresql://USER@HOST:PORT/DATABASE`` from its fields, tries it before
closing (so a mistyped password is said here, and never kept), stores the password in the OS
keyring, and hands the URL, which never holds the password, to the window's
``open_workspace`` signal. Without "remember", the keyring entry only lasts until the
workspace has opened: its connections keep the password in memory for this session.
"""

from __future__ import annotations

import getpass
import threading
from typing import Any

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from ppcdesk.core.errors import PpcdeskError
from ppcdesk.services import server_login

POLL_MS = 50
NO_KEYRING = ("No OS keyring on this computer, so ppcdesk cannot keep a password: it signs in "
              "with PGPASSWORD or ~/.pgpass (PostgreSQL's own), or without one where the "
              "server allows it.")


class ServerDialog(QDialog):
    """Host, port, database, user and password of a shared workspace; ``url()`` when done."""

    def __init__(self, parent: QWidget | None = None, *, keyring: bool = True) -> None:
        super().__init__(parent)
        self.setWindowTitle("Open a shared workspace (PostgreSQL)")
        self.setMinimumWidth(480)
        self.keyring = keyring
        self.host = QLineEdit("localhost")
        self.port = QSpinBox()
        self.port.setRange(1, 65535)
        self.port.setValue(server_login.DEFAULT_PORT)
        self.database = QLineEdit()
        self.database.setPlaceholderText("the workspace's database, e.g. ppcdesk")
        self.user = QLineEdit(_login_name())
        self.password = QLineEdit()
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.remember = QCheckBox("Remember the password in the OS keyring")
        self.remember.setChecked(True)
        form = QFormLayout()
        for caption, widget in (("Server", self.host), ("Port", self.port),
                                ("Database", self.database), ("User", self.user),
                                ("Password", self.password), ("", self.remember)):
            form.addRow(caption, widget)
        self.note = QLabel("The password goes to the OS keyring only, never to ppcdesk's "
                           "settings. Everyone who opens this database shares its calls, "
                           "contracts and reviews.")
        if not keyring:
            self.note.setText(NO_KEYRING)
            self.note.setObjectName("warningLabel")
            for widget in (self.password, self.remember):
                widget.setEnabled(False)
            self.remember.setChecked(False)
        self.note.setWordWrap(True)
        self.preview = QLabel()
        self.preview.setWordWrap(True)
        self.error = QLabel()
        self.error.setObjectName("errorLabel")
        self.error.setWordWrap(True)
        self.error.hide()
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Open
                                        | QDialogButtonBox.StandardButton.Cancel)
        self.buttons.accepted.connect(self._try)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        for label in (self.preview, self.note, self.error):
            layout.addWidget(label)
        layout.addWidget(self.buttons)
        for edit in (self.host, self.database, self.user):
            edit.textChanged.connect(self._update)
        self.port.valueChanged.connect(self._update)
        self._attempt: dict[str, Any] | None = None
        self._timer = QTimer(self)
        self._timer.setInterval(POLL_MS)
        self._timer.timeout.connect(self._poll)
        self._update()

    # ------------------------------------------------------------------ the URL
    def url(self) -> str:
        """The workspace's URL, without the password (PpcdeskError naming a missing part)."""
        return server_login.server_url(self.host.text(), self.port.value(),
                                       self.database.text(), self.user.text())

    def _update(self) -> None:
        try:
            url = self.url()
        except PpcdeskError as exc:
            self.preview.setText(f"Opens: … ({exc})")
            self._open_button().setEnabled(False)
            return
        self.preview.setText(f"Opens: {url}")
        self._open_button().setEnabled(self._attempt is None)

    def _open_button(self) -> Any:
        return self.buttons.button(QDialogButtonBox.StandardButton.Open)

    # ------------------------------------------------------------------ trying it
    def _try(self) -> None:
        """Sign in on a helper thread (a far server takes seconds); close when it worked."""
        url, password = self.url(), self.password.text() or None
        attempt: dict[str, Any] = {"url": url}
        self._attempt = attempt

        def sign_in() -> None:
            try:
                server_login.check_login(url, password)
                attempt["error"] = None
            except PpcdeskError as exc:
                attempt["error"] = str(exc)
            except Exception as exc:  # noqa: BLE001 - shown in the dialog, not lost
                attempt["error"] = f"cannot connect to {url}: {exc}"

        self.error.setText(f"Connecting to {url}…")
        self.error.setObjectName("")
        self.error.show()
        self._open_button().setEnabled(False)
        threading.Thread(target=sign_in, name="ppcdesk-login", daemon=True).start()
        self._timer.start()

    def _poll(self) -> None:
        attempt = self._attempt
        if attempt is None or "error" not in attempt:
            return
        self._timer.stop()
        self._attempt = None
        if attempt["error"] is None:
            self.accept()
            return
        self.error.setObjectName("errorLabel")
        self.error.setText(str(attempt["error"]))
        self.error.style().unpolish(self.error)
        self.error.style().polish(self.error)
        self._update()


def open_shared_workspace(parent: QWidget, emit: Any) -> str | None:
    """Ask for a server's workspace, keep its password, and ``emit(url, False)`` to open it.

    ``emit`` is the window's ``open_workspace.emit``; the workspace opens before it returns,
    so a password not to remember is dropped from the keyring right after.
    """
    keyring = server_login.keyring_available()
    dialog = ServerDialog(parent, keyring=keyring)
    try:
        if dialog.exec() != QDialog.DialogCode.Accepted:
            return None
        url, password = dialog.url(), dialog.password.text()
        remember = dialog.remember.isChecked()
    finally:
        dialog.deleteLater()
    stored = bool(password) and keyring
    if stored:
        server_login.remember_password(url, password)
    try:
        emit(url, False)  # noqa: FBT003 - a signal's arguments
    finally:
        if stored and not remember:
            server_login.forget_password(url)
    return url


def _login_name() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no user name in the environment or the password database
        return ""
