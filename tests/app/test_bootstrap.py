"""Opening a workspace: lock first, then migrate; a refusal leaves no lock and no connection."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from ppcdesk.app import bootstrap
from ppcdesk.config.paths import Paths
from ppcdesk.core.errors import DatabaseLockedError, MigrationError, SchemaTooNewError
from ppcdesk.storage import migrate
from ppcdesk.storage.lock import InstanceLock


@pytest.fixture
def paths(ppcdesk_home: Path) -> Paths:
    return bootstrap.setup()


def test_setup_makes_the_folders_and_the_log_under_ppcdesk_home(
        paths: Paths, ppcdesk_home: Path) -> None:
    assert paths.data.is_dir()
    assert paths.logs.is_relative_to(ppcdesk_home.resolve())


def test_a_writable_open_creates_migrates_and_locks(paths: Paths, tmp_path: Path) -> None:
    workspace = bootstrap.open_workspace(tmp_path / "w.sqlite", paths, purpose="test")
    try:
        assert migrate.current_revision(workspace.db) == migrate.head_revision()
        with pytest.raises(DatabaseLockedError, match="test"):
            InstanceLock(workspace.db.path, "second").acquire()
        assert workspace.services.is_empty()
    finally:
        workspace.close()
        workspace.close()  # closing twice is harmless
    InstanceLock(tmp_path / "w.sqlite", "after").acquire().release()  # released


def test_a_refused_database_releases_the_lock(paths: Paths, tmp_path: Path) -> None:
    path = tmp_path / "future.sqlite"
    bootstrap.open_workspace(path, paths, purpose="make").close()
    conn = sqlite3.connect(path)
    with conn:
        conn.execute("UPDATE alembic_version SET version_num = 'zzzz_newer'")
    conn.close()
    with pytest.raises(SchemaTooNewError):
        bootstrap.open_workspace(path, paths, purpose="open")
    InstanceLock(path, "after").acquire().release()  # nobody holds it


def test_a_read_only_open_refuses_what_it_cannot_read_and_creates_nothing(
        paths: Paths, tmp_path: Path) -> None:
    with pytest.raises(bootstrap.NoDatabaseError, match="does not exist"):
        bootstrap.open_workspace(tmp_path / "none.sqlite", paths, purpose="info",
                                 writable=False)
    assert not (tmp_path / "none.sqlite").exists()
    empty = tmp_path / "empty.sqlite"
    empty.touch()
    with pytest.raises(MigrationError, match="not a ppcdesk database"):
        bootstrap.open_workspace(empty, paths, purpose="info", writable=False)
    assert empty.stat().st_size == 0


def test_opening_builds_call_indexes_a_killed_first_sync_left_unbuilt(
        paths: Paths, tmp_path: Path) -> None:
    target = tmp_path / "w.sqlite"
    bootstrap.open_workspace(target, paths, purpose="test").close()
    conn = sqlite3.connect(target)
    conn.execute("DROP INDEX ix_calls_started_at")  # as a first sync does while it loads
    conn.execute("DROP INDEX ix_calls_caller_started")
    conn.commit()
    conn.close()
    workspace = bootstrap.open_workspace(target, paths, purpose="test")
    workspace.close()
    conn = sqlite3.connect(target)
    names = {n for (n,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'index'")}
    conn.close()
    assert {"ix_calls_started_at", "ix_calls_caller_started"} <= names
