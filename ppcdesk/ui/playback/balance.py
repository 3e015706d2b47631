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
from PySide6.QtCore import QObject, Signal

from ppcdesk.recordings.mix import Frames, MixStore
from ppcdesk.ui.playback.decoding import SampleDecoder, Samples


class PcmDecoder(SampleDecoder):
    """Decode ``path`` to 16-bit frames (one row a frame); ``on_done(frames, rate)`` or an error."""

    def __init__(self, path: Path, on_done: Callable[[Frames, int], None],
                 on_error: Callable[[str], None], parent: QObject | None = None) -> None:
        super().__init__(path, self._pcm, on_error, parent)
        self._on_frames = on_done

    def _pcm(self, samples: Samples, channels: int, rate: int) -> None:
        pcm = np.clip(np.round(samples * 32768), -32768, 32767).astype(np.int16)
        usable = pcm.size - pcm.size % channels
        self._on_frames(pcm[:usable].reshape(-1, channels), rate)


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
