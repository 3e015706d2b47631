"""The caller/agent balance: decode a dual-channel recording once, play a mixed copy of it.

QAudioOutput cannot pan, so the balance is made in the file (ppcdesk.recordings.mix): the
first move of the slider decodes the recording to 16-bit PCM with QAudioDecoder (kept in
memory for this recording only), each balance is mixed to a WAV in the cache, and the player
switches to it at the same position, still playing if it was. Back at the centre it plays the
original file again.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
from PySide6.QtCore import QObject, QUrl, Signal

from ppcdesk.recordings.mix import Frames, MixStore


class PcmDecoder(QObject):
    """Decode ``path`` to interleaved 16-bit samples; ``on_done(frames, rate)`` or an error."""

    def __init__(self, path: Path, on_done: Callable[[Frames, int], None],
                 on_error: Callable[[str], None], parent: QObject | None = None) -> None:
        super().__init__(parent)
        from PySide6.QtMultimedia import QAudioDecoder, QAudioFormat

        self._on_done, self._on_error = on_done, on_error
        self._chunks: list[Frames] = []
        self._channels, self._rate = 1, 8000
        self.decoder = QAudioDecoder(self)
        wanted = QAudioFormat()
        wanted.setSampleFormat(QAudioFormat.SampleFormat.Int16)
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
        if fmt.sampleFormat() == fmt.SampleFormat.Int16:
            self._chunks.append(np.frombuffer(data, dtype=np.int16))
        elif fmt.sampleFormat() == fmt.SampleFormat.Float:  # a back end that ignored the ask
            floats = np.frombuffer(data, dtype=np.float32)
            self._chunks.append(np.clip(floats * 32767, -32768, 32767).astype(np.int16))

    def _finished(self) -> None:
        samples = np.concatenate(self._chunks) if self._chunks else np.zeros(0, np.int16)
        self._chunks = []
        usable = samples.size - samples.size % self._channels
        self._on_done(samples[:usable].reshape(-1, self._channels), self._rate)


class Balancer(QObject):
    """Which file plays for a balance: the original at 0, else a mix (decoded on first use)."""

    ready = Signal(object)  # Path: play this file from the same position
    failed = Signal(str)

    def __init__(self, store: MixStore, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.store = store
        self.key = ""
        self.source: Path | None = None
        self.balance = 0.0
        self._frames: tuple[Frames, int] | None = None
        self._decoder: PcmDecoder | None = None

    def set_source(self, key: str, path: Path | None) -> None:
        """A new recording (None: none): back to the centre, nothing decoded yet."""
        self.key, self.source, self.balance = key, path, 0.0
        self._frames, self._decoder = None, None

    def set_balance(self, balance: float) -> None:
        self.balance = balance
        if self.source is None:
            return
        if balance == 0.0:
            self.ready.emit(self.source)
            return
        cached = self.store.cached(self.key, balance)
        if cached is not None:
            self.ready.emit(cached)
        elif self._frames is not None:
            self._write()
        elif self._decoder is None:
            source = self.source
            self._decoder = PcmDecoder(source, lambda f, r: self._decoded(source, f, r),
                                       self.failed.emit, self)
            self._decoder.start()

    def _decoded(self, source: Path, frames: Frames, rate: int) -> None:
        self._decoder = None
        if source != self.source:
            return  # another recording was selected while this one decoded
        if frames.shape[1] != 2:
            self.failed.emit("This recording has one channel: there is no balance to set.")
            return
        self._frames = (frames, rate)
        if self.balance != 0.0:
            self._write()

    def _write(self) -> None:
        assert self._frames is not None  # noqa: S101 - called only once decoded
        try:
            path = self.store.write(self.key, self.balance, *self._frames)
        except (OSError, ValueError) as exc:
            self.failed.emit(f"Cannot mix the channels: {exc}")
            return
        self.ready.emit(path)
