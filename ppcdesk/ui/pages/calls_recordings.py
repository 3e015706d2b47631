"""Runs the recordings dialog: policy, prune, and the filter's bulk download with cancel.

Deleting on Twilio is never silent: when the policy asks for it, each download first asks the
user, naming how many recordings (and minutes) Twilio would lose and why one would want it;
"no" downloads only. ``ask`` is the question box (a test answers it without a modal).
"""

from __future__ import annotations

from collections.abc import Callable
from enum import Enum
from typing import Any

from PySide6.QtCore import QObject
from PySide6.QtWidgets import QMessageBox, QWidget

from ppcdesk.core.changes import ChangeSet
from ppcdesk.core.errors import PpcdeskError
from ppcdesk.core.progress import Progress
from ppcdesk.services.app_services import AppServices
from ppcdesk.services.review_service import CallFilter, RetentionPolicy, delete_warning
from ppcdesk.ui.views.recordings_panel import RecordingsPanel
from ppcdesk.ui.workers import JobRunner


class Answer(Enum):
    DELETE = "download, then delete on Twilio"
    KEEP = "download only"
    CANCEL = "cancel"


def ask_with_a_box(parent: QWidget, text: str) -> Answer:
    box = QMessageBox(QMessageBox.Icon.Warning, "Delete recordings on Twilio?", text,
                      parent=parent)
    delete = box.addButton("Download and delete on Twilio",
                           QMessageBox.ButtonRole.DestructiveRole)
    keep = box.addButton("Download only", QMessageBox.ButtonRole.AcceptRole)
    box.addButton(QMessageBox.StandardButton.Cancel)
    box.setDefaultButton(keep)
    box.exec()
    clicked = box.clickedButton()
    return Answer.DELETE if clicked is delete else Answer.KEEP if clicked is keep \
        else Answer.CANCEL


class RecordingsController(QObject):
    def __init__(self, services: AppServices, runner: JobRunner, panel: RecordingsPanel,
                 current_filter: Callable[[], CallFilter],
                 ask: Callable[[str], Answer]) -> None:
        super().__init__(panel)
        self.services, self.runner, self.panel = services, runner, panel
        self.current_filter, self.ask = current_filter, ask
        self.job = 0
        self.result: ChangeSet | None = None  # the last download's (tests)
        panel.save_requested.connect(self.save)
        panel.prune_requested.connect(self.prune)
        panel.download_requested.connect(self.download)
        panel.cancel_requested.connect(lambda: self.runner.cancel(self.job))
        runner.job_progress.connect(self._progress)
        runner.job_cancelled.connect(self._cancelled)

    def refresh(self) -> None:
        """Read the policy and the figures of the page's filter (read lane)."""
        review, f, services = self.services.review, self.current_filter(), self.services

        def read() -> tuple[RetentionPolicy, int, int, tuple[int, int]]:
            return (review.retention_policy(), services.recordings_cache_bytes(),
                    len(review.recordings_to_fetch(f)), review.on_twilio(f))

        self.runner.query("calls:recordings", read, self._show, self.panel.status.setText)

    def _show(self, result: tuple[RetentionPolicy, int, int, tuple[int, int]]) -> None:
        policy, cache, to_fetch, (on_twilio, seconds) = result
        self.panel.set_policy(policy)
        self.panel.set_figures(cache, to_fetch, on_twilio, round(seconds / 60))

    def save(self, policy: RetentionPolicy) -> None:
        try:
            self.services.review.save_retention_policy(policy)
        except (PpcdeskError, OSError) as exc:
            self.panel.status.setText(f"Not saved: {exc}")
            return
        self.panel.status.setText("Saved. The limits apply at the next prune (Apply limits "
                                  "now, or `ppcdesk recordings prune`).")

    def prune(self) -> None:
        review, policy = self.services.review, self.panel.policy()

        def done(changes: ChangeSet) -> None:
            freed = changes.counts.get("freed_bytes", 0)
            self.panel.status.setText(
                f"Dropped the audio of {changes.counts.get('expired', 0):,} recordings "
                f"({freed / 1e6:,.1f} MB); their details stay.")
            self.refresh()

        self.runner.submit("Apply the recordings limits", lambda: review.apply_retention_job(
            policy), on_done=done, on_error=self.panel.status.setText)

    def download(self) -> None:
        """Download the filter's recordings; delete them on Twilio only if the user says so."""
        f, review, services = self.current_filter(), self.services.review, self.services
        delete: Callable[[str], None] | None = None
        if self.panel.delete_on_twilio.isChecked():
            answer = self.ask(delete_warning(*review.on_twilio(f)) + "\n\nDelete them on "
                              "Twilio after the download?")
            if answer is Answer.CANCEL:
                return
            if answer is Answer.DELETE:
                delete = services.delete_recording_on_twilio
        self.panel.set_running(running=True)
        self.panel.set_progress(0, None, "Starting…")
        self.job = self.runner.submit(
            "Download recordings", lambda: review.download_job(
                f, services.fetch_recording_job, delete),
            on_done=self._done, on_error=self._failed)

    def _done(self, changes: ChangeSet) -> None:
        self.result = changes
        counts = changes.counts
        text = f"Downloaded {counts.get('downloaded', 0):,} recordings"
        if counts.get("failed"):
            text += f"; {counts['failed']:,} failed (see the log)"
        if "deleted_on_twilio" in counts:
            text += f"; deleted {counts['deleted_on_twilio']:,} on Twilio"
            if counts.get("unverified"):
                text += f", kept {counts['unverified']:,} there (copy did not check out)"
        self.panel.set_running(running=False)
        self.panel.progress_label.setText(text + ".")
        self.refresh()

    def _failed(self, message: str) -> None:
        self.panel.set_running(running=False)
        self.panel.progress_label.setText(f"Stopped: {message}")

    def _cancelled(self, job_id: int) -> None:
        if job_id == self.job:
            self.panel.set_running(running=False)
            self.panel.progress_label.setText("Cancelled; what was downloaded is kept.")
            self.refresh()

    def _progress(self, job_id: int, progress: Progress) -> None:
        if job_id == self.job:
            self.panel.set_progress(progress.done, progress.total, progress.message)


def open_panel(parent: QWidget, services: AppServices, runner: JobRunner,
               current_filter: Callable[[], CallFilter]) -> Any:
    """Build the dialog and its controller, show it and read its figures."""
    panel = RecordingsPanel(parent)
    controller = RecordingsController(services, runner, panel, current_filter,
                                      lambda text: ask_with_a_box(panel, text))
    panel.show()
    controller.refresh()
    return controller
