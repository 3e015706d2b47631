"""What a demo year holds: each thing a later feature (rules, KPIs, the player) must find."""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

import pytest
from demo_support import CALLS, END, Rows, count, new_database, query
from ppcdesk.app import cli
from ppcdesk.config.paths import resources_dir
from ppcdesk.core.phone import state_of
from ppcdesk.demo.cast import AREA_CODES, CLIPS
from ppcdesk.storage import ingest
from ppcdesk.telephony.sync_store import derive_facts


def run_cli(capsys: pytest.CaptureFixture[str], *args: str) -> dict[str, object]:
    assert cli.main([*args, "--json"]) == 0
    result: dict[str, object] = json.loads(capsys.readouterr().out)
    return result


def test_the_counts_are_what_the_command_reports(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "demo.sqlite"
    reported = run_cli(capsys, "--db", str(path), "demo", "--calls", "4000", "--seed", "5",
                       "--end", END.isoformat())
    stored = {name: count(path, table) for name, table in (
        ("calls", "calls"), ("legs", "call_legs"), ("recordings", "recordings"),
        ("spend", "media_spend"), ("dispositions", "dispositions"), ("notes", "call_notes"),
        ("reviews", "call_reviews"))}
    assert {name: reported[name] for name in stored} == stored
    assert stored["calls"] == 4000
    assert stored["legs"] > stored["dispositions"] > stored["reviews"] > stored["notes"] > 0
    info = run_cli(capsys, "--db", str(path), "info")
    assert {name: info[name] for name in ("calls", "legs", "recordings")} == {
        name: stored[name] for name in ("calls", "legs", "recordings")}


def test_one_call_in_ten_to_one_in_five_comes_from_a_repeat_caller(
        demo_db: Path) -> None:
    callers = [c for (c,) in query(demo_db, "SELECT caller FROM calls ORDER BY started_at, id")]
    seen: set[str] = set()
    repeats = 0
    for caller in callers:
        if caller != "anonymous":
            repeats += caller in seen
            seen.add(caller)
    assert 0.10 <= repeats / len(callers) <= 0.20


def test_forwards_go_unanswered_busy_and_failed_too(demo_db: Path) -> None:
    statuses: dict[str, int] = dict(
        query(demo_db, "SELECT status, COUNT(*) FROM call_legs GROUP BY status"))
    assert set(statuses) == {"completed", "no-answer", "busy", "failed"}
    assert statuses["no-answer"] > statuses["busy"] > statuses["failed"] > 0


def test_apex_hangs_up_just_before_the_90_second_buffer(demo_db: Path) -> None:
    def answered_by_apex(low: int, high: int) -> int:
        return int(query(
            demo_db, "SELECT COUNT(*) FROM calls JOIN buyers b ON b.id = calls.buyer_id "
            "WHERE b.name = 'Apex Auto Insurance Group' AND connected_s BETWEEN ? AND ?",
            low, high)[0][0])

    before, after = answered_by_apex(75, 89), answered_by_apex(90, 104)
    assert before > 3 * after > 0


def test_clicksurge_sends_far_more_short_calls_than_anyone(demo_db: Path) -> None:
    rates: dict[str, float] = dict(query(
        demo_db, "SELECT p.name, AVG(connected_s < 90) FROM calls "
        "JOIN publishers p ON p.id = calls.publisher_id WHERE buyer_id IS NOT NULL "
        "GROUP BY p.name"))
    junk = rates.pop("ClickSurge Network")
    assert junk > 1.4 * max(rates.values())


@pytest.mark.parametrize(("code", "state"), [(code, state) for code, state, _ in AREA_CODES])
def test_every_demo_area_code_lies_in_its_state(code: str, state: str) -> None:
    # The sync derives a caller's state with state_of: demo callers must agree with it.
    assert state_of(f"+1{code}2345678") == state


def test_recordings_play_files_that_ship_with_ppcdesk(demo_db: Path) -> None:
    files = query(demo_db, "SELECT DISTINCT local_path, size_bytes, sha256 FROM recordings")
    assert {path for path, _size, _digest in files} == set(CLIPS)
    for path, size, digest in files:
        data = (resources_dir() / path).read_bytes()  # it exists, and it is that file
        assert (size, digest) == (len(data), hashlib.sha256(data).hexdigest()), path
    states = query(demo_db, "SELECT DISTINCT file_state, status FROM recordings")
    assert states == [("bundled", "completed")]


def _columns(db: Path, pattern: str) -> list[tuple[str, str]]:
    tables = [t for (t,) in query(db, "SELECT name FROM sqlite_master WHERE type = 'table' "
                                      "AND name NOT LIKE 'sqlite_%'")]
    return [(table, column) for table in tables
            for (_cid, column, *_rest) in query(db, f'PRAGMA table_info("{table}")')
            if re.search(pattern, column)]


@pytest.mark.parametrize(("pattern", "kind"), [
    (r"_at$", "UTC epoch seconds"),
    (r"_micros$", "integer micros"),
    (r"^duration_s$|^connected_s$|^time_to_answer_s$", "whole seconds"),
])
def test_times_and_money_are_integers(demo_db: Path, pattern: str,
                                      kind: str) -> None:
    columns = _columns(demo_db, pattern)
    assert columns, kind
    for table, column in columns:
        types = {t for (t,) in query(demo_db, f'SELECT DISTINCT typeof("{column}") FROM "{table}"')}
        assert types <= {"integer", "null"}, f"{table}.{column} should hold {kind}: {types}"


def test_times_fall_in_the_year_that_ends_on_the_end_day(demo_db: Path) -> None:
    first, last = query(demo_db, "SELECT MIN(started_at), MAX(ended_at) FROM calls")[0]
    year_start = 1_763_701_200  # 2025-11-21 00:00 in New York (EST)
    year_end = 1_795_237_200  # 2026-11-21 00:00 in New York (EST)
    assert year_start - 12 * 3600 <= first
    assert last <= year_end + 14 * 3600  # the latest zone (Hawaii is not a campaign zone)


def test_the_workspace_says_it_is_a_demo(demo_db: Path) -> None:
    assert query(demo_db, "SELECT name, is_demo FROM workspace") == [("Demo workspace", 1)]
    summary = json.loads(query(demo_db, "SELECT summary FROM sync_runs WHERE kind = 'demo'")[0][0])
    assert summary["calls"] == CALLS
    assert summary["end"] == END.isoformat()


def test_the_database_is_whole_and_in_wal_mode(demo_db: Path) -> None:
    assert query(demo_db, "PRAGMA integrity_check") == [("ok",)]
    assert query(demo_db, "PRAGMA foreign_key_check") == []
    assert query(demo_db, "PRAGMA journal_mode") == [("wal",)]
    assert not demo_db.with_name(demo_db.name + "-journal").exists()


def test_every_index_of_the_schema_is_there_after_the_load(
        demo_db: Path, tmp_path: Path) -> None:
    fresh = tmp_path / "fresh.sqlite"
    new_database(fresh).dispose()
    def indexes(db: Path) -> Rows:
        return query(db, "SELECT name, sql FROM sqlite_master WHERE type = 'index' ORDER BY name")

    assert indexes(demo_db) == indexes(fresh)
    assert query(demo_db, "SELECT COUNT(*) FROM sqlite_stat1")[0][0] > 0  # analysed


def test_a_calls_answer_facts_are_what_the_sync_derives_from_its_legs(demo_db: Path) -> None:
    # Stored as Twilio reports a child leg (start = dialled, duration = talk), the legs give
    # back each call's talk time, time to answer, buyer and leg charges as a sync would.
    legs: dict[str, list[tuple[object, ...]]] = {}
    for row in query(demo_db, f"SELECT {', '.join(ingest.LEG_COLUMNS)} FROM call_legs"):
        legs.setdefault(str(row[1]), []).append(row)
    calls = query(demo_db, "SELECT sid, started_at, connected_s, time_to_answer_s, buyer_id, "
                           "legs_cost_micros FROM calls")
    assert sum(len(v) for v in legs.values()) > len(calls) / 2
    for sid, started, connected, answer, buyer, cost in calls:
        if sid not in legs:
            assert (connected, answer, buyer) == (0, None, None), sid
            continue
        talk, answered_start, leg_buyer, leg_cost = derive_facts(legs[sid])[sid]
        derived_answer = None if answered_start is None else answered_start - started
        assert (connected, answer, buyer, cost) == (talk, derived_answer, leg_buyer,
                                                     leg_cost), sid


def test_forwarded_legs_ring_before_they_are_answered_or_given_up(demo_db: Path) -> None:
    rings: dict[str, tuple[int, int, int]] = {
        status: (int(low), int(high), int(n)) for status, low, high, n in query(
            demo_db, "SELECT status, MIN(ended_at - started_at - duration_s), "
            "MAX(ended_at - started_at - duration_s), COUNT(*) FROM call_legs GROUP BY status")}
    assert rings["completed"][0] > 0  # every answered leg rang first
    assert rings["no-answer"][:2] == (30, 30)  # rang out
    assert query(demo_db, "SELECT COUNT(*) FROM call_legs WHERE status <> 'completed' "
                          "AND duration_s <> 0") == [(0,)]  # nobody talked
    # A call's legs lie within it, and its recording starts when the buyer picked up.
    assert query(demo_db, "SELECT COUNT(*) FROM call_legs l JOIN calls c ON c.sid = l.call_sid "
                          "WHERE l.started_at < c.started_at OR l.ended_at > c.ended_at") == [
        (0,)]
    assert query(demo_db, "SELECT COUNT(*) FROM recordings r JOIN calls c ON c.sid = r.call_sid "
                          "JOIN call_legs l ON l.call_sid = c.sid AND l.status = 'completed' "
                          "WHERE r.started_at <> l.ended_at - l.duration_s "
                          "OR r.duration_s <> c.connected_s") == [(0,)]


def test_a_recording_plays_its_campaigns_clip_and_short_calls_the_hang_up(
        demo_db: Path) -> None:
    clips = dict(query(demo_db, "SELECT g.name, GROUP_CONCAT(DISTINCT r.local_path) "
                                "FROM recordings r JOIN calls c ON c.sid = r.call_sid "
                                "JOIN campaigns g ON g.id = c.campaign_id "
                                "WHERE r.duration_s >= 30 GROUP BY g.name"))
    assert clips["Medicare Advantage"] == "demo_audio/clip_4.wav"
    assert clips["Auto Insurance"] == "demo_audio/clip_1.mp3"
    assert clips["HVAC Repair"] == clips["Pest Control"] == "demo_audio/clip_2.mp3"
    assert query(demo_db, "SELECT DISTINCT local_path FROM recordings WHERE duration_s < 30"
                 ) == [("demo_audio/clip_3.mp3",)]
