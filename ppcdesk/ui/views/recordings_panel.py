"""The recordings dialog: the cache's policy, and the bulk download of the filtered calls.

Layout only; ppcdesk.ui.pages.calls_recordings runs it (reads the figures, saves the policy,
runs and cancels the jobs).
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from ppcdesk.services.review_service import RetentionPolicy


class RecordingsPanel(QDialog):
    save_requested = Signal(object)  # RetentionPolicy
    prune_requested = Signal()
    download_requested = Signal()
    cancel_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Recordings")
        self.setMinimumWidth(520)
        layout = QVBoxLayout(self)
        layout.addWidget(self._policy_box())
        layout.addWidget(self._download_box())
        close = QPushButton("Close")
        close.clicked.connect(self.close)
        row = QHBoxLayout()
        row.addStretch(1)
        row.addWidget(close)
        layout.addLayout(row)

    def _policy_box(self) -> QGroupBox:
        box = QGroupBox("What this computer keeps")
        form = QFormLayout(box)
        self.cache_label = QLabel("…")
        form.addRow("Audio on this computer:", self.cache_label)
        self.max_mb = QSpinBox()
        self.max_mb.setRange(0, 10_000_000)
        self.max_mb.setSuffix(" MB")
        self.max_mb.setSpecialValueText("no limit")
        form.addRow("Size limit:", self.max_mb)
        self.keep_days = QSpinBox()
        self.keep_days.setRange(0, 36_500)
        self.keep_days.setSuffix(" days")
        self.keep_days.setSpecialValueText("forever")
        form.addRow("Keep audio for:", self.keep_days)
        self.delete_on_twilio = QCheckBox(
            "After a download, delete the recordings on Twilio (asks each time)")
        self.delete_on_twilio.setToolTip(
            "Twilio charges for storage beyond 10,000 minutes. Only recordings whose copy "
            "here checks out (size and SHA-256) are deleted; this computer then keeps the "
            "only copy, which the limits above never drop.")
        form.addRow(self.delete_on_twilio)
        note = QLabel("Call details, billing and reviews always stay; only audio is dropped.")
        note.setObjectName("hint")
        note.setWordWrap(True)
        form.addRow(note)
        buttons = QHBoxLayout()
        save = QPushButton("Save")
        save.clicked.connect(lambda: self.save_requested.emit(self.policy()))
        prune = QPushButton("Apply limits now")
        prune.clicked.connect(self.prune_requested.emit)
        buttons.addStretch(1)
        buttons.addWidget(save)
        buttons.addWidget(prune)
        form.addRow(buttons)
        self.status = QLabel("")
        self.status.setWordWrap(True)
        form.addRow(self.status)
        return box

    def _download_box(self) -> QGroupBox:
        box = QGroupBox("The calls shown (the page's filter)")
        layout = QVBoxLayout(box)
        self.pending_label = QLabel("…")
        self.pending_label.setWordWrap(True)
        layout.addWidget(self.pending_label)
        row = QHBoxLayout()
        self.download = QPushButton("Download recordings for this filter")
        self.download.clicked.connect(self.download_requested.emit)
        self.progress = QProgressBar()
        self.progress.setTextVisible(True)
        self.cancel = QPushButton("Cancel")
        self.cancel.clicked.connect(self.cancel_requested.emit)
        for widget in (self.download, self.progress, self.cancel):
            row.addWidget(widget)
        layout.addLayout(row)
        self.progress_label = QLabel("")
        self.progress_label.setAlignment(Qt.AlignmentFlag.AlignLeft)
        layout.addWidget(self.progress_label)
        self.set_running(running=False)
        return box

    # ---------------------------------------------------------------- showing
    def policy(self) -> RetentionPolicy:
        return RetentionPolicy(self.max_mb.value(), self.keep_days.value(),
                               delete_on_twilio=self.delete_on_twilio.isChecked())

    def set_policy(self, policy: RetentionPolicy) -> None:
        self.max_mb.setValue(policy.max_megabytes)
        self.keep_days.setValue(policy.keep_days)
        self.delete_on_twilio.setChecked(policy.delete_on_twilio)

    def set_figures(self, cache_bytes: int, to_fetch: int, on_twilio: int,
                    minutes: int) -> None:
        self.cache_label.setText(f"{cache_bytes / 1e6:,.1f} MB")
        self.pending_label.setText(
            f"{to_fetch:,} recordings of these calls are not on this computer yet; "
            f"{on_twilio:,} ({minutes:,} minutes) are stored on Twilio.")
        self.download.setEnabled(to_fetch > 0 or self.delete_on_twilio.isChecked())

    def set_running(self, *, running: bool) -> None:
        self.download.setEnabled(not running)
        self.cancel.setVisible(running)
        self.progress.setVisible(running)

    def set_progress(self, done: int, total: int | None, message: str) -> None:
        self.progress.setRange(0, total or 0)
        self.progress.setValue(done)
        self.progress_label.setText(message)
