"""The caller/agent balance: gains per side, the mixed samples, and the mixed WAV on disk."""

from __future__ import annotations

import wave
from pathlib import Path

import numpy as np
import pytest
from ppcdesk.recordings.mix import MixStore, gains, mix


@pytest.mark.parametrize(("balance", "caller", "agent"), [
    (-1.0, 1.0, 0.0),   # the caller alone
    (-0.5, 1.0, 0.5),
    (0.0, 1.0, 1.0),    # both at full level
    (0.25, 0.75, 1.0),
    (1.0, 0.0, 1.0),    # the agent alone
])
def test_the_balance_turns_one_side_down(balance: float, caller: float, agent: float) -> None:
    assert gains(balance) == (caller, agent)


def test_a_balance_outside_the_range_is_refused() -> None:
    with pytest.raises(ValueError, match="outside"):
        gains(1.5)


def test_the_mix_scales_each_side_and_clips() -> None:
    frames = np.array([[1000, 0], [0, 2000], [30000, 30000]], dtype=np.int16)
    assert mix(frames, -1.0).tolist() == [1000, 0, 30000]
    assert mix(frames, 1.0).tolist() == [0, 2000, 30000]
    assert mix(frames, 0.5).tolist() == [500, 2000, 32767]  # 15000 + 30000, clipped
    with pytest.raises(ValueError, match="two channels"):
        mix(np.zeros((3, 1), dtype=np.int16), 0.0)


def test_a_mix_is_a_mono_wav_named_by_key_and_notch(tmp_path: Path) -> None:
    store = MixStore(tmp_path / "mixes")
    frames = np.array([[100, -50]] * 800, dtype=np.int16)
    assert store.cached("abcdef0123", -0.5) is None
    path = store.write("abcdef0123", -0.52, frames, 8000)  # rounds to the slider's notch
    assert path == store.cached("abcdef0123", -0.5)
    assert path.name == "abcdef0123_m10.wav"
    with wave.open(str(path)) as audio:
        assert (audio.getnchannels(), audio.getframerate(), audio.getnframes()) == (1, 8000, 800)
        assert np.frombuffer(audio.readframes(1), "<i2").tolist() == [75]
    assert [p.name for p in path.parent.iterdir()] == [path.name]  # no temporary left
    size = path.stat().st_size
    assert store.clear() == size
    assert store.cached("abcdef0123", -0.5) is None
