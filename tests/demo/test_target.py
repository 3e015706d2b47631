"""Where a demo may go, and that the database changes completely or not at all."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from demo_support import CALLS, END, count, demo, dump, new_database, query
from ppcdesk.core.progress import Progress, run_job
from ppcdesk.demo import target
from ppcdesk.demo.job import DemoTargetError, write_demo
from ppcdesk.demo.target import check_foreign_keys
from ppcdesk.storage import models as m
from sqlalchemy import insert

WORKSPACE = {"id": 1, "name": "Acme Calls", "role": "publisher",
             "timezone": "America/Chicago", "currency": "USD", "created_at": 1_790_000_000}


def real_workspace(path: Path) -> None:
    db = new_database(path)
    with db.write() as conn:
        conn.execute(insert(m.WorkspaceInfo).values(**WORKSPACE, is_demo=False))
    db.dispose()


def test_a_real_workspace_is_refused_and_left_untouched(tmp_path: Path) -> None:
    path = tmp_path / "main.sqlite"
    real_workspace(path)
    before = dump(path)
    with pytest.raises(DemoTargetError, match=r"holds a real workspace.*choose another --db"):
        demo(path, calls=2_000)
    assert dump(path) == before
    with pytest.raises(DemoTargetError, match="real workspace"):  # --replace does not help
        demo(path, calls=2_000, replace=True)
    assert dump(path) == before


def test_a_demo_is_not_overwritten_without_replace(tmp_path: Path) -> None:
    path = tmp_path / "demo.sqlite"
    demo(path, calls=2_000, seed=1)
    before = dump(path)
    with pytest.raises(DemoTargetError, match="add --replace"):
        demo(path, calls=3_000, seed=2)
    assert dump(path) == before


@pytest.mark.parametrize("calls", [3_000, CALLS])
def test_replace_regenerates_the_demo_as_if_new(tmp_path: Path, calls: int) -> None:
    path = tmp_path / "demo.sqlite"
    demo(path, seed=1)
    changes = demo(path, calls=calls, seed=2, replace=True)
    assert changes.counts["calls"] == count(path, "calls") == calls
    demo(tmp_path / "fresh.sqlite", calls=calls, seed=2)
    assert dump(path) == dump(tmp_path / "fresh.sqlite")
    assert query(path, "PRAGMA foreign_key_check") == []


def _cancel_after_first_store(path: Path, *, replace: bool = False) -> None:
    db = new_database(path)
    job = write_demo(db, calls=CALLS, seed=3, end=END, replace=replace)
    try:
        for progress in job:
            if progress.message.startswith("Stored"):  # inside the write transaction
                break
    finally:
        job.close()  # what the job runner's Cancel does
        db.dispose()


def test_a_cancelled_demo_leaves_the_database_without_calls(tmp_path: Path) -> None:
    path = tmp_path / "demo.sqlite"
    new_database(path).dispose()
    before = dump(path)
    _cancel_after_first_store(path)
    assert count(path, "calls") == 0
    assert dump(path) == before
    assert query(path, "PRAGMA journal_mode") == [("wal",)]
    assert not path.with_name(path.name + "-journal").exists()
    demo(path, calls=2_000)  # and a demo can be written afterwards
    assert count(path, "calls") == 2_000


def test_a_cancelled_replace_keeps_the_old_demo(tmp_path: Path) -> None:
    path = tmp_path / "demo.sqlite"
    demo(path, calls=2_000, seed=1)
    before = dump(path)
    _cancel_after_first_store(path, replace=True)
    assert dump(path) == before


def test_a_database_open_elsewhere_gets_the_demo_through_wal(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(target, "PATIENCE_S", 0.1)
    path = tmp_path / "demo.sqlite"
    new_database(path).dispose()
    reader = sqlite3.connect(path)  # another connection keeps the file open (and readable)
    try:
        reader.execute("SELECT COUNT(*) FROM calls").fetchone()
        demo(path, calls=2_000, seed=4)
        assert reader.execute("SELECT COUNT(*) FROM calls").fetchone() == (2_000,)
    finally:
        reader.close()
    demo(tmp_path / "alone.sqlite", calls=2_000, seed=4)
    assert dump(path) == dump(tmp_path / "alone.sqlite")  # the same demo either way


CRASH = textwrap.dedent("""
    import os, sys
    from datetime import date
    from ppcdesk.demo.job import write_demo
    from ppcdesk.storage.db import Database
    job = write_demo(Database(sys.argv[1]), calls=20_000, seed=5, end=date(2026, 11, 20))
    for progress in job:
        if progress.done >= 10_000:  # half stored, inside the transaction
            os._exit(9)  # no clean-up of any kind: as if the power went
""")


def test_a_crash_in_the_middle_leaves_the_database_as_it_was(tmp_path: Path) -> None:
    path = tmp_path / "demo.sqlite"
    new_database(path).dispose()
    before = dump(path)
    crashed = subprocess.run([sys.executable, "-c", CRASH, str(path)], check=False,
                             capture_output=True, text=True, timeout=120)
    assert crashed.returncode == 9, crashed.stderr
    assert path.with_name(path.name + "-journal").exists()  # the hot journal
    assert dump(path) == before  # reading rolls it back first
    assert query(path, "PRAGMA integrity_check") == [("ok",)]
    demo(path, calls=2_000)
    assert count(path, "calls") == 2_000


def test_negative_call_counts_are_refused(tmp_path: Path) -> None:
    db = new_database(tmp_path / "demo.sqlite")
    with pytest.raises(DemoTargetError, match="0 or more"):
        run_job(write_demo(db, calls=-1, seed=1, end=END))
    db.dispose()


def test_a_demo_without_calls_is_only_the_cast(tmp_path: Path) -> None:
    path = tmp_path / "demo.sqlite"
    changes = demo(path, calls=0)
    assert changes.counts == {"calls": 0, "legs": 0, "recordings": 0, "spend": 0,
                              "dispositions": 0, "notes": 0, "reviews": 0}
    assert count(path, "campaigns") == 5
    assert count(path, "calls") == count(path, "dispositions") == 0


def test_progress_reaches_the_total(tmp_path: Path) -> None:
    db = new_database(tmp_path / "demo.sqlite")
    seen: list[Progress] = []
    run_job(write_demo(db, calls=CALLS, seed=1, end=END), on_progress=seen.append)
    db.dispose()
    stored = [p.done for p in seen if p.message.startswith("Stored")]
    assert stored == sorted(stored)
    assert len(stored) > 3  # a cancel is never far away
    assert stored[-1] == CALLS
    assert all(p.total == CALLS for p in seen)


def test_a_load_with_the_keys_off_still_refuses_orphans(tmp_path: Path) -> None:
    # A replace empties the old demo with foreign keys off; the new rows are checked at the end.
    db = new_database(tmp_path / "demo.sqlite")
    with db.write() as conn:
        conn.exec_driver_sql("PRAGMA defer_foreign_keys = ON")
        conn.exec_driver_sql(
            "INSERT INTO call_legs (sid, call_sid, from_number, to_number, status, direction, "
            "duration_s) VALUES ('CL1', 'CA-missing', '+1', '+1', 'busy', 'outbound-dial', 0)")
        with pytest.raises(sqlite3.IntegrityError, match="call_legs row 1 points at a missing"):
            check_foreign_keys(conn)
        conn.rollback()
    db.dispose()
