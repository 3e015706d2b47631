"""``ppcdesk account`` and ``ppcdesk sync`` end to end: subprocesses against the fake Twilio server.

The fake server (ppcdesk.telephony.fake_twilio) runs in this test's process on loopback; the
CLI reaches it through ``PPCDESK_TWILIO_API_URL`` with the official SDK, as a user's script
would reach Twilio. The crash tests SIGKILL a sync half way and check that the next one ends
with exactly the database an uninterrupted sync writes.
"""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from ppcdesk.telephony.fake_twilio import FakeTwilio

TIMEOUT = 180
ACCOUNT = "AC" + "1f" * 16
TOKEN = "tok_5c2e9f81d3a7b6e04c19"  # noqa: S105 - made up, searched for below
SINCE = "2025-12-31"  # the fake's generated month starts on 2026-01-01 (UTC)
DUMPED = {
    "calls": "sid, tracking_number_id, caller, caller_state, called, status, started_at, "
             "ended_at, duration_s, cost_micros, connected_s, time_to_answer_s, buyer_id, "
             "legs_cost_micros",
    "call_legs": "sid, call_sid, to_number, status, started_at, duration_s, cost_micros",
    "recordings": "sid, call_sid, status, duration_s, file_state, local_path, size_bytes, sha256",
    "tracking_numbers": "provider_sid, e164, friendly_name, status",
    "pending_legs": "sid",
}


@pytest.fixture
def fake() -> Iterator[FakeTwilio]:
    with FakeTwilio(ACCOUNT, TOKEN) as server:
        yield server


def environment(fake: FakeTwilio, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TWILIO_", "PPCDESK_TW"))}
    return {**env, "QT_QPA_PLATFORM": "offscreen", "PYTHONDONTWRITEBYTECODE": "1",
            "NO_PROXY": "127.0.0.1,localhost", "PPCDESK_TWILIO_API_URL": fake.url, **extra}


def twilio_env(fake: FakeTwilio) -> dict[str, str]:
    return environment(fake, TWILIO_ACCOUNT_SID=ACCOUNT, TWILIO_AUTH_TOKEN=TOKEN)


def ppcdesk(*args: str | Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "ppcdesk", *map(str, args)],
                          capture_output=True, text=True, timeout=TIMEOUT, env=env,
                          stdin=subprocess.DEVNULL, check=False)


def dump(path: Path) -> dict[str, list[tuple[Any, ...]]]:
    conn = sqlite3.connect(path)
    try:
        return {table: conn.execute(f"SELECT {cols} FROM {table} ORDER BY 1").fetchall()
                for table, cols in DUMPED.items()}
    finally:
        conn.close()


def scalar(path: Path, sql: str) -> Any:
    conn = sqlite3.connect(path, timeout=10)
    try:
        row = conn.execute(sql).fetchone()
    except sqlite3.OperationalError:  # not created or migrated yet
        return None
    finally:
        conn.close()
    return None if row is None else row[0]


# ------------------------------------------------------------------ accounts
def test_account_add_never_takes_the_secret_from_the_command_line(
        fake: FakeTwilio, tmp_path: Path) -> None:
    db = tmp_path / "w.sqlite"
    refused = ppcdesk("--db", db, "account", "add", "--sid", ACCOUNT, "--token", TOKEN,
                      env=environment(fake))
    assert refused.returncode == 2
    no_secret = ppcdesk("--db", db, "account", "add", "--sid", ACCOUNT, env=environment(fake))
    assert no_secret.returncode == 1
    assert "set PPCDESK_TWILIO_SECRET, or run in a terminal" in no_secret.stderr


