"""The waveform: decoded once with QAudioDecoder, peaks cached on disk, drawn with marks.

The first view of a recording decodes it (a 10-minute call in well under a second) and saves
its peaks through ppcdesk.recordings.waveform.PeaksStore; every later view reads the peaks file.
The widget draws channel 1 (the caller) above the line and channel 2 (the agent) below it, the
play position, and the buyer's buffer mark; a click seeks.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
from PySide6.QtCore import QObject, QPointF, QRectF, Qt, Signal
from PySide6.QtGui import QColor, QMouseEvent, QPainter, QPaintEvent, QPen
from PySide6.QtWidgets import QSizePolicy, QWidget

from ppcdesk.recordings.waveform import Peaks, PeaksStore, peaks_of
from ppcdesk.ui.playback.decoding import SampleDecoder


class PeaksDecoder(SampleDecoder):
    """Decode ``path`` and hand its peaks to ``on_done`` (or an error to ``on_error``)."""

    def __init__(self, path: Path, on_done: Callable[[Peaks], None],
                 on_error: Callable[[str], None], parent: QObject | None = None) -> None:
        super().__init__(path, lambda samples, channels, _rate: on_done(
            peaks_of(samples, channels)), on_error, parent)


def load_peaks(store: PeaksStore, key: str, path: Path, on_done: Callable[[Peaks], None],
               on_error: Callable[[str], None], parent: QObject) -> PeaksDecoder | None:
    """The cached peaks at once, or a decoder started that caches and delivers them."""
    cached = store.load(key)
    if cached is not None:
        on_done(cached)
        return None

    def decoded(peaks: Peaks) -> None:
        store.save(key, peaks)
        on_done(peaks)

    decoder = PeaksDecoder(path, decoded, on_error, parent)
    decoder.start()
    return decoder


class WaveformView(QWidget):
    """Peaks, the play position and the buffer mark; click or drag to seek."""

    seek_requested = Signal(int)  # ms

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.peaks: Peaks | None = None
        self.duration_ms = 0
        self.position_ms = 0
        self.buffer_ms: int | None = None
        self.message = "No recording"
        self.setMinimumHeight(90)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)

    def set_peaks(self, peaks: Peaks | None, message: str = "") -> None:
        self.peaks, self.message = peaks, message
        self.update()

    def set_duration(self, ms: int) -> None:
        self.duration_ms = ms
        self.update()

    def set_position(self, ms: int) -> None:
        self.position_ms = ms
        self.update()

    def set_buffer(self, ms: int | None) -> None:
        self.buffer_ms = ms
        self.update()

    def _x(self, ms: int) -> float:
        return self.width() * min(1.0, ms / self.duration_ms) if self.duration_ms else 0.0

    def mousePressEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        if self.duration_ms and self.width():
            fraction = max(0.0, min(1.0, event.position().x() / self.width()))
            self.seek_requested.emit(int(fraction * self.duration_ms))

    def paintEvent(self, _event: QPaintEvent) -> None:  # noqa: N802
        painter = QPainter(self)
        painter.fillRect(self.rect(), QColor("#f6f7f9"))
        w, h = self.width(), self.height()
        mid = h / 2
        if self.peaks is None or not self.peaks.size:
            painter.setPen(QColor("#666"))
            painter.drawText(self.rect(), Qt.AlignmentFlag.AlignCenter, self.message)
            return
        columns = np.linspace(0, self.peaks.shape[1] - 1, max(1, w)).astype(int)
        colors = (QColor("#2f6fb3"), QColor("#3a9b5c"))
        for channel in range(min(2, self.peaks.shape[0])):
            painter.setPen(QPen(colors[channel], 1))
            heights = self.peaks[channel][columns] * (mid - 4)
            sign = -1 if channel == 0 or self.peaks.shape[0] == 1 else 1
            for x, value in enumerate(heights):
                if self.peaks.shape[0] == 1:
                    painter.drawLine(QPointF(x, mid - value), QPointF(x, mid + value))
                else:
                    painter.drawLine(QPointF(x, mid), QPointF(x, mid + sign * value))
        if self.buffer_ms is not None and self.duration_ms:
            mark = self._x(self.buffer_ms)
            painter.setPen(QPen(QColor("#d9822b"), 2, Qt.PenStyle.DashLine))
            painter.drawLine(QPointF(mark, 0), QPointF(mark, h))
            label = "buffer" if self.buffer_ms <= self.duration_ms else "buffer (after the end)"
            painter.drawText(QRectF(min(mark + 4, w - 150), 2, 150, 16), label)
        painter.setPen(QPen(QColor("#c0392b"), 2))
        head = self._x(self.position_ms)
        painter.drawLine(QPointF(head, 0), QPointF(head, h))
