"""One ppcdesk per database: an OS file lock beside the database, naming its holder.

The lock is the operating system's (flock / LockFileEx), so it is released when the process dies,
however it dies: no stale lock to clean up after a crash.
"""

from __future__ import annotations

import json
import os
import socket
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import IO

from ppcdesk.core.errors import DatabaseLockedError


class InstanceLock:
    def __init__(self, db_path: Path, purpose: str) -> None:
        self.path = db_path.with_name(db_path.name + ".lock")
        self.purpose = purpose
        self._handle: IO[str] | None = None

    def acquire(self) -> InstanceLock:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        handle = self.path.open("a+", encoding="utf-8")
        if not _try_lock(handle):
            handle.seek(0)
            holder = handle.read().strip()
            handle.close()
            raise DatabaseLockedError(_describe(self.path, holder))
        handle.seek(0)
        handle.truncate()
        handle.write(json.dumps({
            "pid": os.getpid(),
            "host": socket.gethostname(),
            "purpose": self.purpose,
            "since": datetime.now(UTC).isoformat(timespec="seconds"),
        }))
        handle.flush()
        self._handle = handle
        return self

    def release(self) -> None:
        if self._handle is not None:
            self._handle.seek(0)
            self._handle.truncate()
            _unlock(self._handle)
            self._handle.close()
            self._handle = None

    def __enter__(self) -> InstanceLock:
        return self.acquire()

    def __exit__(self, *_exc: object) -> None:
        self.release()


def _describe(lock_path: Path, holder: str) -> str:
    db = lock_path.with_suffix("")
    try:
        info = json.loads(holder)
        who = (f"ppcdesk ({info.get('purpose', '?')}, pid {info.get('pid')} on "
               f"{info.get('host')}, since {info.get('since')})")
    except ValueError:
        who = "another ppcdesk"
    return f"{db} is already open in {who}; close it there first"


if sys.platform == "win32":
    import msvcrt

    def _try_lock(handle: IO[str]) -> bool:
        try:
            handle.seek(0)
            msvcrt.locking(handle.fileno(), msvcrt.LK_NBLCK, 1)
        except OSError:
            return False
        return True

    def _unlock(handle: IO[str]) -> None:
        handle.seek(0)
        msvcrt.locking(handle.fileno(), msvcrt.LK_UNLCK, 1)

else:
    import fcntl

    def _try_lock(handle: IO[str]) -> bool:
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            return False
        return True

    def _unlock(handle: IO[str]) -> None:
        fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