def test_without_a_keyring_account_add_says_so_and_offers_session_only(
        fake: FakeTwilio, tmp_path: Path) -> None:
    db = tmp_path / "w.sqlite"
    env = environment(fake, PPCDESK_TWILIO_SECRET=TOKEN)
    refused = ppcdesk("--db", db, "account", "add", "--sid", ACCOUNT, env=env)
    assert refused.returncode == 1
    assert "no OS keyring" in refused.stderr
    assert "--session-only" in refused.stderr
    added = ppcdesk("--db", db, "account", "add", "--sid", ACCOUNT, "--label", "Main",
                    "--session-only", "--since", "2026-01-01", "--json", env=env)
    assert added.returncode == 0, added.stderr
    assert json.loads(added.stdout)["account"]["secret_available"] is True
    listed = json.loads(ppcdesk("--db", db, "account", "list", "--json", env=env).stdout)
    assert [(a["account_sid"], a["label"], a["secret_available"]) for a in listed["accounts"]
            ] == [(ACCOUNT, "Main", False)]  # that command's memory is gone
    missing = ppcdesk("--db", db, "sync", env=env)
    assert missing.returncode == 1
    assert "enter it again" in missing.stderr


@pytest.mark.parametrize(("change", "message"), [
    ({"TWILIO_AUTH_TOKEN": "tok_wrong"}, "credentials rejected"),
    ({"PPCDESK_TWILIO_API_URL": "http://127.0.0.1:9"}, "connect"),
])
def test_account_test_says_exactly_what_is_wrong(
        fake: FakeTwilio, tmp_path: Path, change: dict[str, str], message: str) -> None:
    db = tmp_path / "w.sqlite"
    ok = ppcdesk("--db", db, "account", "test", env=twilio_env(fake))
    assert ok.returncode == 0, ok.stderr
    assert f"OK: {ACCOUNT}" in ok.stdout
    bad = ppcdesk("--db", db, "account", "test", env={**twilio_env(fake), **change})
    assert bad.returncode == 1
    assert message in bad.stderr.lower()
    assert len(bad.stderr.strip().splitlines()) == 1


def test_a_suspended_account_is_named_as_such(fake: FakeTwilio, tmp_path: Path) -> None:
    fake.account_status = "suspended"
    result = ppcdesk("--db", tmp_path / "w.sqlite", "account", "test", env=twilio_env(fake))
    assert result.returncode == 1
    assert "suspended" in result.stderr


# ------------------------------------------------------------------ sync
def test_sync_prints_what_it_brought_and_a_second_sync_brings_nothing(
        fake: FakeTwilio, tmp_path: Path) -> None:
    summary = fake.generate(300, seed=5)
    db = tmp_path / "w.sqlite"
    first = ppcdesk("--db", db, "sync", "--since", SINCE, env=twilio_env(fake))
    assert first.returncode == 0, first.stderr
    for word in ("numbers", "calls", "legs", "recordings", "downloaded", "skipped"):
        assert word in first.stdout
    assert f"{summary.parents:,}" in first.stdout
    again = ppcdesk("--db", db, "sync", "--json", env=twilio_env(fake))
    assert again.returncode == 0, again.stderr
    data = json.loads(again.stdout)
    assert {k: data[k] for k in ("numbers", "calls", "legs", "recordings", "downloaded")} == {
        "numbers": 0, "calls": 0, "legs": 0, "recordings": 0, "downloaded": 0}
    assert data["accounts"][0]["status"] == "ok"
    assert scalar(db, "SELECT COUNT(*) FROM calls") == summary.parents
    assert scalar(db, "SELECT COUNT(*) FROM call_legs") == summary.children
    assert scalar(db, "SELECT COUNT(*) FROM recordings WHERE file_state = 'cached'") == \
        summary.recordings


def test_sync_without_media_leaves_the_audio_for_later(fake: FakeTwilio, tmp_path: Path) -> None:
    fake.generate(40, seed=2)
    db = tmp_path / "w.sqlite"
    result = ppcdesk("--db", db, "sync", "--since", SINCE, "--no-media", "--json",
                     env=twilio_env(fake))
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["downloaded"] == 0
    assert scalar(db, "SELECT COUNT(*) FROM recordings WHERE file_state = 'remote'") > 0
    assert not [r for r in fake.requests if r.path.endswith(".mp3")]


