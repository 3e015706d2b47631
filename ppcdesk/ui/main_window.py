"""The main window: a shell that wires pages, the job runner, menus and the status bar."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import QSettings, QTimer, QUrl, Signal
from PySide6.QtGui import QAction, QCloseEvent, QDesktopServices, QKeySequence
from PySide6.QtWidgets import (
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QMainWindow,
    QMessageBox,
    QProgressBar,
    QPushButton,
    QStackedWidget,
    QWidget,
)

from ppcdesk import __version__
from ppcdesk.core.changes import ChangeSet, Entity
from ppcdesk.core.progress import Job, Progress
from ppcdesk.services.app_services import AppServices
from ppcdesk.ui import format as fmt
from ppcdesk.ui.dialogs.errors import show_exception
from ppcdesk.ui.dialogs.server_dialog import open_shared_workspace
from ppcdesk.ui.pages.base import Page
from ppcdesk.ui.pages.calls_page import CallsPage
from ppcdesk.ui.pages.contracts_page import ContractsPage
from ppcdesk.ui.pages.dashboard_page import DashboardPage
from ppcdesk.ui.pages.lists import NumbersPage, PartnersPage
from ppcdesk.ui.pages.reconcile_page import ReconcilePage
from ppcdesk.ui.pages.settings_page import SettingsPage
from ppcdesk.ui.views.call_detail import DISPOSITION_KEYS
from ppcdesk.ui.workers import JobRunner

SYNC_ENTITIES = (Entity.NUMBERS, Entity.CALLS, Entity.RECORDINGS, Entity.SYNC, Entity.ACCOUNTS)
PAGE_KEYS = ("dashboard", "calls", "numbers", "partners", "contracts", "reconcile", "settings")


class JobStatus(QWidget):
    """The status bar's job area: what runs, how far, and Cancel."""

    def __init__(self, runner: JobRunner) -> None:
        super().__init__()
        self.runner = runner
        self.job_id: int | None = None
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.label = QLabel()
        self.bar = QProgressBar()
        self.bar.setFixedWidth(180)
        self.cancel = QPushButton("Cancel")
        self.cancel.clicked.connect(self._cancel)
        for widget in (self.label, self.bar, self.cancel):
            layout.addWidget(widget)
        runner.job_started.connect(self._started)
        runner.job_progress.connect(self._progress)
        for signal in (runner.job_finished, runner.job_failed, runner.job_cancelled):
            signal.connect(self._ended)
        self.hide()

    def _started(self, job_id: int, title: str) -> None:
        self.job_id = job_id
        self.label.setText(title)
        self.bar.setRange(0, 0)
        self.show()

    def _progress(self, job_id: int, progress: Progress) -> None:
        if job_id != self.job_id:
            return
        if progress.total:
            self.bar.setRange(0, progress.total)
            self.bar.setValue(progress.done)
        self.label.setText(progress.message)

    def _ended(self, job_id: int, *_: object) -> None:
        if job_id == self.job_id:
            self.job_id = None
            self.hide()

    def _cancel(self) -> None:
        if self.job_id is not None:
            self.runner.cancel(self.job_id)
            self.label.setText("Cancelling…")


