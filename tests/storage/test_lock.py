"""One ppcdesk per database: a second process is told who holds it; a crash frees it."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from ppcdesk.core.errors import DatabaseLockedError
from ppcdesk.storage.lock import InstanceLock


def test_a_second_process_is_refused_and_told_who_holds_the_database(
        tmp_path: Path, lock_holder: Callable[..., Any]) -> None:
    db_path = tmp_path / "work.sqlite"
    holder = lock_holder(db_path, "gui")
    with pytest.raises(DatabaseLockedError) as caught:
        InstanceLock(db_path, "demo").acquire()
    message = str(caught.value)
    assert f"pid {holder.pid}" in message
    assert "gui" in message
    assert str(db_path) in message


def test_the_lock_is_free_again_when_the_holder_exits(
        tmp_path: Path, lock_holder: Callable[..., Any]) -> None:
    db_path = tmp_path / "work.sqlite"
    holder = lock_holder(db_path, "gui")
    holder.stop()
    with InstanceLock(db_path, "demo") as lock:
        assert lock.path.exists()


@pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL is POSIX")
def test_the_lock_is_released_when_the_holder_is_killed(
        tmp_path: Path, lock_holder: Callable[..., Any]) -> None:
    db_path = tmp_path / "work.sqlite"
    holder = lock_holder(db_path, "sync")
    with pytest.raises(DatabaseLockedError):
        InstanceLock(db_path, "demo").acquire()
    holder.kill()  # no release(), no atexit: a crash
    lock = InstanceLock(db_path, "demo").acquire()  # no stale lock to clean up
    try:
        assert f'"pid": {os.getpid()}' in lock.path.read_text("utf-8")
    finally:
        lock.release()


def test_release_lets_the_next_one_in_and_is_idempotent(tmp_path: Path) -> None:
    db_path = tmp_path / "work.sqlite"
    first = InstanceLock(db_path, "gui").acquire()
    first.release()
    first.release()
    second = InstanceLock(db_path, "cli").acquire()
    second.release()


def test_the_lock_file_names_its_holder_for_the_next_one(tmp_path: Path) -> None:
    db_path = tmp_path / "work.sqlite"
    with InstanceLock(db_path, "gui") as lock:
        text = lock.path.read_text("utf-8")
        assert '"purpose": "gui"' in text
        assert f'"pid": {os.getpid()}' in text
    assert lock.path.read_text("utf-8") == ""  # released: no holder named any more
