"""The database handle: WAL mode, foreign keys, one write lane, jobs that roll back on cancel."""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path

import pytest
import sqlalchemy.exc
from ppcdesk.core.progress import CancelledError, Job, Progress, run_job
from ppcdesk.storage import migrate
from ppcdesk.storage.db import Database, raw_connect

THREAD_TIMEOUT = 30  # seconds; only reached when something is broken


def test_every_connection_runs_in_wal_mode_with_foreign_keys(sqlite_db: Database) -> None:
    db = sqlite_db
    with db.read() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar_one() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar_one() == 1
    with db.write() as conn:
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar_one() == 1
    raw = raw_connect(db.path)
    try:
        assert raw.execute("PRAGMA foreign_keys").fetchone() == (1,)
    finally:
        raw.close()


def test_foreign_keys_are_enforced(db: Database) -> None:
    with pytest.raises(sqlalchemy.exc.IntegrityError), db.write() as conn:
        conn.exec_driver_sql(
            "INSERT INTO tracking_numbers (e164, friendly_name, campaign_id, "
            "monthly_cost_micros, status) VALUES ('+18005550100', '', 999, 0, 'active')")
    with db.read() as conn:
        assert conn.exec_driver_sql("SELECT COUNT(*) FROM tracking_numbers").scalar_one() == 0


def test_a_write_without_key_checks_is_checked_again_after_it(sqlite_db: Database) -> None:
    """``foreign_keys=False`` (the whole-workspace evaluation's) lasts one transaction: the
    pooled connection checks keys again after it, even when it failed."""
    db = sqlite_db
    orphan = ("INSERT INTO tracking_numbers (e164, friendly_name, campaign_id, "
              "monthly_cost_micros, status) VALUES ('+18005550100', '', 999, 0, 'active')")
    def unchecked_then_fail() -> None:
        with db.write(bulk=True, foreign_keys=False) as conn:
            assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar_one() == 0
            conn.exec_driver_sql(orphan)  # not refused: its writer vouches for its keys
            raise RuntimeError("stop")

    def checked() -> None:
        with db.write() as conn:
            assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar_one() == 1
            conn.exec_driver_sql(orphan)

    with pytest.raises(RuntimeError):
        unchecked_then_fail()
    for _ in range(3):  # whichever pooled connection comes next
        with pytest.raises(sqlalchemy.exc.IntegrityError):
            checked()
    with db.read() as conn:
        assert conn.exec_driver_sql("SELECT COUNT(*) FROM tracking_numbers").scalar_one() == 0


def test_a_bulk_write_leaves_its_checkpoint_to_a_helper_thread(sqlite_db: Database) -> None:
    """The pages of a large load reach the file after the commit, not in it, and soon."""
    db = sqlite_db
    assert db.path is not None
    migrate.upgrade(db)
    before = db.path.stat().st_size
    with db.write(bulk=True) as conn:
        assert conn.exec_driver_sql("PRAGMA wal_autocheckpoint").scalar_one() == 0
        conn.exec_driver_sql("CREATE TABLE filler (x TEXT)")
        conn.exec_driver_sql("INSERT INTO filler SELECT hex(randomblob(500)) "
                             "FROM (WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 "
                             "FROM n WHERE i < 8000) SELECT i FROM n)")
    db.settle()
    assert db.path.stat().st_size - before > 6_000_000  # checkpointed into the file
    with db.write() as conn:  # and the pooled connection checkpoints by itself again
        assert conn.exec_driver_sql("PRAGMA wal_autocheckpoint").scalar_one() == 1000


def run_threads(*targets: Callable[[], None]) -> list[BaseException]:
    errors: list[BaseException] = []

    def guarded(target: Callable[[], None]) -> None:
        try:
            target()
        except BaseException as exc:  # noqa: BLE001 - reported to the test thread
            errors.append(exc)

    threads = [threading.Thread(target=guarded, args=(t,)) for t in targets]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(THREAD_TIMEOUT)
        assert not thread.is_alive(), "a writer never finished: the write lane deadlocked"
    return errors


