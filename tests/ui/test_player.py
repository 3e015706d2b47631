"""The recording player on the bundled demo clips: a real MP3 and a real WAV.

Skipped, with the reason, only when QtMultimedia has no back end on this machine; under CI
(``CI=true``) that fails instead, since CI installs the libraries it needs.
"""

from __future__ import annotations

import json
import os
import wave
from pathlib import Path

import numpy as np
import pytest
from ppcdesk.config.paths import resources_dir
from ppcdesk.recordings.mix import MixStore
from ppcdesk.ui.playback.balance import Balancer
from ppcdesk.ui.playback.player import Player

CLIPS = {c["file"]: c for c in json.loads(
    (resources_dir() / "demo_audio" / "clips.json").read_text())}


@pytest.fixture
def player(qtbot) -> Player:  # type: ignore[no-untyped-def]
    p = Player()
    if not p.available:
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI must play audio: {p.unavailable_reason}")
        pytest.skip(p.unavailable_reason)
    p.set_volume(0.0)
    return p


# A machine without a sound card (CI, a server) still plays: to a null device, with this note.
@pytest.mark.qt_log_ignore("No audio device detected", "pipewire", "PulseAudioService")
@pytest.mark.parametrize("name", ["clip_3.mp3", "clip_4.wav"])
def test_a_clip_plays_seeks_changes_speed_and_ends(qtbot, player: Player,  # type: ignore[no-untyped-def]
                                                   name: str) -> None:
    expected_ms = CLIPS[name]["duration_s"] * 1000
    with qtbot.waitSignal(player.duration_changed, timeout=10_000,
                          check_params_cb=lambda d: d > 0):
        player.load(resources_dir() / "demo_audio" / name)
    assert player.duration == pytest.approx(expected_ms, abs=150)

    player.play()
    qtbot.waitUntil(lambda: player.position > 300, timeout=10_000)
    assert player.playing

    player.seek(8_000)
    qtbot.waitUntil(lambda: player.position >= 8_000, timeout=5_000)
    player.skip(-5_000)
    qtbot.waitUntil(lambda: 2_900 <= player.position < 6_000, timeout=5_000)

    player.set_speed(2.0)
    assert player.speed == 2.0
    with pytest.raises(ValueError, match="outside"):
        player.set_speed(3.0)
    # Near the end at double speed: the end must be reported.
    player.seek(int(expected_ms) - 1_500)
    with qtbot.waitSignal(player.ended, timeout=10_000):
        pass
    assert not player.playing


def dual_channel_wav(path: Path, seconds: int = 4, rate: int = 8000) -> Path:
    """A caller tone on channel 1 and silence from the agent on channel 2."""
    t = np.arange(seconds * rate) / rate
    caller = (np.sin(2 * np.pi * 440 * t) * 12000).astype("<i2")
    frames = np.stack([caller, np.zeros_like(caller)], axis=1)
    with wave.open(str(path), "wb") as out:
        out.setnchannels(2)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(frames.tobytes())
    return path


def rms_of(path: Path) -> float:
    with wave.open(str(path)) as audio:
        samples = np.frombuffer(audio.readframes(audio.getnframes()), "<i2")
    return float(np.sqrt(np.mean(samples.astype(np.float64) ** 2)))


@pytest.mark.qt_log_ignore("No audio device detected", "pipewire", "PulseAudioService")
def test_the_balance_plays_a_mix_from_the_same_place(qtbot, player: Player,  # type: ignore[no-untyped-def]
                                                     tmp_path: Path) -> None:
    clip = dual_channel_wav(tmp_path / "dual.wav")
    balancer = Balancer(MixStore(tmp_path / "mixes"))
    balancer.ready.connect(player.swap)
    with qtbot.waitSignal(player.duration_changed, timeout=10_000,
                          check_params_cb=lambda d: d > 0):
        player.load(clip)
    balancer.set_source("dualclip01", clip)
    player.play()
    qtbot.waitUntil(lambda: player.position > 1_000, timeout=10_000)

    with qtbot.waitSignal(balancer.ready, timeout=10_000) as agent_only:
        balancer.set_balance(1.0)  # decodes once, then mixes
    mixed = agent_only.args[0]
    assert rms_of(mixed) < 1  # the caller's tone is gone: the agent was silent
    qtbot.waitUntil(lambda: player.source == mixed and player.playing, timeout=10_000)
    assert player.position >= 900  # it went on from where it was, not from the start

    with qtbot.waitSignal(balancer.ready, timeout=10_000) as caller_only:
        balancer.set_balance(-1.0)  # mixed from the decoded samples: no second decode
    assert rms_of(caller_only.args[0]) == pytest.approx(12000 / np.sqrt(2), rel=0.02)
    with qtbot.waitSignal(balancer.ready, timeout=1_000) as centred:
        balancer.set_balance(0.0)
    assert centred.args[0] == clip  # the centre is the original recording
    qtbot.waitUntil(lambda: player.source == clip and player.playing, timeout=10_000)
    player.stop()
