"""Copying a workspace between SQLite and PostgreSQL: everything arrives, or nothing does."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from ppcdesk.core.progress import CancelledError, Progress, run_job
from ppcdesk.demo.job import write_demo
from ppcdesk.storage import copy, migrate
from ppcdesk.storage.copy import CopyReport, DestinationNotEmptyError, WorkspaceCopyError
from ppcdesk.storage.db import Database

pytestmark = pytest.mark.postgresql
CALLS = 2_000
BATCH = 300  # several batches per large table: the streaming path, not one fetch


@pytest.fixture(scope="module")
def demo_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 2,000-call demo workspace (calls, legs, recordings, contracts, outcomes, reviews)."""
    path = tmp_path_factory.mktemp("copy") / "demo.sqlite"
    db = Database(path)
    try:
        migrate.upgrade(db)
        run_job(write_demo(db, calls=CALLS, seed=3, end=date(2026, 11, 20)))
    finally:
        db.dispose()
    return path


@pytest.fixture
def source(demo_file: Path, tmp_path: Path) -> Iterator[Database]:
    """This test's own copy of the demo file (a test may spoil it)."""
    path = tmp_path / "source.sqlite"
    src, dst = sqlite3.connect(demo_file), sqlite3.connect(path)
    src.backup(dst)
    src.close()
    dst.close()
    db = Database(path)
    yield db
    db.dispose()


def sqlite_target(path: Path) -> Database:
    db = Database(path)
    migrate.upgrade(db)
    return db


def contents(path: Path) -> dict[str, list[tuple[Any, ...]]]:
    """Every table's rows, in key order, straight from the file with sqlite3."""
    conn = sqlite3.connect(path)
    try:
        return {t.name: conn.execute(
            f'SELECT * FROM "{t.name}" ORDER BY '
            + ", ".join(f'"{c.name}"' for c in t.primary_key.columns)).fetchall()
            for t in copy.tables()}
    finally:
        conn.close()


def run(job: Any) -> CopyReport:
    report: CopyReport = run_job(job)
    return report


def test_sqlite_to_postgresql_and_back_loses_nothing(source: Database, pg_url: str,
                                                     tmp_path: Path) -> None:
    server = Database(pg_url)
    back = sqlite_target(tmp_path / "back.sqlite")
    try:
        there = run(copy.copy_job(source, server, batch=BATCH))
        home = run(copy.copy_job(server, back, batch=BATCH))
    finally:
        server.dispose()
        back.dispose()
    for report in (there, home):
        assert report.committed
        assert report.mismatched == []
        assert {t.table for t in report.tables} == {t.name for t in copy.tables()}
    rows = {t.table: t.source_rows for t in there.tables}
    assert rows["calls"] == CALLS
    for table in ("call_legs", "recordings", "contracts", "call_outcomes", "dispositions",
                  "media_spend", "kpi_hourly"):
        assert rows[table] > 0, f"the demo should fill {table}, or this test proves little"
    # The same checksum on the way there and on the way back: the same rows, value for value.
    assert [(t.table, t.source_sha256) for t in there.tables] == [
        (t.table, t.destination_sha256) for t in home.tables]
    assert source.path is not None
    assert contents(tmp_path / "back.sqlite") == contents(source.path)


def test_postgresql_gets_yes_no_as_smallint_and_its_sequences_move_past_the_ids(
        source: Database, pg_url: str) -> None:
    server = Database(pg_url)
    try:
        run(copy.copy_job(source, server, batch=BATCH))
        with server.read() as conn:
            kinds = dict(conn.exec_driver_sql(
                "SELECT column_name, data_type FROM information_schema.columns "
                "WHERE table_name = 'call_outcomes'").all())
            flags = conn.exec_driver_sql(
                "SELECT DISTINCT billable FROM call_outcomes ORDER BY 1").scalars().all()
            highest = conn.exec_driver_sql("SELECT MAX(id) FROM calls").scalar()
        assert kinds["billable"] == "smallint"
        assert flags == [0, 1]
        with server.write() as conn:  # a new row after the copy takes the next free id
            new_id = conn.exec_driver_sql(
                "INSERT INTO campaigns (name, vertical, timezone, created_at) "
                "VALUES ('After the move', '', 'UTC', 0) RETURNING id").scalar()
            most = conn.exec_driver_sql("SELECT MAX(id) FROM campaigns WHERE id <> ?",
                                        (new_id,)).scalar()
        assert new_id == most + 1
        assert highest == CALLS
    finally:
        server.dispose()


def test_sqlite_to_sqlite(source: Database, tmp_path: Path) -> None:
    target = sqlite_target(tmp_path / "moved.sqlite")
    try:
        report = run(copy.copy_job(source, target, batch=BATCH))
    finally:
        target.dispose()
    assert report.committed
    assert report.mismatched == []
    assert source.path is not None
    assert contents(tmp_path / "moved.sqlite") == contents(source.path)


