"""One call in full: who, when, the legs on a timeline, the recording, billing and review.

Layout and display only; the calls page (its controller) loads the detail, runs the review
jobs and feeds the player. ``set_explanation`` takes the billing engine's explanation text.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QSignalBlocker, Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QProgressBar,
    QPushButton,
    QSlider,
    QVBoxLayout,
    QWidget,
)

from ppcdesk.core.model import DispositionCode
from ppcdesk.recordings.mix import STEPS as BALANCE_STEPS
from ppcdesk.services.review_service import CallDetail
from ppcdesk.ui import format as fmt
from ppcdesk.ui.models.calls_model import reasons_text
from ppcdesk.ui.playback.player import SKIP_MS, SPEEDS, Player
from ppcdesk.ui.playback.waveform import WaveformView
from ppcdesk.ui.views.legs_timeline import LegsTimeline, leg_lanes

# The review queue's keys: a digit per disposition, in this order.
DISPOSITION_KEYS = (
    ("1", DispositionCode.QUALIFIED, "Qualified"),
    ("2", DispositionCode.NOT_QUALIFIED, "Not qualified"),
    ("3", DispositionCode.CONVERTED, "Converted"),
    ("4", DispositionCode.WRONG_NUMBER, "Wrong number"),
    ("5", DispositionCode.SPAM, "Spam"),
    ("6", DispositionCode.FOLLOW_UP, "Follow up"),
)


class CallDetailView(QWidget):
    balance_requested = Signal(float)  # -1 caller alone .. 0 both .. 1 agent alone
    dispose_requested = Signal(object, object)  # DispositionCode, sale micros | None
    note_requested = Signal(str)
    dispute_requested = Signal(bool, str)
    download_requested = Signal()

    def __init__(self, player: Player, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.player = player
        self.detail: CallDetail | None = None
        self.buffer_s = 90  # the usual buyer buffer; set_buffer() takes the contract's
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 4, 8, 4)
        self.heading = QLabel("Select a call")
        self.heading.setObjectName("detailHeading")
        self.heading.setWordWrap(True)
        self.heading.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout.addWidget(self.heading)
        self.timeline = LegsTimeline()
        layout.addWidget(self.timeline)
        layout.addWidget(self._player_box())
        row = QHBoxLayout()
        row.addWidget(self._billing_box(), 1)
        row.addWidget(self._review_box(), 1)
        layout.addLayout(row, 1)

    # ---------------------------------------------------------------- building
    def _player_box(self) -> QGroupBox:
        box = QGroupBox("Recording")
        grid = QVBoxLayout(box)
        self.audio_message = QLabel(self.player.unavailable_reason)
        self.audio_message.setWordWrap(True)
        self.audio_message.setVisible(bool(self.player.unavailable_reason))
        grid.addWidget(self.audio_message)
        self.waveform = WaveformView()
        self.waveform.seek_requested.connect(self.player.seek)
        grid.addWidget(self.waveform)
        controls = QHBoxLayout()
        self.play_button = QPushButton("Play (Space)")
        self.play_button.clicked.connect(self.player.toggle)
        back = QPushButton("-5 s")
        back.clicked.connect(lambda: self.player.skip(-SKIP_MS))
        forward = QPushButton("+5 s")
        forward.clicked.connect(lambda: self.player.skip(SKIP_MS))
        self.to_buffer = QPushButton("Jump to buffer")
        self.to_buffer.clicked.connect(self.jump_to_buffer)
        self.speed = QComboBox()
        for rate in SPEEDS:
            self.speed.addItem(f"{rate:g}x", rate)
        self.speed.setCurrentIndex(SPEEDS.index(1.0))
        self.speed.currentIndexChanged.connect(
            lambda i: self.player.set_speed(float(self.speed.itemData(i))))
        self.position_label = QLabel("0:00 / 0:00")
        self.download = QPushButton("Download recording")
        self.download.clicked.connect(self.download_requested.emit)
        self.download.hide()
        self.progress = QProgressBar()
        self.progress.hide()
        self.channels_label = QLabel("")
        self.balance = QSlider(Qt.Orientation.Horizontal)
        self.balance.setRange(-BALANCE_STEPS, BALANCE_STEPS)
        self.balance.setTracking(False)  # one mix when the slider is let go, not per pixel
        self.balance.setFixedWidth(110)
        self.balance.setToolTip("Caller ◀ balance ▶ agent (double-click: both)")
        self.balance.valueChanged.connect(
            lambda v: self.balance_requested.emit(v / BALANCE_STEPS))
        self.balance_label = QLabel("Caller")
        self.agent_label = QLabel("Agent")
        for widget in (self.play_button, back, forward, self.speed, self.to_buffer,
                       self.position_label, self.channels_label, self.balance_label,
                       self.balance, self.agent_label, self.download, self.progress):
            controls.addWidget(widget)
        controls.addStretch(1)
        grid.addLayout(controls)
        self.player.position_changed.connect(self._position)
        self.player.duration_changed.connect(self._duration)
        self.player.playing_changed.connect(
            lambda on: self.play_button.setText("Pause (Space)" if on else "Play (Space)"))
        self.transport: tuple[QWidget, ...] = (self.play_button, back, forward, self.speed,
                                               self.to_buffer)
        for widget in (*self.transport, self.balance):
            widget.setEnabled(self.player.available)
            widget.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # keys belong to the queue
        return box

    def _billing_box(self) -> QGroupBox:
        box = QGroupBox("Billing")
        layout = QVBoxLayout(box)
        self.outcomes = QLabel("")
        self.outcomes.setWordWrap(True)
        self.outcomes.setAlignment(Qt.AlignmentFlag.AlignTop)
        self.explanation = QLabel("")
        self.explanation.setWordWrap(True)
        self.explanation.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout.addWidget(self.outcomes)
        layout.addWidget(self.explanation, 1)
        return box

    def _review_box(self) -> QGroupBox:
        box = QGroupBox("Review")
        grid = QGridLayout(box)
        buttons = QHBoxLayout()
        for key, code, label in DISPOSITION_KEYS:
            button = QPushButton(f"{key} {label}")
            button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
            button.clicked.connect(lambda _c=False, c=code: self.request_disposition(c))
            buttons.addWidget(button)
        grid.addLayout(buttons, 0, 0, 1, 2)
        self.sale = QLineEdit()
        self.sale.setPlaceholderText("sale amount for 'converted', e.g. 125.00")
        grid.addWidget(self.sale, 1, 0, 1, 2)
        self.note = QLineEdit()
        self.note.setPlaceholderText("note (N), Enter to add")
        self.note.returnPressed.connect(self._add_note)
        grid.addWidget(self.note, 2, 0, 1, 2)
        self.disputed = QCheckBox("Disputed (D)")
        self.disputed.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.disputed.clicked.connect(self.request_dispute)
        self.dispute_reason = QLineEdit()
        self.dispute_reason.setPlaceholderText("why the call is disputed")
        grid.addWidget(self.disputed, 3, 0)
        grid.addWidget(self.dispute_reason, 3, 1)
        self.history = QListWidget()
        self.history.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.history.setWordWrap(True)  # a note is read whole, not scrolled sideways
        self.history.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        grid.addWidget(self.history, 4, 0, 1, 2)
        self.review_error = QLabel("")
        self.review_error.setObjectName("errorLabel")
        grid.addWidget(self.review_error, 5, 0, 1, 2)
        return box

    # ---------------------------------------------------------------- showing
    def set_detail(self, detail: CallDetail, zone: str, *, masked: bool) -> None:
        self.detail = detail
        call = detail.row.call
        parts = [(f"<b>{fmt.phone(call.caller, masked=masked)}</b>"
                 f"{' (' + call.caller_state + ')' if call.caller_state else ''} called "
                 f"{fmt.phone(call.tracking_number)} on {fmt.when(call.started_at, zone)}"),
                 (f"{call.campaign or 'no campaign'} · {call.publisher or 'no publisher'} · "
                 f"{call.buyer or 'no buyer answered'} · {call.status}, "
                 f"{fmt.duration(call.duration_s)} ({fmt.duration(call.connected_s)} connected)"
                 f" · <span style='color:#777'>{call.sid}</span>")]
        self.heading.setText("<br>".join(parts))
        self.timeline.set_lanes(leg_lanes(call.started_at, detail.ended_at, [
            (leg.buyer or fmt.phone(leg.to_number), leg.status, leg.started_at, leg.ended_at,
             leg.duration_s) for leg in detail.legs], call.time_to_answer_s))
        self._show_outcomes(detail, zone)
        self.explanation.setText("")
        self.disputed.setChecked(detail.row.disputed)
        self.dispute_reason.setText(detail.dispute_reason)
        self.history.clear()
        for d in detail.dispositions:
            sale = f" ({fmt.money(d.sale_micros)})" if d.sale_micros is not None else ""
            self.history.addItem(f"{fmt.when(d.created_at, zone)}  {d.author}: "
                                 f"{d.code.replace('_', ' ')}{sale}")
        for n in detail.notes:
            self.history.addItem(f"{fmt.when(n.created_at, zone)}  {n.author} noted: {n.body}")
        self.review_error.setText("")
        self.waveform.set_position(0)

    def _show_outcomes(self, detail: CallDetail, zone: str) -> None:
        if not detail.outcomes:
            self.outcomes.setText("No contract has decided this call yet.")
            return
        lines = []
        for o in detail.outcomes:
            verdict = ("billable" if o.billable else "not billable") if \
                o.counterparty_kind == "buyer" else ("payable" if o.payable else "not payable")
            money = o.revenue_micros if o.counterparty_kind == "buyer" else o.payout_micros
            why = "; ".join(text or code for code, text in o.reasons) or reasons_text(o.flags)
            dup = f" (duplicate of {o.duplicate_of_sid})" if o.duplicate_of_sid else ""
            lines.append(f"<b>{o.contract}</b>: {verdict}, {fmt.money(money)}"
                         f"{' — ' + why if why else ''}{dup} "
                         f"<span style='color:#777'>({fmt.when(o.evaluated_at, zone)})</span>")
        self.outcomes.setText("<br>".join(lines))

    def set_explanation(self, text: str) -> None:
        """Show the billing engine's rule-by-rule explanation of this call (plain text)."""
        self.explanation.setText(text)

    def set_buffer(self, seconds: int) -> None:
        self.buffer_s = seconds
        self.waveform.set_buffer(seconds * 1000)

    def set_audio(self, path: Path | None, channels: int, message: str = "") -> None:
        """Load the recording's file (None: no local audio, with ``message`` saying why)."""
        self.player.load(path)
        for widget in self.transport:  # nothing to play: the buttons say so by being off
            widget.setEnabled(self.player.available and path is not None)
        self.waveform.set_duration(0)
        self.waveform.set_peaks(None, message or "Decoding…")
        self.waveform.set_buffer(self.buffer_s * 1000)
        self.channels_label.setText("caller ▲ / agent ▼" if channels == 2 else "")
        dual = channels == 2 and path is not None
        for widget in (self.balance, self.balance_label, self.agent_label):
            widget.setVisible(dual)
        with QSignalBlocker(self.balance):  # a new recording starts centred, without a mix
            self.balance.setValue(0)

    def show_download(self, *, visible: bool) -> None:
        self.download.setVisible(visible)

    def jump_to_buffer(self) -> None:
        self.player.seek(self.buffer_s * 1000)

    def _position(self, ms: int) -> None:
        self.waveform.set_position(ms)
        self.position_label.setText(f"{fmt.duration(ms // 1000)} / "
                                    f"{fmt.duration(self.player.duration // 1000)}")

    def _duration(self, ms: int) -> None:
        self.waveform.set_duration(ms)
        self._position(self.player.position)

    # ---------------------------------------------------------------- review input
    def request_disposition(self, code: DispositionCode) -> None:
        from ppcdesk.core.errors import MoneyError
        from ppcdesk.core.money import to_micros

        sale: int | None = None
        if code == DispositionCode.CONVERTED and self.sale.text().strip():
            try:
                sale = to_micros(self.sale.text().strip())
            except MoneyError as exc:
                self.review_error.setText(f"Sale amount: {exc}")
                return
        self.sale.clear()
        self.dispose_requested.emit(code, sale)

    def request_dispute(self, disputed: bool) -> None:
        reason = self.dispute_reason.text().strip()
        if disputed and not reason:
            self.disputed.setChecked(False)
            self.review_error.setText("Say why the call is disputed, then press D again.")
            self.dispute_reason.setFocus()
            return
        self.dispute_requested.emit(disputed, reason)

    def _add_note(self) -> None:
        text = self.note.text().strip()
        if text:
            self.note.clear()
            self.note_requested.emit(text)
