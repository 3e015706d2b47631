"""The recordings cache policy: what is dropped for age and for size, and the policy file."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from ppcdesk.core.errors import DataError
from ppcdesk.recordings.retention import (
    DAY,
    CachedFile,
    RetentionPolicy,
    load_policy,
    plan_drops,
    save_policy,
)
from ppcdesk.recordings.waveform import PeaksStore, peaks_of

NOW = 1_800_000_000


def files(*rows: tuple[str, int, int]) -> list[CachedFile]:
    """(sid, days ago, kB) -> cached files."""
    return [CachedFile(sid, NOW - days * DAY, kb * 1000) for sid, days, kb in rows]


@pytest.mark.parametrize(("policy", "dropped"), [
    (RetentionPolicy(), []),
    (RetentionPolicy(keep_days=30), ["RE1"]),
    (RetentionPolicy(max_megabytes=1), ["RE1", "RE2"]),
    (RetentionPolicy(max_megabytes=1, keep_days=30), ["RE1", "RE2"]),
    (RetentionPolicy(max_megabytes=2), []),
    (RetentionPolicy(keep_days=5), ["RE1", "RE2"]),
])
def test_the_oldest_audio_goes_first(policy: RetentionPolicy, dropped: list[str]) -> None:
    cached = files(("RE3", 1, 600), ("RE1", 40, 600), ("RE2", 10, 600))
    assert [f.sid for f in plan_drops(cached, policy, NOW)] == dropped


def test_the_policy_is_saved_and_a_bad_one_is_refused(tmp_path: Path) -> None:
    assert load_policy(tmp_path) == RetentionPolicy()
    save_policy(tmp_path, RetentionPolicy(500, 90, delete_on_twilio=True))
    assert load_policy(tmp_path) == RetentionPolicy(500, 90, delete_on_twilio=True)
    (tmp_path / "recordings.json").write_text('{"max_megabytes": 1, "keep_days": 3}')
    assert load_policy(tmp_path) == RetentionPolicy(1, 3)  # a file from before the flag
    (tmp_path / "recordings.json").write_text('{"delete_on_twilio": "yes"}')
    with pytest.raises(DataError, match="delete_on_twilio"):
        load_policy(tmp_path)
    (tmp_path / "recordings.json").write_text('{"max_megabytes": -1, "keep_days": 3}')
    with pytest.raises(DataError, match="max_megabytes"):
        load_policy(tmp_path)


def test_peaks_are_the_loudest_sample_per_bucket_and_survive_a_round_trip(
        tmp_path: Path) -> None:
    mono = np.array([0.1, -0.5, 0.2, 0.0], dtype=np.float32)
    np.testing.assert_allclose(peaks_of(mono, 1, 2), [[0.5, 0.2]])
    stereo = np.array([0.1, -0.9, 0.3, 0.2], dtype=np.float32)  # L R L R
    np.testing.assert_allclose(peaks_of(stereo, 2, 1), [[0.3], [0.9]])
    store = PeaksStore(tmp_path / "peaks")
    assert store.load("a" * 64) is None
    store.save("a" * 64, peaks_of(stereo, 2, 4))
    loaded = store.load("a" * 64)
    assert loaded is not None
    assert loaded.shape == (2, 4)
    with pytest.raises(ValueError, match="peaks key"):
        store.path("../etc")
