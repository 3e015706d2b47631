"""The recordings cache: a file is whole or absent, fetched once, and its size is counted."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from ppcdesk.recordings.cache import CacheError, RecordingCache

SID = "RE" + "ab" * 16
AUDIO = b"ID3\x04" + bytes(range(256)) * 40


class Downloads:
    """A downloader that writes ``AUDIO`` and remembers what it was asked for."""

    def __init__(self, data: bytes = AUDIO) -> None:
        self.data = data
        self.asked: list[str] = []

    def __call__(self, sid: str, target: Path) -> int:
        self.asked.append(sid)
        target.write_bytes(self.data)
        return len(self.data)


def test_a_download_lands_under_its_final_name_with_its_size_and_hash(tmp_path: Path) -> None:
    cache = RecordingCache(tmp_path / "recordings")
    audio, downloaded = cache.fetch(SID, Downloads())
    assert downloaded
    assert audio.local_path == f"ab/{SID}.mp3"
    assert (cache.root / audio.local_path).read_bytes() == AUDIO
    assert audio.size_bytes == len(AUDIO)
    assert audio.sha256 == hashlib.sha256(AUDIO).hexdigest()
    assert cache.cached(SID) == audio
    assert not list(cache.root.rglob("*.part"))


def test_a_cached_recording_is_never_downloaded_twice(tmp_path: Path) -> None:
    cache = RecordingCache(tmp_path)
    downloads = Downloads()
    first, _ = cache.fetch(SID, downloads)
    again, downloaded = cache.fetch(SID, downloads)
    assert (again, downloaded) == (first, False)
    assert downloads.asked == [SID]


def test_a_failed_download_leaves_no_file_at_all(tmp_path: Path) -> None:
    cache = RecordingCache(tmp_path)

    def broken(_sid: str, target: Path) -> int:
        target.write_bytes(AUDIO[:100])  # half of it, then the connection drops
        raise ConnectionResetError("reset by peer")

    with pytest.raises(ConnectionResetError):
        cache.fetch(SID, broken)
    assert cache.cached(SID) is None
    assert [p for p in tmp_path.rglob("*") if p.is_file()] == []


def test_a_partial_file_left_by_a_killed_download_is_replaced_by_a_whole_one(
        tmp_path: Path) -> None:
    cache = RecordingCache(tmp_path)
    final = cache.path(SID)
    final.parent.mkdir(parents=True)
    stale = final.with_name(final.name + ".4242.part")  # the process that wrote it was killed
    stale.write_bytes(AUDIO[:10])
    audio, downloaded = cache.fetch(SID, Downloads())
    assert downloaded
    assert not stale.exists()
    assert final.read_bytes() == AUDIO
    assert audio.size_bytes == len(AUDIO)


@pytest.mark.parametrize(("data", "announced"), [(b"", 0), (AUDIO, len(AUDIO) + 1)])
def test_an_empty_or_short_download_is_refused(tmp_path: Path, data: bytes,
                                               announced: int) -> None:
    cache = RecordingCache(tmp_path)

    def lying(_sid: str, target: Path) -> int:
        target.write_bytes(data)
        return announced

    with pytest.raises(CacheError, match=SID):
        cache.fetch(SID, lying)
    assert cache.cached(SID) is None
    assert isinstance(CacheError("x"), ValueError)  # the sync skips it as a bad record


def test_the_cache_counts_its_bytes_and_frees_them(tmp_path: Path) -> None:
    cache = RecordingCache(tmp_path / "not-yet")
    assert cache.total_bytes() == 0
    other = "RE" + "cd" * 16
    cache.fetch(SID, Downloads())
    cache.fetch(other, Downloads(b"ID3 short"))
    assert cache.total_bytes() == len(AUDIO) + 9
    assert cache.remove(SID) == len(AUDIO)
    assert cache.remove(SID) == 0
    assert cache.total_bytes() == 9


@pytest.mark.parametrize("sid", ["../etc/passwd", "RE/../../x", "", "CA" + "ab" * 16])
def test_a_sid_that_is_no_recording_sid_never_becomes_a_path(tmp_path: Path, sid: str) -> None:
    with pytest.raises(ValueError, match="not a recording SID"):
        RecordingCache(tmp_path).path(sid)
