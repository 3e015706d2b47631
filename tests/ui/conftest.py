"""Qt fixtures: a small demo workspace, a main window over it, and a leak check."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path

import pytest
from ppcdesk.app import bootstrap
from ppcdesk.config.paths import Paths
from ppcdesk.core.progress import run_job
from ppcdesk.services.app_services import AppServices
from ppcdesk.ui.main_window import MainWindow
from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QApplication, QMessageBox

DEMO_END = date(2026, 11, 20)


@pytest.fixture
def paths(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Paths:
    monkeypatch.setenv("PPCDESK_HOME", str(tmp_path / "home"))
    return bootstrap.setup(str(tmp_path / "home"))


@pytest.fixture(scope="session")
def demo_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One small demo database per session; tests copy it."""
    folder = tmp_path_factory.mktemp("demo")
    paths = bootstrap.setup(str(folder / "home"))
    workspace = bootstrap.open_workspace(folder / "demo.sqlite", paths, purpose="test")
    try:
        run_job(workspace.services.demo_job(calls=3000, seed=3, end=DEMO_END))
    finally:
        workspace.close()
    return folder / "demo.sqlite"


@pytest.fixture
def demo_workspace(demo_template: Path, paths: Paths,
                   tmp_path: Path) -> Iterator[bootstrap.OpenWorkspace]:
    target = tmp_path / "demo.sqlite"
    target.write_bytes(demo_template.read_bytes())
    workspace = bootstrap.open_workspace(target, paths, purpose="test")
    yield workspace
    workspace.close()


@pytest.fixture
def services(demo_workspace: bootstrap.OpenWorkspace) -> AppServices:
    return demo_workspace.services


@pytest.fixture
def ui_settings(paths: Paths) -> QSettings:
    return QSettings(str(paths.config / "ui.ini"), QSettings.Format.IniFormat)


@pytest.fixture
def window(qtbot, services: AppServices, ui_settings: QSettings,  # type: ignore[no-untyped-def]
           paths: Paths) -> Iterator[MainWindow]:
    win = MainWindow(services, ui_settings, demo_db=paths.demo_db, main_db=paths.default_db,
                     log_file=paths.log_file)
    # Not qtbot.addWidget: pytest-qt would close the window before this fixture's teardown,
    # and a window closed with a job still running asks "Cancel it and quit?" in a modal box,
    # which nobody answers offscreen (the test run hangs). Stop the jobs first, then close.
    win.show()
    qtbot.waitExposed(win)
    yield win
    win.runner.shutdown()
    win.close()
    win.deleteLater()


@pytest.fixture(autouse=True)
def no_unanswered_dialogs(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fail a test on a message box it does not answer itself, instead of hanging.

    A static QMessageBox waits for a click nobody makes offscreen: a CI run hung on "A job is
    still running. Cancel it and quit?". A test that expects a box patches it itself (its own
    monkeypatch wins over this one).
    """
    def refuse(kind: str) -> Callable[..., object]:
        def box(_parent: object, title: str, text: str, *_args: object, **_kw: object) -> object:
            raise AssertionError(f"unexpected QMessageBox.{kind}: {title}: {text}")
        return box

    for kind in ("question", "warning", "critical", "information"):
        monkeypatch.setattr(QMessageBox, kind, refuse(kind))


@pytest.fixture(autouse=True)
def no_leaked_windows(qapp: QApplication) -> Iterator[None]:
    """Every test closes what it opened: no visible top-level widget survives it."""
    yield
    QApplication.processEvents()
    leaked = [w for w in QApplication.topLevelWidgets() if w.isVisible()]
    for widget in leaked:
        widget.close()
    assert not leaked, f"top-level widgets left open: {leaked}"