class MainWindow(QMainWindow):
    """Pages on the left, the current one on the right; the status bar says where we are."""

    open_workspace = Signal(str, bool)  # database path, generate demo data first

    def __init__(self, services: AppServices, ui_settings: QSettings, *, demo_db: Path,
                 main_db: Path, log_file: Path) -> None:
        super().__init__()
        self.services = services
        self.ui_settings = ui_settings
        self.demo_db, self.main_db, self.log_file = demo_db, main_db, log_file
        self.runner = JobRunner(self)
        self.runner.job_finished.connect(self._job_finished)
        self.runner.job_failed.connect(self._job_failed)
        self.runner.job_cancelled.connect(self._sync_cancelled)
        self.runner.unexpected_error.connect(
            lambda exc: show_exception(exc, str(self.log_file), self))
        self.setObjectName("mainWindow")
        self.setMinimumSize(1024, 640)

        masked = services.settings().mask_callers
        dashboard = DashboardPage(services, self.runner)
        dashboard.open_demo.connect(self.open_demo)
        self.calls_page = CallsPage(services, self.runner, masked=masked)
        settings_page = SettingsPage(services, self.runner)
        settings_page.preferences_changed.connect(self._preferences_changed)
        settings_page.workspace_changed.connect(self.apply_changes)
        self.reconcile_page = ReconcilePage(services, self.runner)
        self.pages: dict[str, Page] = {
            "dashboard": dashboard,
            "calls": self.calls_page,
            "numbers": NumbersPage(services, self.runner),
            "partners": PartnersPage(services, self.runner),
            "contracts": ContractsPage(services, self.runner),
            "reconcile": self.reconcile_page,
            "settings": settings_page,
        }

        self.nav = QListWidget()
        self.nav.setObjectName("navList")
        self.nav.ensurePolished()  # items added before the style sheet applies overlap
        self.stack = QStackedWidget()
        for key in PAGE_KEYS:
            self.nav.addItem(self.pages[key].title)
            self.stack.addWidget(self.pages[key])
        self.nav.currentRowChanged.connect(self._go)
        central = QWidget()
        layout = QHBoxLayout(central)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(self.nav)
        layout.addWidget(self.stack, 1)
        self.setCentralWidget(central)
        self._build_menus()
        self._build_status_bar()
        self._restore()

    # ------------------------------------------------------------------ shell
    def _build_menus(self) -> None:
        file_menu = self.menuBar().addMenu("&File")
        self.sync_action = QAction("&Sync now", self)
        self.sync_action.setShortcut(QKeySequence.StandardKey.Refresh)
        self.sync_action.triggered.connect(lambda: self.sync_now())  # noqa: PLW0108 - drop "checked"
        file_menu.addAction(self.sync_action)
        file_menu.addSeparator()
        for text, slot, shortcut in (
            ("Open &demo workspace", self.open_demo, None),
            ("Open &main workspace", self.open_main, None),
            ("&Open database…", self._choose_database, QKeySequence.StandardKey.Open),
            ("Open a s&hared workspace (PostgreSQL)…",
             lambda: open_shared_workspace(self, self.open_workspace.emit), None),
        ):
            action = QAction(text, self)
            action.triggered.connect(slot)
            if shortcut is not None:
                action.setShortcut(shortcut)
            file_menu.addAction(action)
        file_menu.addSeparator()
        quit_action = QAction("&Quit", self)
        quit_action.setShortcut(QKeySequence.StandardKey.Quit)
        quit_action.triggered.connect(self.close)
        file_menu.addAction(quit_action)

        go_menu = self.menuBar().addMenu("&Go")
        for i, key in enumerate(PAGE_KEYS):
            action = QAction(self.pages[key].title, self)
            action.setShortcut(QKeySequence(f"Ctrl+{i + 1}"))
            action.triggered.connect(lambda _=False, row=i: self.nav.setCurrentRow(row))
            go_menu.addAction(action)
            self.addAction(action)

        help_menu = self.menuBar().addMenu("&Help")
        keys = QAction("&Keyboard shortcuts", self)
        keys.setShortcut(QKeySequence.StandardKey.HelpContents)
        keys.triggered.connect(self.show_shortcuts)
        help_menu.addAction(keys)
        help_menu.addSeparator()
        for text, slot in (("Open &data folder", lambda: self._open_folder(
                                self.services.paths.data)),
                           ("Open &log folder", lambda: self._open_folder(
                                self.services.paths.logs)),
                           ("&About ppcdesk", self._about)):
            action = QAction(text, self)
            action.triggered.connect(slot)
            help_menu.addAction(action)

    def _build_status_bar(self) -> None:
        bar = self.statusBar()
        workspace = self.services.workspace()
        self.demo_badge = QLabel(" DEMO ")
        self.demo_badge.setObjectName("demoBadge")
        self.demo_badge.setToolTip("Demo data: a separate database, never mixed with yours")
        self.demo_badge.setVisible(bool(workspace and workspace.is_demo))
        self.db_label = QLabel(self.services.db.display)
        self.sync_label = QLabel()
        self.job_status = JobStatus(self.runner)
        self.sync_button = QPushButton("Sync now")
        self.sync_button.setToolTip("Bring new numbers, calls and recordings from Twilio (F5)")
        self.sync_button.clicked.connect(lambda: self.sync_now())  # noqa: PLW0108
        bar.addWidget(self.demo_badge)
        bar.addWidget(self.db_label, 1)
        bar.addPermanentWidget(self.reconcile_page.status_reminder)  # disputes near their deadline
        bar.addPermanentWidget(self.job_status)
        bar.addPermanentWidget(self.sync_label)
        bar.addPermanentWidget(self.sync_button)
        self.sync_job: int | None = None
        self.auto_sync = QTimer(self)
        self.auto_sync.timeout.connect(lambda: self.sync_now(quiet=True))
        self._schedule_auto_sync()
        self._update_titles()

    def _update_titles(self) -> None:
        workspace = self.services.workspace()
        name = workspace.name if workspace else "New workspace"
        demo = bool(workspace and workspace.is_demo)
        self.setWindowTitle(f"ppcdesk — {name}{' [DEMO]' if demo else ''}")
        self.demo_badge.setVisible(demo)
        summary = self.services.last_sync_summary()
        last = self.services.last_sync()
        if summary is not None:
            when = fmt.when(summary.finished_at or summary.started_at, self.services.zone())
            outcome = {"ok": f"ok, {summary.calls:,} calls new or updated",
                       "running": "interrupted: resumes next time"}.get(summary.status,
                                                                         summary.status)
            self.sync_label.setText(f"Last sync: {when} ({outcome})")
        elif last is not None and last.kind == "demo":
            self.sync_label.setText("Demo data, generated (no Twilio account)")
        else:
            self.sync_label.setText("Last sync: never")

    # ------------------------------------------------------------------ sync
    def sync_now(self, *, quiet: bool = False) -> int | None:
        """Start a sync of every account on the write lane (quiet: auto-sync, no dialogs)."""
        if self.sync_job is not None:
            return None
        if not self.services.accounts() and self.services.environment_account_sid() is None:
            if not quiet:
                QMessageBox.information(
                    self, "Sync", "Connect the Twilio account that owns your tracking numbers "
                    "first (Settings, Twilio accounts).")
                self.nav.setCurrentRow(PAGE_KEYS.index("settings"))
            return None
        self.sync_button.setEnabled(False)
        self.sync_job = self.runner.submit(
            "Syncing Twilio", self.services.sync_job, on_done=lambda _r: self._sync_ended(),
            on_error=lambda message: self._sync_failed(message, quiet=quiet))
        return self.sync_job

    def _sync_ended(self) -> None:
        self.sync_job = None
        self.sync_button.setEnabled(True)
        self._update_titles()

    def _sync_cancelled(self, job_id: int) -> None:
        if job_id == self.sync_job:
            self._sync_ended()
            # What the cancelled sync had stored is kept: refresh, it resumes next time.
            self.apply_changes(ChangeSet.of(*SYNC_ENTITIES))

    def _sync_failed(self, message: str, *, quiet: bool) -> None:
        self._sync_ended()
        self.apply_changes(ChangeSet.of(*SYNC_ENTITIES))  # the pages stored are kept
        self.statusBar().showMessage(f"Sync failed: {message}", 30_000)
        if not quiet:
            QMessageBox.warning(self, "Sync failed", f"{message}\n\nWhat was already brought "
                                "in is kept; the next sync carries on from there.")

    def _schedule_auto_sync(self) -> None:
        minutes = self.services.settings().auto_sync_minutes
        if minutes > 0:
            self.auto_sync.start(minutes * 60_000)
        else:
            self.auto_sync.stop()

    def _go(self, row: int) -> None:
        if 0 <= row < self.stack.count():
            self.stack.setCurrentIndex(row)

    def current_page(self) -> Page:
        return self.pages[PAGE_KEYS[self.stack.currentIndex()]]

    def _restore(self) -> None:
        geometry = self.ui_settings.value("window/geometry")
        if geometry is not None:
            self.restoreGeometry(geometry)
        else:
            self.resize(1280, 800)
        last = str(self.ui_settings.value("window/page", "dashboard"))
        self.nav.setCurrentRow(PAGE_KEYS.index(last) if last in PAGE_KEYS else 0)

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802
        if self.runner.running():
            answer = QMessageBox.question(
                self, "ppcdesk", "A job is still running. Cancel it and quit? Nothing it has "
                "not finished will be kept.")
            if answer != QMessageBox.StandardButton.Yes:
                event.ignore()
                return
        self.ui_settings.setValue("window/geometry", self.saveGeometry())
        self.ui_settings.setValue("window/page", PAGE_KEYS[self.nav.currentRow()])
        self.ui_settings.sync()
        self.runner.shutdown()
        super().closeEvent(event)

    # ------------------------------------------------------------------ actions
    def open_demo(self) -> None:
        self.open_workspace.emit(str(self.demo_db), True)  # noqa: FBT003 - a signal's arguments

    def open_main(self) -> None:
        self.open_workspace.emit(str(self.main_db), False)  # noqa: FBT003

    def _choose_database(self) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self, "Open a ppcdesk database", str(self.main_db.parent),
            "ppcdesk databases (*.sqlite *.db);;All files (*)")
        if path:
            self.open_workspace.emit(path, False)  # noqa: FBT003

    def _open_folder(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        QDesktopServices.openUrl(QUrl.fromLocalFile(str(folder)))

    def shortcuts_text(self) -> str:
        """Every key the window answers to, as an HTML table (Help, Keyboard shortcuts)."""
        rows = [("F5", "Sync now"), ("Ctrl+O", "Open a database"), ("Ctrl+Q", "Quit"),
                ("F1", "This list")]
        rows += [(f"Ctrl+{i + 1}", f"Go to {self.pages[key].title}")
                 for i, key in enumerate(PAGE_KEYS)]
        review = [("J / K or ↓ / ↑", "Next / previous call"), ("Space", "Play or pause"),
                  ("← / →", "5 s back / on"), ("B", "Jump to the buffer"),
                  *((key, f"{label} (then the next call)") for key, _c, label
                    in DISPOSITION_KEYS),
                  ("N", "Write a note (Enter adds it)"),
                  ("D", "Disputed, with the reason typed beside it"),
                  ("Esc", "From a text field back to the queue")]

        def table(title: str, items: list[tuple[str, str]]) -> str:
            cells = "".join(f"<tr><td><b>{k}</b>&nbsp;&nbsp;</td><td>{v}</td></tr>"
                            for k, v in items)
            return f"<p><b>{title}</b></p><table>{cells}</table>"

        return (table("Everywhere", rows)
                + table("Calls page (the review queue)", review))

    def show_shortcuts(self) -> None:
        QMessageBox.information(self, "Keyboard shortcuts", self.shortcuts_text())

    def _about(self) -> None:
        QMessageBox.about(
            self, "About ppcdesk",
            f"<h3>ppcdesk {__version__}</h3><p>The pay-per-call desk for publishers and buyers: "
            "your calls, recordings and money, on your own computer.</p>"
            f"<p>Database: {self.services.db.display}<br>Logs: {self.log_file}</p>")

    def run_job(self, title: str, make_job: Callable[[], Job[Any]]) -> int:
        return self.runner.submit(title, make_job)

    def _job_finished(self, _job_id: int, result: object) -> None:
        if isinstance(result, ChangeSet):
            self.apply_changes(result)

    def _job_failed(self, _job_id: int, message: str) -> None:
        self.statusBar().showMessage(f"Failed: {message}", 15_000)

    def apply_changes(self, changes: ChangeSet) -> None:
        """Relay a write's change-set to every page; each decides whether it is stale."""
        for page in self.pages.values():
            page.changed(changes)
        self._update_titles()

    def _preferences_changed(self) -> None:
        self.calls_page.masked = self.services.settings().mask_callers
        self._schedule_auto_sync()
        for page in self.pages.values():
            page.stale = True
        self._update_titles()
