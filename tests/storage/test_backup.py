"""Backups: a consistent copy before anything risky, the last five kept, others' left alone."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

from ppcdesk.core.clock import FixedClock
from ppcdesk.storage.backup import KEEP, backup
from ppcdesk.storage.db import Database


def small_db(path: Path, rows: int = 3) -> Path:
    conn = sqlite3.connect(path)
    with conn:
        conn.execute("CREATE TABLE t (n INTEGER)")
        conn.executemany("INSERT INTO t VALUES (?)", [(i,) for i in range(rows)])
    conn.close()
    return path


def rows_in(path: Path) -> int:
    conn = sqlite3.connect(path)
    try:
        return int(conn.execute("SELECT COUNT(*) FROM t").fetchone()[0])
    finally:
        conn.close()


def test_a_backup_is_a_readable_copy(tmp_path: Path) -> None:
    db = small_db(tmp_path / "work.sqlite", rows=7)
    clock = FixedClock(datetime(2026, 11, 20, 12, tzinfo=UTC))
    taken = backup(db, tmp_path / "backups", "before-0002", clock=clock)
    assert taken is not None
    assert taken.name == "work-20261120T120000000000Z-before-0002.sqlite"
    assert rows_in(taken) == 7
    assert not list((tmp_path / "backups").glob("*.partial"))


def test_nothing_to_protect_means_no_backup(tmp_path: Path) -> None:
    assert backup(tmp_path / "missing.sqlite", tmp_path / "backups", "x") is None
    (tmp_path / "empty.sqlite").touch()
    assert backup(tmp_path / "empty.sqlite", tmp_path / "backups", "x") is None
    assert not (tmp_path / "backups").exists()


def test_rotation_keeps_the_last_five(tmp_path: Path) -> None:
    db = small_db(tmp_path / "work.sqlite")
    clock = FixedClock(datetime(2026, 11, 20, tzinfo=UTC))
    taken = []
    for _ in range(KEEP + 3):
        taken.append(backup(db, tmp_path / "backups", "before-import", clock=clock))
        clock.advance(timedelta(minutes=1))
    assert KEEP == 5
    assert sorted((tmp_path / "backups").iterdir()) == taken[-5:]


def test_backups_in_the_same_instant_do_not_overwrite_each_other(tmp_path: Path) -> None:
    db = small_db(tmp_path / "work.sqlite")
    clock = FixedClock(datetime(2026, 11, 20, tzinfo=UTC))  # never advanced
    taken = [backup(db, tmp_path / "backups", "before-import", clock=clock) for _ in range(3)]
    assert len(set(taken)) == 3
    assert sorted((tmp_path / "backups").iterdir()) == taken  # and still in order


def test_rotation_leaves_other_databases_backups_alone(tmp_path: Path) -> None:
    clock = FixedClock(datetime(2026, 11, 20, tzinfo=UTC))
    demo = small_db(tmp_path / "demo.sqlite")
    demo2 = small_db(tmp_path / "demo-2.sqlite")
    theirs = [backup(demo2, tmp_path / "backups", "x", clock=clock) for _ in range(KEEP)]
    for _ in range(KEEP + 2):
        backup(demo, tmp_path / "backups", "x", clock=clock)
    assert all(path is not None and path.exists() for path in theirs)
    assert len(list((tmp_path / "backups").glob("demo-2-*.sqlite"))) == KEEP


def test_a_backup_includes_what_is_still_in_the_write_ahead_log(tmp_path: Path) -> None:
    db = Database(tmp_path / "wal.sqlite")
    try:
        with db.write() as conn:
            conn.exec_driver_sql("CREATE TABLE t (n INTEGER)")
            conn.exec_driver_sql("INSERT INTO t VALUES (1), (2)")
        with db.read() as conn:  # keeps the WAL from being folded back on close
            taken = backup(db.path, tmp_path / "backups", "check")
            assert conn.exec_driver_sql("SELECT COUNT(*) FROM t").scalar_one() == 2
    finally:
        db.dispose()
    assert taken is not None
    assert rows_in(taken) == 2
