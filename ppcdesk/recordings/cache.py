"""The recordings cache: one MP3 per recording, written atomically, fetched at most once.

A download goes to a ``.part`` file beside its final place, is flushed to disk, then renamed
over the final name (``os.replace`` is atomic on one file system), so a reader, a crash or a
SIGKILL never sees half a file under the final name. Resuming is per file: a ``.part`` left by
an interrupted download is discarded and that one file fetched again; a file already at its
final place is never fetched again, even when the database missed the news (a kill between
the rename and the commit): ``fetch`` adopts it. Files live in 256 folders by the SID's first
two hex digits (``ab/REab....mp3``) so no folder grows huge; ``local_path`` in the database is
that path relative to the cache root.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

log = logging.getLogger(__name__)
RECORDING_SID = re.compile(r"RE[0-9A-Za-z]{1,62}")  # becomes a file name: no separators
SUFFIX = ".mp3"
PART = ".part"

Downloader = Callable[[str, Path], int]  # (sid, target) -> bytes written


class CacheError(ValueError):
    """A download that did not produce a usable file (empty, or not the size announced)."""


@dataclass(frozen=True, slots=True)
class CachedAudio:
    """A recording's audio in the cache."""

    sid: str
    local_path: str  # relative to the cache root, with forward slashes
    size_bytes: int
    sha256: str


class RecordingCache:
    """The folder of downloaded recordings (``Paths.recordings``)."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    def relative_path(self, sid: str) -> str:
        """Where ``sid``'s audio lives, relative to the root: ``ab/REab....mp3``."""
        if not RECORDING_SID.fullmatch(sid):
            raise ValueError(f"{sid!r} is not a recording SID")
        return f"{sid[2:4].lower()}/{sid}{SUFFIX}"

    def path(self, sid: str) -> Path:
        return self.root / self.relative_path(sid)

    def cached(self, sid: str) -> CachedAudio | None:
        """The audio already in the cache, or None."""
        final = self.path(sid)
        if not final.is_file():
            return None
        return self._describe(sid, final)

    def fetch(self, sid: str, download: Downloader) -> tuple[CachedAudio, bool]:
        """Make sure ``sid``'s audio is in the cache; return it and whether it was downloaded.

        ``download(sid, target)`` writes the whole file to ``target`` and returns its size.
        On any error the partial file is removed and the error goes on to the caller.
        """
        existing = self.cached(sid)
        if existing is not None:
            return existing, False
        final = self.path(sid)
        final.parent.mkdir(parents=True, exist_ok=True)
        for stale in final.parent.glob(f"{sid}{SUFFIX}.*{PART}"):
            stale.unlink(missing_ok=True)  # an interrupted download: start that file again
        part = final.with_name(f"{final.name}.{os.getpid()}{PART}")
        try:
            _check_size(sid, download(sid, part), part)
            _fsync(part)
            part.replace(final)
            _fsync_dir(final.parent)
        except BaseException:
            part.unlink(missing_ok=True)
            raise
        return self._describe(sid, final), True

    def remove(self, sid: str) -> int:
        """Delete ``sid``'s audio; return the bytes freed."""
        final = self.path(sid)
        try:
            size = final.stat().st_size
        except FileNotFoundError:
            return 0
        final.unlink(missing_ok=True)
        return size

    def total_bytes(self) -> int:
        """Bytes of audio in the cache (partial downloads not counted)."""
        if not self.root.is_dir():
            return 0
        return sum(p.stat().st_size for p in self.root.glob(f"*/*{SUFFIX}") if p.is_file())

    def _describe(self, sid: str, final: Path) -> CachedAudio:
        digest = hashlib.sha256()
        size = 0
        with final.open("rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
                size += len(block)
        return CachedAudio(sid, self.relative_path(sid), size, digest.hexdigest())


def _check_size(sid: str, written: int, part: Path) -> None:
    size = part.stat().st_size
    if size == 0 or written != size:
        raise CacheError(f"recording {sid}: the download left {size} bytes on disk, "
                         f"{written} announced")


def _fsync(path: Path) -> None:
    with path.open("rb+") as handle:
        os.fsync(handle.fileno())


def _fsync_dir(folder: Path) -> None:
    """Make the rename durable (POSIX); Windows cannot open a folder, and needs no such step."""
    if os.name != "posix":
        return
    fd = os.open(folder, os.O_RDONLY)
    try:
        with contextlib.suppress(OSError):
            os.fsync(fd)
    finally:
        os.close(fd)
