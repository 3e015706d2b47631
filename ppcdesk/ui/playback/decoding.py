"""Decode a recording once with QAudioDecoder: the samples the waveform and the balance need.

QAudioDecoder delivers buffers in the format it was asked for, or in another when a back end
ignores the ask; this takes either and hands over interleaved float32 samples in [-1, 1] with the
channel count and sample rate, so its users only say what they make of them.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
from PySide6.QtCore import QObject, QUrl

Samples = np.ndarray  # interleaved float32, channel after channel in each frame


class SampleDecoder(QObject):
    """Decode ``path``; then ``on_done(samples, channels, rate)``, or ``on_error(message)``."""

    def __init__(self, path: Path, on_done: Callable[[Samples, int, int], None],
                 on_error: Callable[[str], None], parent: QObject | None = None) -> None:
        super().__init__(parent)
        from PySide6.QtMultimedia import QAudioDecoder, QAudioFormat

        self._on_done, self._on_error = on_done, on_error
        self._chunks: list[Samples] = []
        self._channels, self._rate = 1, 8000
        self.decoder = QAudioDecoder(self)
        wanted = QAudioFormat()
        wanted.setSampleFormat(QAudioFormat.SampleFormat.Float)
        self.decoder.setAudioFormat(wanted)
        self.decoder.bufferReady.connect(self._buffer)
        self.decoder.finished.connect(self._finished)
        self.decoder.error.connect(lambda _e: self._on_error(self.decoder.errorString()))
        self.decoder.setSource(QUrl.fromLocalFile(str(path)))

    def start(self) -> None:
        self.decoder.start()

    def _buffer(self) -> None:
        buffer = self.decoder.read()
        fmt = buffer.format()
        self._channels, self._rate = max(1, fmt.channelCount()), fmt.sampleRate()
        data = bytes(buffer.constData())
        if fmt.sampleFormat() == fmt.SampleFormat.Float:
            self._chunks.append(np.frombuffer(data, dtype=np.float32))
        elif fmt.sampleFormat() == fmt.SampleFormat.Int16:  # a back end that ignored the ask
            self._chunks.append((np.frombuffer(data, dtype=np.int16) / 32768).astype(np.float32))

    def _finished(self) -> None:
        samples = (np.concatenate(self._chunks) if self._chunks
                   else np.zeros(0, dtype=np.float32))
        self._chunks = []
        self._on_done(samples, self._channels, self._rate)
