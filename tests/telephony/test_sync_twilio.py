"""The sync through the real adapter (the official SDK) against the stateful fake Twilio server.

The same behaviour the memory-provider specifications ask for, on Twilio's wire format: string
durations, negative string prices, RFC 2822 dates, paging links, faults answered with retries.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from ppcdesk.config import paths as paths_mod
from ppcdesk.config.secrets import MemorySecretStore
from ppcdesk.core.clock import FixedClock, to_epoch
from ppcdesk.core.progress import run_job
from ppcdesk.services.app_services import AppServices
from ppcdesk.telephony.accounts import Credentials
from ppcdesk.telephony.fake_twilio import Child, FakeTwilio
from ppcdesk.telephony.provider import NetworkDownError
from ppcdesk.telephony.twilio_provider import TwilioProvider
from test_sync_support import workspace_database

# Every test on SQLite and on PostgreSQL (issue 9): tests/telephony/conftest.py
pytestmark = pytest.mark.usefixtures("backend")

T0 = 1_767_225_600  # 2026-01-01 00:00 UTC
BUYER_LINE = "+13105550100"
DUMPED = {
    "calls": "sid, caller, called, status, started_at, ended_at, duration_s, cost_micros, "
             "connected_s, time_to_answer_s, buyer_id, legs_cost_micros",
    "call_legs": "sid, call_sid, to_number, status, started_at, duration_s, cost_micros, "
                 "buyer_id",
    "recordings": "sid, call_sid, status, duration_s, file_state, local_path, size_bytes",
    "tracking_numbers": "provider_sid, e164, status, released_at",
    "pending_legs": "sid",
}


class Workspace:
    def __init__(self, root: Path, fake: FakeTwilio, clock: FixedClock,
                 page_size: int = 1000) -> None:
        self.paths = paths_mod.resolve(root).ensure()
        self.db = workspace_database(self.paths.data)
        with self.db.write() as conn:
            conn.exec_driver_sql("INSERT INTO buyers (id, name, contact, created_at) "
                                 "VALUES (1, 'Buyer One', '', 0)")
            conn.exec_driver_sql("INSERT INTO buyer_destinations (buyer_id, e164, label) "
                                 f"VALUES (1, '{BUYER_LINE}', '')")

        def provider(credentials: Credentials) -> TwilioProvider:
            return TwilioProvider(credentials.account_sid, auth_token=credentials.secret,
                                  base_url=fake.url, page_size=page_size,
                                  sleep=lambda _seconds: None)

        self.services = AppServices(
            self.db, self.paths, clock, provider_factory=provider,
            secret_store=MemorySecretStore(),
            environ={"TWILIO_ACCOUNT_SID": fake.account_sid, "TWILIO_AUTH_TOKEN": fake.auth_token})
        self.services.save_settings(self.services.settings().with_changes(timezone="UTC"))

    def sync(self) -> dict[str, int]:
        return dict(run_job(self.services.sync_job(since=date(2026, 1, 1))).counts)

    def rows(self, sql: str) -> list[tuple[Any, ...]]:
        with self.db.read() as conn:
            return [tuple(r) for r in conn.exec_driver_sql(sql)]

    def dump(self) -> dict[str, list[tuple[Any, ...]]]:
        return {t: self.rows(f"SELECT {cols} FROM {t} ORDER BY 1") for t, cols in DUMPED.items()}


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(datetime(2026, 1, 5, tzinfo=UTC))


@pytest.fixture
def workspace(tmp_path: Path, fake_twilio: FakeTwilio, clock: FixedClock) -> Iterator[Workspace]:
    opened = Workspace(tmp_path / "w", fake_twilio, clock)
    yield opened
    opened.db.dispose()


def test_a_live_call_completes_a_price_arrives_a_number_goes_and_nothing_is_twice(
        workspace: Workspace, fake_twilio: FakeTwilio, clock: FixedClock) -> None:
    fake = fake_twilio
    main = fake.add_number("+18885550001")
    other = fake.add_number("+18885550002")
    live, live_child = fake.add_call(
        main.phone_number, "+12125550123", T0 + 3600, duration=None, status="in-progress",
        price=None, children=[Child(BUYER_LINE, answer_after=12, duration=None,
                                    status="in-progress", price=None)])
    done = fake.add_call(other.phone_number, "+16025550123", T0 + 7200, duration=120,
                         children=[Child(BUYER_LINE, answer_after=20, duration=95)])
    recording = fake.add_recording(done[0].sid, duration=95)
    first = workspace.sync()
    assert (first["numbers"], first["calls"], first["legs"], first["recordings"],
            first["downloaded"]) == (2, 2, 2, 1, 1)
    assert workspace.rows("SELECT sid, status, cost_micros, connected_s, time_to_answer_s, "
                          "buyer_id, legs_cost_micros FROM calls ORDER BY started_at") == [
        (live.sid, "in-progress", None, 0, None, None, None),
        (done[0].sid, "completed", 8_500, 95, 20, 1, 13_000)]
    assert workspace.rows("SELECT sid, file_state FROM recordings") == [
        (recording.sid, "cached")]

    # Between two syncs: the live call ends (unrated yet), the second number is released.
    fake.update_call(live.sid, status="completed", end_time=T0 + 3900, duration=300)
    fake.update_call(live_child.sid, status="completed", end_time=T0 + 3900, duration=288)
    fake.release_number(other.sid)
    clock.advance(timedelta(hours=1))
    second = workspace.sync()
    assert (second["numbers"], second["calls"], second["legs"], second["downloaded"]) == (
        1, 1, 1, 0)
    assert workspace.rows(f"SELECT status, duration_s, cost_micros, connected_s, "
                          f"time_to_answer_s FROM calls WHERE sid = '{live.sid}'") == [
        ("completed", 300, None, 288, 12)]
    assert workspace.rows("SELECT e164, status, released_at FROM tracking_numbers "
                          "ORDER BY e164") == [("+18885550001", "active", None),
                                               ("+18885550002", "released",
                                                to_epoch(clock.now()))]

    # A day later Twilio has rated it: the window reaches back to the unpriced call.
    fake.update_call(live.sid, price="-0.017000")
    fake.update_call(live_child.sid, price="-0.026000")
    clock.advance(timedelta(days=1))
    workspace.sync()
    assert workspace.rows(f"SELECT cost_micros, legs_cost_micros FROM calls "
                          f"WHERE sid = '{live.sid}'") == [(17_000, 26_000)]

    before = workspace.dump()
    clock.advance(timedelta(minutes=5))
    again = workspace.sync()
    assert {k: v for k, v in again.items() if k != "skipped"} == {
        "numbers": 0, "calls": 0, "legs": 0, "recordings": 0, "downloaded": 0}
    assert workspace.dump() == before
    media = [r for r in fake.requests if r.path.startswith(f"/2010-04-01/Accounts/"
                                                           f"{fake.account_sid}/Recordings/RE")]
    assert len(media) == 1  # downloaded once, across four syncs


def test_429_503_429_then_success_stores_every_record_once(
        workspace: Workspace, fake_twilio: FakeTwilio) -> None:
    summary = fake_twilio.generate(600, seed=8, days=3)
    fake_twilio.fail_next([429, 503, 429], retry_after="0")
    counts = workspace.sync()
    assert counts["calls"] == summary.parents
    assert counts["legs"] == summary.children
    assert workspace.rows("SELECT COUNT(*), COUNT(DISTINCT sid) FROM calls") == [
        (summary.parents, summary.parents)]
    assert [r.status for r in fake_twilio.requests[:4]] == [429, 503, 429, 200]


def test_the_network_gone_half_way_then_back_ends_as_if_nothing_happened(
        tmp_path: Path, fake_twilio: FakeTwilio, clock: FixedClock) -> None:
    fake_twilio.generate(1500, seed=3, days=3)
    reference = Workspace(tmp_path / "reference", fake_twilio, clock, page_size=200)
    reference.sync()
    expected = reference.dump()
    reference.db.dispose()

    broken = Workspace(tmp_path / "broken", fake_twilio, clock, page_size=200)
    def drop_the_network_after_page_3() -> None:
        for progress in broken.services.sync_job(since=date(2026, 1, 1)):
            if progress.message.startswith("Calls: page 3 "):
                fake_twilio.fail_next([-1] * 50)  # every request from now on is dropped

    with pytest.raises(NetworkDownError):
        drop_the_network_after_page_3()
    summary = broken.services.last_sync_summary()
    assert summary is not None
    assert summary.status == "failed"
    assert 0 < broken.rows("SELECT COUNT(*) FROM calls")[0][0] < 1500
    fake_twilio.fail_next([])
    broken.sync()
    assert broken.dump() == expected
    broken.db.dispose()
