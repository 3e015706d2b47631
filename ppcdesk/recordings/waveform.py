"""Waveform peaks: computed once per audio file, kept beside the cache, read in a blink.

Decoding is Qt's job (ppcdesk.ui.playback decodes with QAudioDecoder); this module turns
decoded samples into peaks and stores them under ``<cache>/peaks/<sha256>.npy`` so a file heard
again, or in another session, draws its waveform without decoding. The key is the audio's
SHA-256, so a re-downloaded identical file reuses its peaks and a changed one never does.
"""

from __future__ import annotations

import io
import logging
import re
from pathlib import Path

import numpy as np
import numpy.typing as npt

from ppcdesk.config.atomic import write_bytes_atomic

log = logging.getLogger(__name__)
BUCKETS = 2000  # peaks per channel: more than a wide screen has pixels
_KEY = re.compile(r"[0-9A-Za-z]{8,64}")

Peaks = npt.NDArray[np.float32]  # shape (channels, BUCKETS): max |sample| per bucket, 0..1


def peaks_of(samples: npt.NDArray[np.float32], channels: int,
             buckets: int = BUCKETS) -> Peaks:
    """Interleaved float samples (-1..1) -> the loudest absolute sample per bucket and channel.

    Example: 4 frames of one channel [0.1, -0.5, 0.2, 0.0] in 2 buckets -> [[0.5, 0.2]].
    """
    channels = max(1, channels)
    frames = len(samples) // channels
    if frames == 0:
        return np.zeros((channels, buckets), dtype=np.float32)
    data = np.abs(samples[: frames * channels].reshape(frames, channels).T)
    edges = np.linspace(0, frames, buckets + 1).astype(np.int64)
    out = np.zeros((channels, buckets), dtype=np.float32)
    # A bucket narrower than a frame (a short clip) shows the frame it falls on.
    starts = np.minimum(edges[:-1], frames - 1)
    for channel in range(channels):
        out[channel] = np.maximum.reduceat(data[channel], starts)
    return np.clip(out, 0.0, 1.0)


class PeaksStore:
    """Peaks files under ``root`` (``Paths.recordings / "peaks"``), keyed by SHA-256 or SID."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    def path(self, key: str) -> Path:
        if not _KEY.fullmatch(key):
            raise ValueError(f"{key!r} is not a peaks key")
        return self.root / f"{key}.npy"

    def load(self, key: str) -> Peaks | None:
        path = self.path(key)
        if not path.is_file():
            return None
        try:
            peaks = np.load(path, allow_pickle=False)
        except (OSError, ValueError):
            log.warning("unreadable peaks file %s: decoding again", path)
            return None
        return peaks.astype(np.float32) if peaks.ndim == 2 else None

    def save(self, key: str, peaks: Peaks) -> None:
        buffer = io.BytesIO()
        np.save(buffer, peaks.astype(np.float32), allow_pickle=False)
        write_bytes_atomic(self.path(key), buffer.getvalue())

    def remove(self, key: str) -> None:
        self.path(key).unlink(missing_ok=True)