def test_a_destination_that_holds_rows_is_refused_naming_them(source: Database,
                                                              pg_url: str) -> None:
    server = Database(pg_url)
    try:
        run(copy.copy_job(source, server, batch=BATCH))
        before = copy.checksums(server)
        with pytest.raises(DestinationNotEmptyError, match=r"not empty: it holds .*2,000 calls"):
            run(copy.copy_job(source, server))
        assert copy.checksums(server) == before
        assert copy.holdings(server)["calls"] == CALLS
    finally:
        server.dispose()


def test_replace_overwrites_what_the_destination_held(source: Database, tmp_path: Path) -> None:
    target = sqlite_target(tmp_path / "old.sqlite")
    try:
        with target.write() as conn:
            conn.exec_driver_sql("INSERT INTO campaigns (id, name, vertical, timezone, created_at) "
                                "VALUES (900, 'Old stuff', '', 'UTC', 0)")
        report = run(copy.copy_job(source, target, replace=True, batch=BATCH))
    finally:
        target.dispose()
    assert report.committed
    assert source.path is not None
    assert contents(tmp_path / "old.sqlite") == contents(source.path)


def test_a_copy_failing_half_way_leaves_the_destination_empty(source: Database,
                                                              pg_url: str) -> None:
    # SQLite keeps text in an integer column; PostgreSQL refuses it. recordings is copied
    # last, so calls, legs and outcomes are already in the transaction when it fails.
    assert copy.tables()[-1].name == "recordings"
    with source.write() as conn:
        conn.exec_driver_sql("UPDATE recordings SET duration_s = 'eleven' WHERE id = "
                             "(SELECT MAX(id) FROM recordings)")
    server = Database(pg_url)
    seen: list[Progress] = []
    try:
        with pytest.raises(WorkspaceCopyError, match=r"copying table recordings failed at "
                           r"COPY recordings, line \d+, column duration_s: \"eleven\": "
                           r"invalid input syntax for type bigint"):
            run_job(copy.copy_job(source, server, batch=BATCH), on_progress=seen.append)
        assert copy.holdings(server) == {}
    finally:
        server.dispose()
    assert any(p.message == "Copying calls" for p in seen)


def test_a_cancelled_copy_from_postgresql_leaves_the_file_empty(
        pg_url: str, source: Database, tmp_path: Path) -> None:
    server = Database(pg_url)
    back = sqlite_target(tmp_path / "back.sqlite")
    steps = iter(range(1000))
    try:
        run(copy.copy_job(source, server, batch=BATCH))
        with pytest.raises(CancelledError):
            run_job(copy.copy_job(server, back, batch=BATCH),
                    should_cancel=lambda: next(steps) >= 10)
        assert copy.holdings(back) == {}
    finally:
        server.dispose()
        back.dispose()


def test_a_cancel_during_a_postgresql_copy_rolls_it_back(source: Database, pg_url: str) -> None:
    server = Database(pg_url)
    steps = iter(range(1000))
    try:
        with pytest.raises(CancelledError):
            run_job(copy.copy_job(source, server, batch=BATCH),
                    should_cancel=lambda: next(steps) >= 4)  # inside COPY calls (7 batches)
        assert copy.holdings(server) == {}
        report = run(copy.copy_job(source, server, batch=BATCH))  # and it is usable after
        assert report.committed
    finally:
        server.dispose()


def test_the_checksum_notices_one_changed_value(source: Database, pg_url: str) -> None:
    server = Database(pg_url)
    try:
        run(copy.copy_job(source, server, batch=BATCH))
        with server.write() as conn:
            conn.exec_driver_sql("UPDATE call_outcomes SET billable = 1 - billable WHERE id = 7")
        theirs, ours = copy.checksums(server), copy.checksums(source)
    finally:
        server.dispose()
    assert [t for t in ours if ours[t] != theirs[t]] == ["call_outcomes"]
    assert ours["call_outcomes"][0] == theirs["call_outcomes"][0]  # same count, other content


def test_the_same_workspace_is_not_both_ends(source: Database) -> None:
    with pytest.raises(WorkspaceCopyError, match="both the source and the destination"):
        run(copy.copy_job(source, Database(source.target)))


def test_a_destination_that_changes_rows_on_the_way_in_is_reported_and_not_kept(
        source: Database, pg_url: str) -> None:
    # A trigger someone left on the server rewrites callers: the copy "succeeds" row by row,
    # and only the read-back checksum can tell. Nothing of it may be committed.
    server = Database(pg_url)
    try:
        with server.write() as conn:
            conn.exec_driver_sql(
                "CREATE FUNCTION mangle() RETURNS trigger LANGUAGE plpgsql AS "
                "$$ BEGIN NEW.caller := 'anonymous'; RETURN NEW; END $$")
            conn.exec_driver_sql("CREATE TRIGGER mangle BEFORE INSERT ON calls "
                                 "FOR EACH ROW EXECUTE FUNCTION mangle()")
        report = run(copy.copy_job(source, server, batch=BATCH))
        assert copy.holdings(server) == {}
    finally:
        server.dispose()
    assert not report.committed
    assert report.mismatched == ["calls"]
    calls = next(t for t in report.tables if t.table == "calls")
    assert calls.source_rows == calls.destination_rows == CALLS
    assert calls.source_sha256 != calls.destination_sha256
