"""The caller/agent balance of a dual-channel recording, as a mixed WAV the player can play.

Twilio's dual-channel recordings put the caller on channel 1 and the agent on channel 2.
QAudioOutput has a volume but no pan, so the balance cannot be a playback setting: the
recording is decoded once (by the UI, with QAudioDecoder), mixed here to one channel with a
gain per side, and written as a 16-bit WAV under ``<cache>/mixes/`` (atomically), which the
player then plays from the same position. A mix is a cache entry like the peaks: named by the
audio's key and the balance, so moving the slider back to a balance heard before costs nothing.

Balance runs from -1 (the caller alone) through 0 (both at full level) to +1 (the agent
alone): at -0.5 the agent plays at half level and the caller at full.
"""

from __future__ import annotations

import io
import re
import wave
from pathlib import Path

import numpy as np
import numpy.typing as npt

from ppcdesk.config.atomic import write_bytes_atomic

Frames = npt.NDArray[np.int16]  # shape (samples, channels)
_KEY = re.compile(r"[0-9A-Za-z]{8,64}")
STEPS = 20  # balances are rounded to 1/20: one file per notch of the slider, not per pixel


def gains(balance: float) -> tuple[float, float]:
    """(caller gain, agent gain) for a balance in [-1, 1]."""
    if not -1.0 <= balance <= 1.0:
        raise ValueError(f"balance {balance} is outside -1 (caller) .. 1 (agent)")
    return min(1.0, 1.0 - balance), min(1.0, 1.0 + balance)


def mix(frames: Frames, balance: float) -> Frames:
    """Two channels (caller, agent) -> one, each side scaled by its gain, clipped to 16 bits."""
    if frames.ndim != 2 or frames.shape[1] != 2:
        raise ValueError(f"a balance needs two channels, not shape {frames.shape}")
    caller, agent = gains(balance)
    mixed = frames[:, 0].astype(np.float32) * caller + frames[:, 1].astype(np.float32) * agent
    return np.clip(np.rint(mixed), -32768, 32767).astype(np.int16)


def rounded(balance: float) -> float:
    return round(max(-1.0, min(1.0, balance)) * STEPS) / STEPS


class MixStore:
    """Mixed WAVs under one folder, one per (audio key, balance)."""

    def __init__(self, folder: Path) -> None:
        self.folder = Path(folder)

    def path(self, key: str, balance: float) -> Path:
        if not _KEY.fullmatch(key):
            raise ValueError(f"{key!r} cannot name a mix")
        notch = round(rounded(balance) * STEPS)
        return self.folder / f"{key}_{'m' if notch < 0 else 'p'}{abs(notch):02d}.wav"

    def cached(self, key: str, balance: float) -> Path | None:
        path = self.path(key, balance)
        return path if path.is_file() else None

    def write(self, key: str, balance: float, frames: Frames, rate: int) -> Path:
        """Mix ``frames`` at ``balance`` and write it (whole or not at all); return its path."""
        mono = mix(frames, rounded(balance))
        buffer = io.BytesIO()
        with wave.open(buffer, "wb") as out:
            out.setnchannels(1)
            out.setsampwidth(2)
            out.setframerate(rate)
            out.writeframes(mono.astype("<i2").tobytes())
        path = self.path(key, balance)
        write_bytes_atomic(path, buffer.getvalue())
        return path

    def clear(self) -> int:
        """Delete every mix (they are rebuilt on demand); return the bytes freed."""
        freed = 0
        for item in self.folder.glob("*.wav") if self.folder.is_dir() else ():
            freed += item.stat().st_size
            item.unlink(missing_ok=True)
        return freed
