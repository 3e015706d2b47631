"""The GUI entry: a QApplication, one main window per open workspace, switching between them."""

from __future__ import annotations

import argparse
import logging
import os
import sys
from pathlib import Path

from PySide6.QtCore import QSettings
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QApplication, QMessageBox

from ppcdesk import APP_NAME, __version__
from ppcdesk.app import bootstrap
from ppcdesk.config.paths import Paths, resources_dir
from ppcdesk.core.errors import DatabaseLockedError, PpcdeskError
from ppcdesk.demo.job import default_end
from ppcdesk.ui.dialogs.errors import install_excepthook
from ppcdesk.ui.main_window import MainWindow

log = logging.getLogger(__name__)
DEMO_CALLS = 60_000
DEMO_SEED = 1


class GuiController:
    """Owns the open workspace and its window; opening another closes the first."""

    def __init__(self, paths: Paths) -> None:
        self.paths = paths
        self.workspace: bootstrap.OpenWorkspace | None = None
        self.window: MainWindow | None = None
        self.ui_settings = QSettings(str(paths.config / "ui.ini"), QSettings.Format.IniFormat)

    def open(self, db_path: str | Path, *, generate_demo: bool = False) -> bool:
        try:
            path = bootstrap.workspace_target(db_path)
        except PpcdeskError as exc:
            QMessageBox.critical(self.window, "ppcdesk: cannot open the database", str(exc))
            return self._reopen_previous()
        if self.workspace is not None and self.workspace.db.target == path:
            return True
        if self.window is not None:
            self.window.runner.shutdown()
        try:
            if self.workspace is not None:
                self.workspace.close()
                self.workspace = None
            workspace = bootstrap.open_workspace(path, self.paths, purpose="window")
        except DatabaseLockedError as exc:
            QMessageBox.warning(self.window, "ppcdesk: database in use", str(exc))
            return self._reopen_previous()
        except PpcdeskError as exc:
            QMessageBox.critical(self.window, "ppcdesk: cannot open the database", str(exc))
            return self._reopen_previous()
        old = self.window
        self.workspace = workspace
        self.window = MainWindow(workspace.services, self.ui_settings,
                                 demo_db=self.paths.demo_db, main_db=self.paths.default_db,
                                 log_file=self.paths.log_file)
        self.window.open_workspace.connect(
            lambda p, demo: self.open(p, generate_demo=demo))
        if old is not None:
            self.window.setGeometry(old.geometry())
            old.close()
            old.deleteLater()
        self.window.show()
        settings = workspace.services.settings()
        workspace.services.save_settings(settings.with_changes(last_database=str(path)))
        if generate_demo and workspace.services.is_empty():
            services = workspace.services
            end = default_end(services.today())
            self.window.run_job("Writing the demo workspace", lambda: services.demo_job(
                calls=DEMO_CALLS, seed=DEMO_SEED, end=end))
        return True

    def _reopen_previous(self) -> bool:
        return self.window is not None

    def close(self) -> None:
        if self.window is not None:
            self.window.runner.shutdown()
        if self.workspace is not None:
            self.workspace.close()
            self.workspace = None


def initial_database(paths: Paths, requested: Path | str | None) -> Path | str:
    if requested is not None:
        return requested
    last = bootstrap.last_database(paths)
    return last if last is not None else paths.default_db


def make_app(argv: list[str]) -> QApplication:
    app = QApplication.instance()
    if not isinstance(app, QApplication):
        app = QApplication([APP_NAME, *argv])
    app.setApplicationName(APP_NAME)
    app.setOrganizationName(APP_NAME)
    app.setApplicationVersion(__version__)
    app.setDesktopFileName(APP_NAME)
    icon = resources_dir() / "icons" / "ppcdesk-256.png"
    if icon.exists():
        app.setWindowIcon(QIcon(str(icon)))
    style = resources_dir() / "style" / "app.qss"
    if style.exists():
        app.setStyleSheet(style.read_text("utf-8"))
    return app


def no_display() -> bool:
    """On Linux without X11 or Wayland, Qt would abort the interpreter: say so instead."""
    return (sys.platform.startswith("linux") and not os.environ.get("QT_QPA_PLATFORM")
            and not os.environ.get("DISPLAY") and not os.environ.get("WAYLAND_DISPLAY"))


def run(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="ppcdesk")
    parser.add_argument("--db")
    parser.add_argument("--home")
    args, qt_args = parser.parse_known_args(argv)
    if no_display():
        print("ppcdesk: error: no display to open the window on (DISPLAY and WAYLAND_DISPLAY "
              "are unset); run a command instead (ppcdesk --help)", file=sys.stderr)
        return 1
    paths = bootstrap.setup(args.home)
    app = make_app(qt_args)
    install_excepthook(str(paths.log_file))
    controller = GuiController(paths)
    if not controller.open(initial_database(paths, args.db)):
        return 1
    try:
        return app.exec()
    finally:
        controller.close()
        log.info("window closed")


if __name__ == "__main__":
    sys.exit(run(sys.argv[1:]))