def test_no_secret_in_the_database_settings_logs_or_output(
        fake: FakeTwilio, tmp_path: Path, ppcdesk_home: Path) -> None:
    fake.generate(30, seed=4)
    db = tmp_path / "w.sqlite"
    env = {**twilio_env(fake), "PPCDESK_TWILIO_SECRET": TOKEN}
    runs = [
        ppcdesk("--db", db, "-v", "account", "add", "--sid", ACCOUNT, "--session-only", env=env),
        ppcdesk("--db", db, "-v", "sync", "--since", SINCE, "--json", env=env),
        ppcdesk("--db", db, "-v", "account", "test", env={**env, "TWILIO_AUTH_TOKEN": "x" + TOKEN}),
        ppcdesk("--db", db, "-v", "account", "list", "--json", env=env),
    ]
    assert [r.returncode for r in runs] == [0, 0, 1, 0], [r.stderr for r in runs]
    files = [p for root in (ppcdesk_home, tmp_path) for p in root.rglob("*") if p.is_file()]
    assert any(p.name.endswith(".log") for p in files)
    assert any(p.suffix == ".sqlite" for p in files)
    for path in files:
        assert TOKEN.encode() not in path.read_bytes(), path
    for run in runs:
        assert TOKEN not in run.stdout + run.stderr


def wait_until(process: subprocess.Popen[str], ready: Any, what: str) -> None:
    deadline = time.monotonic() + TIMEOUT
    while not ready():
        if process.poll() is not None:
            pytest.fail(f"the sync ended (exit {process.returncode}) before {what}: the crash "
                        "would prove nothing")
        if time.monotonic() > deadline:
            process.kill()
            pytest.fail(f"timed out waiting for {what}")
        time.sleep(0.01)


@pytest.mark.slow
@pytest.mark.parametrize(("calls", "media", "ready", "what"), [
    (20_000, "--no-media", "SELECT json_extract(summary, '$.pages') >= 4 FROM sync_runs",
     "the fourth calls page"),
    (400, "", "SELECT COUNT(*) >= 20 FROM recordings WHERE file_state = 'cached'",
     "twenty recordings downloaded"),
])
def test_a_sync_killed_half_way_then_run_again_equals_an_uninterrupted_one(
        fake: FakeTwilio, tmp_path: Path, calls: int, media: str, ready: str,
        what: str) -> None:
    fake.generate(calls, seed=11)
    args = [a for a in ("sync", "--since", SINCE, media) if a]
    reference = tmp_path / "reference.sqlite"
    done = ppcdesk("--db", reference, *args, env={**twilio_env(fake),
                                                  "PPCDESK_HOME": str(tmp_path / "ref")})
    assert done.returncode == 0, done.stderr

    db = tmp_path / "killed.sqlite"
    env = twilio_env(fake)
    process = subprocess.Popen([sys.executable, "-m", "ppcdesk", "--db", str(db), *args],
                               env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                               stdin=subprocess.DEVNULL, text=True)
    try:
        wait_until(process, lambda: scalar(db, ready) == 1, what)
        process.send_signal(signal.SIGKILL)
    finally:
        process.wait(timeout=TIMEOUT)
    assert process.returncode == -signal.SIGKILL
    assert scalar(db, "SELECT status FROM sync_runs") == "running"  # nobody closed it
    resumed = ppcdesk("--db", db, *args, env=env)
    assert resumed.returncode == 0, resumed.stderr
    assert dump(db) == dump(reference)
    assert scalar(db, "SELECT COUNT(*) FROM sync_runs") == 1  # the same run, resumed
    part_files = list((tmp_path / "ppcdesk-home").rglob("*.part")) if media else []
    assert part_files == []
