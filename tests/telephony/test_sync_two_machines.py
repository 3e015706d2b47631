"""Two machines syncing the same Twilio account into one PostgreSQL workspace at once (issue 9).

Two ``ppcdesk --db postgresql://... sync`` processes, the second started while the first is
storing its calls, against one fake Twilio server started here. Each works on its own run; the
workspace must end up with every call exactly once, every leg linked to its call, and the same
rows (derived facts included) that one sync alone writes into a SQLite file.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from ppcdesk.storage.db import Database
from ppcdesk.telephony.fake_twilio import FakeTwilio

pytestmark = [pytest.mark.slow, pytest.mark.postgresql]

ACCOUNT = "AC" + "2e" * 16
TOKEN = "tok_9a41c7e2d0b85f36e1a4"  # noqa: S105 - made up
SINCE = "2025-12-31"  # the fake's generated month starts on 2026-01-01 (UTC)
CALLS = 20_000  # ~38 pages of 1000 legs: long enough for the two syncs to overlap
TIMEOUT = 300
DUMPED = {
    "calls": "sid, tracking_number_id, campaign_id, publisher_id, caller, caller_state, "
             "called, status, started_at, ended_at, duration_s, cost_micros, connected_s, "
             "time_to_answer_s, buyer_id, legs_cost_micros",
    "call_legs": "sid, call_sid, from_number, to_number, status, started_at, ended_at, "
                 "duration_s, cost_micros, buyer_id",
    "recordings": "sid, call_sid, status, duration_s, channels, cost_micros, file_state",
    "tracking_numbers": "provider_sid, e164, friendly_name, status",
    "pending_legs": "sid",
}


@pytest.fixture
def fake() -> Iterator[FakeTwilio]:
    with FakeTwilio(ACCOUNT, TOKEN) as server:
        server.generate(CALLS, seed=21)
        yield server


def environment(fake: FakeTwilio) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TWILIO_", "PPCDESK_TW"))}
    return {**env, "NO_PROXY": "127.0.0.1,localhost", "PYTHONDONTWRITEBYTECODE": "1",
            "PPCDESK_TWILIO_API_URL": fake.url, "TWILIO_ACCOUNT_SID": ACCOUNT,
            "TWILIO_AUTH_TOKEN": TOKEN}


def sync(target: str | Path, env: dict[str, str]) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "ppcdesk", "--db", str(target), "sync", "--since", SINCE,
         "--no-media", "--json"], env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, text=True)


def finished(process: subprocess.Popen[str]) -> dict[str, Any]:
    out, err = process.communicate(timeout=TIMEOUT)
    assert process.returncode == 0, err
    result: dict[str, Any] = json.loads(out)
    return result


def rows(db: Database, sql: str) -> list[tuple[Any, ...]]:
    with db.read() as conn:
        return [tuple(r) for r in conn.exec_driver_sql(sql)]


def dump(db: Database) -> dict[str, list[tuple[Any, ...]]]:
    # Sorted here, not by ORDER BY: the two back ends may collate text differently.
    return {table: sorted(rows(db, f"SELECT {cols} FROM {table}"))
            for table, cols in DUMPED.items()}


def test_two_machines_syncing_at_once_store_every_call_exactly_once(
        fake: FakeTwilio, tmp_path: Path, pg_url: str) -> None:
    env = environment(fake)
    alone = tmp_path / "alone.sqlite"
    finished(sync(alone, env))

    first = sync(pg_url, env)
    db = Database(pg_url)
    try:
        deadline = time.monotonic() + TIMEOUT
        while not rows(db, "SELECT id FROM sync_runs WHERE phase = 'calls' AND status = "
                           "'running' AND summary NOT LIKE '%\"pages\": 0,%'"):
            assert first.poll() is None, "the first sync ended before the second could start"
            assert time.monotonic() < deadline, "the first sync never stored a page"
            time.sleep(0.02)
        second = sync(pg_url, env)  # the first has stored pages of calls, not all of them
        results = [finished(first), finished(second)]

        reference = Database(alone)
        try:
            expected = dump(reference)
        finally:
            reference.dispose()
        assert dump(db) == expected  # every call once, with the facts of its legs
        (calls, distinct), = rows(db, "SELECT COUNT(*), COUNT(DISTINCT sid) FROM calls")
        assert calls == distinct == len(expected["calls"]) > CALLS * 0.9
        assert rows(db, "SELECT COUNT(*) FROM call_legs l LEFT JOIN calls c "
                        "ON c.sid = l.call_sid WHERE c.id IS NULL") == [(0,)]
        assert rows(db, "SELECT COUNT(*) FROM pending_legs") == [(0,)]
        # Each machine worked on its own run, and both completed.
        assert rows(db, "SELECT status, phase FROM sync_runs ORDER BY id") == [
            ("ok", "done"), ("ok", "done")]
        assert sum(r["calls"] for r in results) >= len(expected["calls"])
    finally:
        db.dispose()
