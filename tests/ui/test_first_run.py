"""First run, second instance, unexpected errors: what the application does around the window."""

from __future__ import annotations

import pytest
from ppcdesk.app import gui
from ppcdesk.storage.lock import InstanceLock
from PySide6.QtWidgets import QApplication, QMessageBox


@pytest.fixture
def controller(paths):  # type: ignore[no-untyped-def]
    ctl = gui.GuiController(paths)
    yield ctl
    if ctl.window is not None:
        ctl.window.close()
    ctl.close()


def test_an_empty_workspace_offers_the_demo_in_its_own_database(qtbot, controller, paths,
                                                                monkeypatch):
    monkeypatch.setattr(gui, "DEMO_CALLS", 4000)
    assert controller.open(paths.default_db)
    first = controller.window
    dashboard = first.pages["dashboard"]
    qtbot.waitUntil(lambda: dashboard.loads >= 1, timeout=10_000)
    assert dashboard.welcome.isVisible()
    dashboard.welcome.button.click()
    window = controller.window
    assert window is not first
    assert controller.workspace.db.path == paths.demo_db.resolve()
    qtbot.waitUntil(lambda: "[DEMO]" in window.windowTitle(), timeout=30_000)
    assert window.services.count_calls() == 4000
    # The main workspace was never touched: demo calls never mix with real ones.
    assert paths.default_db.exists()
    main = gui.bootstrap.open_workspace(paths.default_db, paths, purpose="check")
    assert main.services.count_calls() == 0
    main.close()


def test_a_second_ppcdesk_on_the_same_database_is_told_where_the_first_is(
        qtbot, controller, paths, monkeypatch):
    shown: list[str] = []
    monkeypatch.setattr(QMessageBox, "warning", lambda _p, _t, text: shown.append(text))
    held = InstanceLock(paths.default_db, "window").acquire()
    try:
        assert not controller.open(paths.default_db)
    finally:
        held.release()
    assert len(shown) == 1
    assert "already open" in shown[0]
    assert "window" in shown[0]


def test_an_unhandled_exception_is_logged_and_shown(qtbot, paths):
    import sys

    from ppcdesk.ui.dialogs.errors import install_excepthook

    previous = sys.excepthook
    install_excepthook(str(paths.log_file))
    try:
        error = RuntimeError("boom in a slot")
        sys.excepthook(RuntimeError, error, None)
        dialogs = [w for w in QApplication.topLevelWidgets()
                   if w.objectName() == "exceptionDialog" and w.isVisible()]
        assert len(dialogs) == 1
        assert "boom in a slot" in dialogs[0].informativeText()
        for dialog in dialogs:
            dialog.close()
    finally:
        sys.excepthook = previous
    for handler in __import__("logging").getLogger().handlers:
        handler.flush()
    assert "boom in a slot" in paths.log_file.read_text("utf-8")
