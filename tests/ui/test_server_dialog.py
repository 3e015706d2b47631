"""File, "Open a shared workspace (PostgreSQL)…": the URL it builds, where the password goes."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from ppcdesk.services import server_login
from ppcdesk.storage import dialect
from ppcdesk.ui.dialogs import server_dialog
from ppcdesk.ui.dialogs.server_dialog import ServerDialog
from PySide6.QtWidgets import QDialog, QDialogButtonBox

PASSWORD = "Heron-plinth-7731"  # noqa: S105 - made up; searched for in every file below


def fill(dialog: ServerDialog, *, host: str, port: int, database: str, user: str,
         password: str = PASSWORD, remember: bool = True) -> None:
    dialog.host.setText(host)
    dialog.port.setValue(port)
    dialog.database.setText(database)
    dialog.user.setText(user)
    dialog.password.setText(password)
    dialog.remember.setChecked(remember)


def open_button(dialog: ServerDialog) -> Any:
    return dialog.buttons.button(QDialogButtonBox.StandardButton.Open)


def test_the_url_is_built_as_the_fields_are_typed(qtbot: Any) -> None:
    dialog = ServerDialog()
    qtbot.addWidget(dialog)
    assert not open_button(dialog).isEnabled()  # no database named yet
    fill(dialog, host="db.office.lan", port=6543, database="desk", user="kim")
    assert dialog.url() == "postgresql://kim@db.office.lan:6543/desk"
    assert dialog.preview.text() == "Opens: postgresql://kim@db.office.lan:6543/desk"
    assert open_button(dialog).isEnabled()
    dialog.user.setText("")
    assert "name the user" in dialog.preview.text()
    assert not open_button(dialog).isEnabled()


def test_without_a_keyring_the_password_field_is_off_and_says_where_it_comes_from(
        qtbot: Any) -> None:
    dialog = ServerDialog(keyring=False)
    qtbot.addWidget(dialog)
    assert not dialog.password.isEnabled()
    assert not dialog.remember.isChecked()
    assert "PGPASSWORD or ~/.pgpass" in dialog.note.text()


def flow(monkeypatch: pytest.MonkeyPatch, qtbot: Any, **fields: Any) -> None:
    """Make ``exec`` fill the fields, press Open and wait as a user would."""

    def exec_(dialog: ServerDialog) -> int:
        dialog.show()
        fill(dialog, **fields)
        qtbot.mouseClick(open_button(dialog), qtbot_button())
        qtbot.waitUntil(lambda: dialog.result() == QDialog.DialogCode.Accepted
                        or (dialog.error.objectName() == "errorLabel"
                            and dialog.error.isVisible()), timeout=15_000)
        result = dialog.result()
        dialog.close()
        return result

    monkeypatch.setattr(ServerDialog, "exec", exec_)


def qtbot_button() -> Any:
    from PySide6.QtCore import Qt

    return Qt.MouseButton.LeftButton


def every_file_text(folder: Path) -> str:
    return "".join(p.read_text(errors="replace") for p in folder.rglob("*") if p.is_file())


@pytest.mark.postgresql
@pytest.mark.parametrize("remember", [True, False])
def test_opening_stores_the_password_in_the_keyring_only_and_emits_the_bare_url(
        qtbot: Any, monkeypatch: pytest.MonkeyPatch, memory_keyring: Any, pg_server: Any,
        pg_url: str, window: Any, paths: Any, remember: bool) -> None:
    database = pg_url.rsplit("/", 1)[1]
    flow(monkeypatch, qtbot, host="127.0.0.1", port=pg_server.port, database=database,
         user=pg_server.user, remember=remember)
    emitted: list[tuple[str, bool, str | None]] = []

    def emit(url: str, demo: bool) -> None:  # the window's open_workspace.emit
        emitted.append((url, demo, server_login.stored_password(url)))

    url = server_dialog.open_shared_workspace(window, emit)
    assert url == f"postgresql://postgres@127.0.0.1:{pg_server.port}/{database}"
    # While the workspace opened, its password was where bootstrap looks for it.
    assert emitted == [(url, False, PASSWORD)]
    key = (dialect.KEYRING_SERVICE, f"postgres@127.0.0.1:{pg_server.port}/{database}")
    assert memory_keyring.values == ({key: PASSWORD} if remember else {})
    window.ui_settings.sync()
    assert PASSWORD not in every_file_text(paths.config)
    assert PASSWORD not in every_file_text(paths.logs)


def test_a_server_that_does_not_answer_is_said_in_the_dialog_and_nothing_is_kept(
        qtbot: Any, monkeypatch: pytest.MonkeyPatch, memory_keyring: Any,
        window: Any) -> None:
    flow(monkeypatch, qtbot, host="127.0.0.1", port=1, database="desk", user="kim")
    emitted: list[Any] = []
    shown: list[str] = []
    original = ServerDialog.exec

    def exec_and_read(dialog: ServerDialog) -> int:
        result = original(dialog)
        shown.append(dialog.error.text())
        return result

    monkeypatch.setattr(ServerDialog, "exec", exec_and_read)
    assert server_dialog.open_shared_workspace(window, lambda *a: emitted.append(a)) is None
    assert emitted == []
    assert memory_keyring.values == {}
    assert len(shown) == 1
    assert shown[0].startswith("no PostgreSQL server answers at "
                               "postgresql://kim@127.0.0.1:1/desk (")


def test_the_file_menu_offers_it(window: Any) -> None:
    texts = [a.text() for a in window.menuBar().actions()[0].menu().actions()]
    assert "Open a s&hared workspace (PostgreSQL)…" in texts
