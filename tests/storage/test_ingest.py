"""Upserts by the provider's sid: re-syncing the same window changes nothing; changes land once."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ppcdesk.storage import ingest
from ppcdesk.storage.db import Database

Factory = Callable[..., tuple[Any, ...]]


def table(db: Database, sql: str) -> list[tuple[Any, ...]]:
    with db.read() as conn:
        return [tuple(row) for row in conn.exec_driver_sql(sql)]


def test_upserting_the_same_calls_twice_changes_nothing(db: Database, call_row: Factory) -> None:
    rows = [call_row(f"CA{i}", 1_795_000_000 + i * 60) for i in range(5)]
    with db.write() as conn:
        assert ingest.upsert_calls(conn, rows) == 5
    before = table(db, "SELECT * FROM calls ORDER BY id")
    with db.write() as conn:
        assert ingest.upsert_calls(conn, rows) == 0  # nothing written
    assert table(db, "SELECT * FROM calls ORDER BY id") == before  # not even updated_at


def test_a_changed_status_or_cost_updates_only_that_call(
        db: Database, call_row: Factory) -> None:
    with db.write() as conn:
        ingest.upsert_calls(conn, [
            call_row("CA1", status="in-progress", cost_micros=None, updated_at=100),
            call_row("CA2", updated_at=100),
        ])
    with db.write() as conn:
        written = ingest.upsert_calls(conn, [
            call_row("CA1", status="completed", cost_micros=17_000, updated_at=200),  # rated
            call_row("CA2", updated_at=200),  # unchanged but for the sync's own stamp
        ])
    assert written == 1
    assert table(db, "SELECT sid, status, cost_micros, updated_at FROM calls ORDER BY sid") == [
        ("CA1", "completed", 17_000, 200),
        ("CA2", "completed", 8_500, 100),
    ]
    assert table(db, "SELECT COUNT(*) FROM calls") == [(2,)]  # updated in place, not added


def test_a_value_becoming_null_is_a_change_too(db: Database, call_row: Factory) -> None:
    with db.write() as conn:
        ingest.upsert_calls(conn, [call_row("CA1", buyer_id=None, time_to_answer_s=9)])
        assert ingest.upsert_calls(conn, [call_row("CA1", time_to_answer_s=None)]) == 1
    assert table(db, "SELECT time_to_answer_s FROM calls") == [(None,)]


def test_legs_upsert_idempotently_even_before_their_call(
        db: Database, call_row: Factory, leg_row: Factory) -> None:
    with db.write() as conn:
        # The leg arrives first in the same transaction; the foreign key is checked at commit.
        assert ingest.upsert_legs(conn, [leg_row("CL1", "CA1")]) == 1
        ingest.upsert_calls(conn, [call_row("CA1")])
    with db.write() as conn:
        assert ingest.upsert_legs(conn, [leg_row("CL1", "CA1")]) == 0
        assert ingest.upsert_legs(conn, [leg_row("CL1", "CA1", status="busy")]) == 1
    assert table(db, "SELECT sid, call_sid, status FROM call_legs") == [("CL1", "CA1", "busy")]


def test_a_recordings_downloaded_audio_survives_a_resync(
        db: Database, call_row: Factory, recording_row: Factory) -> None:
    with db.write() as conn:
        ingest.upsert_calls(conn, [call_row("CA1")])
        ingest.upsert_recordings(conn, [recording_row("RE1", "CA1")])
    with db.write() as conn:  # the recordings cache downloads the audio
        conn.exec_driver_sql(
            "UPDATE recordings SET file_state = 'cached', local_path = 'ab/RE1.mp3', "
            "size_bytes = 48213, sha256 = 'abc123' WHERE sid = 'RE1'")
    with db.write() as conn:  # the provider still reports it as it always did
        assert ingest.upsert_recordings(conn, [recording_row("RE1", "CA1")]) == 0
    with db.write() as conn:  # and a real change from the provider lands without losing it
        assert ingest.upsert_recordings(
            conn, [recording_row("RE1", "CA1", status="deleted", duration_s=56)]) == 1
    assert table(db, "SELECT status, duration_s, file_state, local_path, size_bytes, sha256 "
                     "FROM recordings") == [("deleted", 56, "cached", "ab/RE1.mp3", 48213,
                                             "abc123")]


def test_an_empty_batch_writes_nothing(db: Database) -> None:
    with db.write() as conn:
        assert ingest.upsert_calls(conn, []) == 0
        assert ingest.upsert_legs(conn, []) == 0
        assert ingest.upsert_recordings(conn, []) == 0
