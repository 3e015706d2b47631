"""The recording player: a small facade over QMediaPlayer that says so when it cannot play.

QtMultimedia may be missing (a frozen build without it) or have no back end (no audio libraries,
``libpulse0``/``libxrandr2`` on Linux): then ``available`` is False and ``unavailable_reason``
says why, and every control is a harmless no-op, so the detail view shows a message instead of
a player that stays silent. A QAudioOutput is always attached: without one the end of the media
is never reported.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, QUrl, Signal

if TYPE_CHECKING:
    from PySide6.QtMultimedia import QAudioOutput, QMediaPlayer

log = logging.getLogger(__name__)
SPEEDS = (0.5, 0.75, 1.0, 1.25, 1.5, 2.0)
SKIP_MS = 5_000


class Player(QObject):
    """Play one local audio file; positions and durations in milliseconds."""

    position_changed = Signal(int)
    duration_changed = Signal(int)
    playing_changed = Signal(bool)
    ended = Signal()
    failed = Signal(str)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.unavailable_reason = ""
        self._player: QMediaPlayer | None = None
        self._output: QAudioOutput | None = None
        self.source: Path | None = None
        self._resume: tuple[int, bool] | None = None  # (position, playing) after a swap
        self._queued: Path | None = None  # a swap asked while the last one was opening
        try:
            from PySide6.QtMultimedia import QAudioOutput, QMediaPlayer
        except ImportError as exc:  # a build without QtMultimedia
            self.unavailable_reason = f"Audio playback is not available: {exc}"
            return
        player = QMediaPlayer(self)
        if not player.isAvailable():
            self.unavailable_reason = ("Audio playback is not available on this machine "
                                       "(QtMultimedia found no back end).")
            return
        output = QAudioOutput(self)
        player.setAudioOutput(output)
        player.positionChanged.connect(self.position_changed.emit)
        player.durationChanged.connect(self.duration_changed.emit)
        player.playbackStateChanged.connect(
            lambda state: self.playing_changed.emit(
                state == QMediaPlayer.PlaybackState.PlayingState))
        player.mediaStatusChanged.connect(self._status)
        player.errorOccurred.connect(lambda _e, text: self.failed.emit(text or "cannot play"))
        self._player, self._output = player, output

    @property
    def available(self) -> bool:
        return self._player is not None

    def _status(self, status: QMediaPlayer.MediaStatus) -> None:
        from PySide6.QtMultimedia import QMediaPlayer

        if status == QMediaPlayer.MediaStatus.EndOfMedia:
            self.ended.emit()
        elif status == QMediaPlayer.MediaStatus.InvalidMedia:
            self._resume = self._queued = None  # failed (reported): the next swap goes ahead
        elif status == QMediaPlayer.MediaStatus.LoadedMedia and self._resume is not None:
            position, playing = self._resume
            queued, self._resume, self._queued = self._queued, None, None
            if queued is not None and queued != self.source:
                # Replacing a file while it opens aborts FFmpeg noisily: swap once it is open.
                self.load(queued)
                self._resume = (position, playing)
                return
            self.seek(position)
            if playing:
                self.play()

    def load(self, path: Path | None) -> None:
        """Open ``path`` (None: unload). Playback starts with ``play()``."""
        self.source = path
        self._resume = self._queued = None
        if self._player is None:
            return
        self._player.stop()
        self._player.setSource(QUrl() if path is None else QUrl.fromLocalFile(str(path)))

    def swap(self, path: Path) -> None:
        """Play ``path`` instead, from the same position, still playing if it was (a balance
        mix of the same recording)."""
        if self._resume is not None:  # the last swap is still opening: follow it, then this
            self._queued = path
            return
        if path == self.source:
            return
        resume = (self.position, self.playing)
        self.load(path)
        self._resume = resume

    def play(self) -> None:
        if self._player is not None and self.source is not None:
            self._player.play()

    def pause(self) -> None:
        if self._player is not None:
            self._player.pause()

    def toggle(self) -> None:
        if self.playing:
            self.pause()
        else:
            self.play()

    def stop(self) -> None:
        if self._player is not None:
            self._player.stop()

    @property
    def playing(self) -> bool:
        if self._player is None:
            return False
        from PySide6.QtMultimedia import QMediaPlayer

        return self._player.playbackState() == QMediaPlayer.PlaybackState.PlayingState

    @property
    def position(self) -> int:
        return 0 if self._player is None else int(self._player.position())

    @property
    def duration(self) -> int:
        return 0 if self._player is None else int(self._player.duration())

    def seek(self, ms: int) -> None:
        if self._player is not None:
            end = self.duration or ms
            self._player.setPosition(max(0, min(int(ms), end)))

    def skip(self, delta_ms: int) -> None:
        self.seek(self.position + delta_ms)

    @property
    def speed(self) -> float:
        return 1.0 if self._player is None else float(self._player.playbackRate())

    def set_speed(self, rate: float) -> None:
        """Play at ``rate`` (0.5x to 2x)."""
        if not SPEEDS[0] <= rate <= SPEEDS[-1]:
            raise ValueError(f"speed {rate} is outside {SPEEDS[0]}x-{SPEEDS[-1]}x")
        if self._player is not None:
            self._player.setPlaybackRate(rate)

    def set_volume(self, volume: float) -> None:
        if self._output is not None:
            self._output.setVolume(max(0.0, min(1.0, volume)))
