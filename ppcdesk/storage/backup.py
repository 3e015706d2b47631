"""Rotating backups through SQLite's online backup API (consistent even while the app reads)."""

from __future__ import annotations

import logging
import sqlite3
from datetime import UTC, datetime
from pathlib import Path

log = logging.getLogger(__name__)
KEEP = 5


def backup(db_path: Path, folder: Path, reason: str, *, keep: int = KEEP) -> Path | None:
    """Copy ``db_path`` to ``folder`` before ``reason`` (migrate, import...); keep the last N.

    Returns None when there is nothing to protect (no file, or an empty one).
    """
    if not db_path.exists() or db_path.stat().st_size == 0:
        return None
    folder.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
    target = folder / f"{db_path.stem}-{stamp}-{reason}.sqlite"
    partial = target.with_suffix(".partial")
    src = sqlite3.connect(db_path)
    dst = sqlite3.connect(partial)
    try:
        with dst:
            src.backup(dst)
    finally:
        dst.close()
        src.close()
    partial.replace(target)
    log.info("backed up %s to %s before %s", db_path, target, reason)
    _rotate(folder, db_path.stem, keep)
    return target


def _rotate(folder: Path, stem: str, keep: int) -> None:
    mine = sorted(p for p in folder.glob(f"{stem}-*.sqlite") if p.is_file())
    for old in mine[:-keep]:
        old.unlink(missing_ok=True)
        log.info("removed old backup %s", old)
