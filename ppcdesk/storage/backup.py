"""Rotating backups through SQLite's online backup API (consistent even while the app reads)."""

from __future__ import annotations

import logging
import re
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

from ppcdesk.core.clock import Clock, SystemClock

log = logging.getLogger(__name__)
KEEP = 5


def backup(db_path: Path, folder: Path, reason: str, *, keep: int = KEEP,
           clock: Clock | None = None) -> Path | None:
    """Copy ``db_path`` to ``folder`` before ``reason`` (migrate, import...); keep the last N.

    Returns None when there is nothing to protect (no file, or an empty one). Backups are named
    by the time they were taken, so the newest sort last.
    """
    if not db_path.exists() or db_path.stat().st_size == 0:
        return None
    folder.mkdir(parents=True, exist_ok=True)
    moment = (clock or SystemClock()).now().astimezone(UTC)
    target = _name(folder, db_path.stem, moment, reason)
    # Two backups within one clock tick (Windows' clock moves every ~15 ms) must not overwrite
    # each other: the second one moves a microsecond on, and the names stay in order.
    while target.exists():
        moment += timedelta(microseconds=1)
        target = _name(folder, db_path.stem, moment, reason)
    partial = target.with_suffix(".partial")
    src = sqlite3.connect(db_path)
    dst = sqlite3.connect(partial)
    try:
        with dst:
            src.backup(dst)
    except BaseException:
        dst.close()
        partial.unlink(missing_ok=True)
        raise
    finally:
        dst.close()
        src.close()
    partial.replace(target)
    log.info("backed up %s to %s before %s", db_path, target, reason)
    _rotate(folder, db_path.stem, keep)
    return target


def _name(folder: Path, stem: str, moment: datetime, reason: str) -> Path:
    return folder / f"{stem}-{moment.strftime('%Y%m%dT%H%M%S%fZ')}-{reason}.sqlite"


def _rotate(folder: Path, stem: str, keep: int) -> None:
    # Match the stamp exactly: "demo-*.sqlite" alone would also take demo-2.sqlite's backups.
    pattern = re.compile(re.escape(stem) + r"-\d{8}T\d{12}Z-.*\.sqlite")
    mine = sorted(p for p in folder.iterdir() if pattern.fullmatch(p.name) and p.is_file())
    for old in mine[:-keep]:
        old.unlink(missing_ok=True)
        log.info("removed old backup %s", old)
