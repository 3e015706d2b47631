"""The recording player on the bundled demo clips: a real MP3 and a real WAV.

Skipped, with the reason, only when QtMultimedia has no back end on this machine; under CI
(``CI=true``) that fails instead, since CI installs the libraries it needs.
"""

from __future__ import annotations

import json
import os

import pytest
from ppcdesk.config.paths import resources_dir
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