def test_two_writers_at_once_take_turns(db: Database) -> None:
    """The second writer waits for the first to commit; their statements never interleave."""
    events: list[str] = []
    a_inside, b_waiting, b_inside = threading.Event(), threading.Event(), threading.Event()

    def writer_a() -> None:
        with db.write() as conn:
            events.append("A begins")
            a_inside.set()
            assert b_waiting.wait(THREAD_TIMEOUT)
            # B asked for the lane; if it got in now, the lane would be broken.
            assert not b_inside.wait(0.3), "B wrote while A's transaction was open"
            conn.exec_driver_sql("INSERT INTO campaigns (name, vertical, timezone, created_at) "
                                 "VALUES ('A', '', 'UTC', 0)")
            events.append("A commits")

    def writer_b() -> None:
        assert a_inside.wait(THREAD_TIMEOUT)
        b_waiting.set()
        with db.write() as conn:
            b_inside.set()
            events.append("B begins")
            conn.exec_driver_sql("INSERT INTO campaigns (name, vertical, timezone, created_at) "
                                 "VALUES ('B', '', 'UTC', 0)")
            events.append("B commits")

    assert run_threads(writer_a, writer_b) == []
    assert events == ["A begins", "A commits", "B begins", "B commits"]


@pytest.mark.parametrize("handles", ["one handle", "a handle per thread"])
def test_concurrent_read_modify_write_never_hits_database_is_locked(
        db: Database, tmp_path: Path, handles: str) -> None:
    """Four threads increment one counter 25 times each: exactly 100, no SQLITE_BUSY."""
    with db.write() as conn:
        conn.exec_driver_sql("CREATE TABLE counter (n INTEGER)")
        conn.exec_driver_sql("INSERT INTO counter VALUES (0)")
    dbs = [db] * 4 if handles == "one handle" else [Database(db.target) for _ in range(4)]

    def increment(handle: Database) -> Callable[[], None]:
        def work() -> None:
            for _ in range(25):
                with handle.write() as conn:
                    n = conn.exec_driver_sql("SELECT n FROM counter").scalar_one()
                    conn.exec_driver_sql("UPDATE counter SET n = ?", (n + 1,))
        return work

    try:
        errors = run_threads(*(increment(h) for h in dbs))
    finally:
        for handle in dbs:
            if handle is not db:
                handle.dispose()
    assert errors == []
    with db.read() as conn:
        assert conn.exec_driver_sql("SELECT n FROM counter").scalar_one() == 100


def test_a_reader_sees_a_consistent_snapshot_beside_a_writer(db: Database) -> None:
    with db.write() as conn:
        conn.exec_driver_sql("INSERT INTO campaigns (name, vertical, timezone, created_at) "
                             "VALUES ('before', '', 'UTC', 0)")
    with db.read() as reader:
        assert reader.exec_driver_sql("SELECT COUNT(*) FROM campaigns").scalar_one() == 1
        with db.write() as writer:  # WAL: the write does not wait for the reader
            writer.exec_driver_sql("INSERT INTO campaigns (name, vertical, timezone, "
                                   "created_at) VALUES ('during', '', 'UTC', 0)")
        assert reader.exec_driver_sql("SELECT COUNT(*) FROM campaigns").scalar_one() == 1
    with db.read() as conn:
        assert conn.exec_driver_sql("SELECT COUNT(*) FROM campaigns").scalar_one() == 2


def insert_campaigns(db: Database, names: list[str]) -> Job[int]:
    with db.write() as conn:
        for i, name in enumerate(names):
            conn.exec_driver_sql("INSERT INTO campaigns (name, vertical, timezone, created_at) "
                                 "VALUES (?, '', 'UTC', 0)", (name,))
            yield Progress(i + 1, len(names), name)
    return len(names)


def test_a_cancelled_write_job_leaves_nothing_behind(db: Database) -> None:
    seen: list[Progress] = []
    with pytest.raises(CancelledError):
        run_job(insert_campaigns(db, ["a", "b", "c", "d"]), on_progress=seen.append,
                should_cancel=lambda: len(seen) == 2)
    with db.read() as conn:
        assert conn.exec_driver_sql("SELECT COUNT(*) FROM campaigns").scalar_one() == 0
    # The write lane is free again at once: the next job runs and commits.
    assert run_job(insert_campaigns(db, ["e"])) == 1
    with db.read() as conn:
        assert conn.exec_driver_sql("SELECT name FROM campaigns").scalar_one() == "e"


def test_a_failed_write_rolls_back(db: Database) -> None:
    def insert_then_fail() -> None:
        with db.write() as conn:
            conn.exec_driver_sql("INSERT INTO campaigns (name, vertical, timezone, created_at) "
                                 "VALUES ('x', '', 'UTC', 0)")
            raise RuntimeError("stop")

    with pytest.raises(RuntimeError):
        insert_then_fail()
    with db.read() as conn:
        assert conn.exec_driver_sql("SELECT COUNT(*) FROM campaigns").scalar_one() == 0


def test_a_database_handle_opens_lazily(tmp_path: Path) -> None:
    db = Database(tmp_path / "lazy.sqlite")
    assert not db.path.exists()  # nothing is created until it is used
    migrate.upgrade(db)
    assert db.path.exists()
    db.dispose()
