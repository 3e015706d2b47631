"""The sync, specified over a memory provider and a fixed clock: what lands where, and when.

Tables of call legs go in (see test_sync_support), rows of the workspace come out.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from ppcdesk.core.changes import Entity
from ppcdesk.core.clock import to_epoch
from ppcdesk.core.progress import Progress, run_job
from ppcdesk.telephony.provider import BadRecordError
from test_sync_support import NOW, T0, Desk, at, legs, open_desk, provider, recording

# Every test on SQLite and on PostgreSQL (issue 9): tests/telephony/conftest.py
pytestmark = pytest.mark.usefixtures("backend")

FORWARDED = """
sid  parent  from          to            status     start  end   dur  cost
CL1  CA1     +12125550123  +13105550100  completed  0.5    5     270  14000
CA2  -       +16025550123  +18005550101  completed  10     12    120  8500
CA1  -       +12125550123  +18005550100  completed  0      5     300  8500
CL2  CA2     +16025550123  +13105550101  no-answer  10.2   10.5  0    0
CL3  CA2     +16025550123  +13105550100  completed  10.6   12    84   7000
"""


@pytest.fixture
def desk(tmp_path: Path) -> Iterator[Desk]:
    with open_desk(tmp_path, provider(FORWARDED)) as opened:
        yield opened


def test_parents_become_calls_and_children_their_legs_whatever_page_they_come_on(
        desk: Desk) -> None:
    # Pages of two: CL1 comes a page before its parent CA1; CL2 and CL3 come after CA2.
    changes = desk.sync()
    assert desk.rows(
        "SELECT sid, caller, caller_state, called, campaign_id, publisher_id, duration_s, "
        "cost_micros, connected_s, time_to_answer_s, buyer_id, legs_cost_micros "
        "FROM calls ORDER BY sid") == [
        ("CA1", "+12125550123", "NY", "+18005550100", 1, 1, 300, 8500, 270, 30, 1, 14000),
        ("CA2", "+16025550123", "AZ", "+18005550101", None, None, 120, 8500, 84, 36, 1, 7000),
    ]
    assert desk.rows("SELECT sid, call_sid, status, buyer_id FROM call_legs ORDER BY sid") == [
        ("CL1", "CA1", "completed", 1), ("CL2", "CA2", "no-answer", 2),
        ("CL3", "CA2", "completed", 1)]
    assert desk.rows("SELECT COUNT(*) FROM pending_legs") == [(0,)]
    assert dict(changes.counts) == {"numbers": 2, "calls": 2, "legs": 3, "recordings": 0,
                                    "downloaded": 0, "skipped": 0}
    assert changes.touches({Entity.CALLS, Entity.NUMBERS})


def test_a_child_that_comes_first_waits_in_pending_legs_until_its_parent_lands(
        desk: Desk) -> None:
    job = desk.services.sync_job()
    for progress in job:
        if progress.message.startswith("Calls: page 1 "):
            break
    job.close()  # cancel: page 1 is kept; the next sync resumes at page 2, where CA1 comes
    assert desk.rows("SELECT sid, call_sid FROM pending_legs") == [("CL1", "CA1")]
    assert desk.rows("SELECT sid FROM calls") == [("CA2",)]
    desk.sync()
    assert desk.rows("SELECT COUNT(*) FROM pending_legs") == [(0,)]
    assert desk.rows("SELECT call_sid, connected_s FROM call_legs JOIN calls ON "
                     "calls.sid = call_sid WHERE call_legs.sid = 'CL1'") == [("CA1", 270)]


def test_calls_that_are_not_inbound_to_the_account_and_their_legs_are_skipped_and_counted(
        tmp_path: Path) -> None:
    fake = provider("""
    sid  parent  from          to            status     start  end  dur  cost
    CL9  CA9     +12125550123  +13105550100  completed  1      3    60   1000
    CA9  -       +12125550123  +19995550000  completed  0      3    180  8500
    CL8  CA8     +12125550123  +13105550100  completed  5      6    60   1000
    CA1  -       +12125550123  +18005550100  completed  0      5    300  8500
    """)
    with open_desk(tmp_path, fake) as desk:
        changes = desk.sync()
        assert desk.rows("SELECT sid FROM calls") == [("CA1",)]
        assert desk.rows("SELECT COUNT(*) FROM call_legs") == [(0,)]
        summary = desk.services.last_sync_summary()
    assert summary is not None
    assert summary.skipped_reasons == {"not_inbound_to_account_number": 1,
                                       "leg_without_inbound_parent": 2}
    assert summary.skipped_examples["leg_without_inbound_parent"] == ("CL9", "CL8")
    assert changes.counts["skipped"] == 3


def test_an_unreadable_record_is_logged_with_its_sid_and_counted(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    fake = provider(FORWARDED)
    fake.bad_calls = [BadRecordError("CAbad", "duration 'abc' is not a number")]
    with open_desk(tmp_path, fake) as desk:
        desk.sync()
        assert desk.count("bad_record") == 1
        assert desk.rows("SELECT COUNT(*) FROM calls") == [(2,)]  # the rest is there
    assert any("CAbad" in r.getMessage() and r.levelname == "WARNING" for r in caplog.records)


def test_syncing_twice_changes_nothing(desk: Desk) -> None:
    desk.provider.recordings_list = [recording("RE1", "CA1")]
    desk.provider.audio["RE1"] = b"ID3 fake mp3"
    desk.sync()
    before = desk.dump()
    stamps = desk.rows("SELECT sid, updated_at FROM calls ORDER BY sid")
    desk.clock.advance(timedelta(minutes=30))
    changes = desk.sync()
    assert dict(changes.counts) == {"numbers": 0, "calls": 0, "legs": 0, "recordings": 0,
                                    "downloaded": 0, "skipped": 0}
    assert not changes.touches({Entity.CALLS, Entity.NUMBERS, Entity.RECORDINGS})
    after = desk.dump()
    del before["telephony_accounts"], after["telephony_accounts"]  # the checkpoint moved on
    assert after == before
    assert desk.rows("SELECT sid, updated_at FROM calls ORDER BY sid") == stamps


def test_the_next_sync_asks_only_for_the_overlap_window(desk: Desk) -> None:
    desk.sync()
    first = [r for r in desk.provider.requests if r[0] == "calls"]
    assert first[0][1:3] == (T0, to_epoch(NOW))  # the first sync: from sync_from to now
    desk.provider.requests.clear()
    desk.clock.advance(timedelta(hours=6))
    desk.sync()
    calls = [r for r in desk.provider.requests if r[0] == "calls"]
    assert calls == [("calls", to_epoch(NOW) - 2 * 3600, to_epoch(NOW) + 6 * 3600, None)]
    assert [r[:2] for r in desk.provider.requests if r[0] == "recordings"] == [
        ("recordings", to_epoch(NOW) - 2 * 3600)]


def test_a_call_that_completes_between_two_syncs_is_updated(tmp_path: Path) -> None:
    fake = provider("""
    sid  parent  from          to            status       start  end  dur  cost
    CA1  -       +12125550123  +18005550100  in-progress  0      -    0    -
    CL1  CA1     +12125550123  +13105550100  in-progress  0.2    -    0    -
    """)
    with open_desk(tmp_path, fake) as desk:
        desk.clock.advance(timedelta(days=-2, hours=-12, minutes=1))  # a minute after T0
        desk.sync()
        assert desk.rows("SELECT status, ended_at, connected_s, buyer_id FROM calls") == [
            ("in-progress", None, 0, None)]
        for leg in legs("""
        sid  parent  from          to            status     start  end  dur  cost
        CA1  -       +12125550123  +18005550100  completed  0      5    300  8500
        CL1  CA1     +12125550123  +13105550100  completed  0.2    5    288  14000
        """):
            fake.replace_call(leg)
        desk.clock.advance(timedelta(minutes=10))
        changes = desk.sync()
        assert desk.rows("SELECT status, ended_at, duration_s, cost_micros, connected_s, "
                         "time_to_answer_s, buyer_id, legs_cost_micros FROM calls") == [
            ("completed", at("5"), 300, 8500, 288, 12, 1, 14000)]
        assert changes.counts["calls"] == 1
        assert changes.counts["legs"] == 1


def test_a_price_that_arrives_a_day_late_is_fetched(tmp_path: Path) -> None:
    fake = provider("""
    sid  parent  from          to            status     start  end  dur  cost
    CA1  -       +12125550123  +18005550100  completed  0      5    300  -
    CL1  CA1     +12125550123  +13105550100  completed  0.5    5    270  -
    CA2  -       +12125550123  +18005550100  completed  60     61   60   8500
    """)
    with open_desk(tmp_path, fake) as desk:
        desk.sync()
        assert desk.rows("SELECT sid, cost_micros, legs_cost_micros FROM calls ORDER BY sid") \
            == [("CA1", None, None), ("CA2", 8500, None)]
        fake.replace_call(legs("""
        sid  parent  from          to            status     start  end  dur  cost
        CA1  -       +12125550123  +18005550100  completed  0      5    300  8500
        """)[0])
        fake.replace_call(legs("""
        sid  parent  from          to            status     start  end  dur  cost
        CL1  CA1     +12125550123  +13105550100  completed  0.5    5    270  14000
        """)[0])
        fake.requests.clear()
        desk.clock.advance(timedelta(hours=4))  # beyond the overlap, within the reach
        desk.sync()
        # The window reaches back to the unpriced call, not just two hours.
        assert {r[1] for r in fake.requests if r[0] == "calls"} == {T0}
        assert desk.rows("SELECT sid, cost_micros, legs_cost_micros FROM calls ORDER BY sid") \
            == [("CA1", 8500, 14000), ("CA2", 8500, None)]


def test_a_released_number_is_marked_released_and_keeps_its_calls(desk: Desk) -> None:
    desk.sync()
    desk.provider.release_number("+18005550101")
    desk.clock.advance(timedelta(hours=1))
    changes = desk.sync()
    assert desk.rows("SELECT e164, status, released_at FROM tracking_numbers ORDER BY e164") == [
        ("+18005550100", "active", None),
        ("+18005550101", "released", to_epoch(desk.clock.now()))]
    assert changes.counts["numbers"] == 1
    assert desk.rows("SELECT COUNT(*) FROM calls WHERE called = '+18005550101'") == [(1,)]
    desk.provider.add_number("+18005550101", "Line 2 again", n=2)  # bought back
    desk.sync()
    assert desk.rows("SELECT status, released_at, friendly_name FROM tracking_numbers "
                     "WHERE e164 = '+18005550101'") == [("active", None, "Line 2 again")]


def test_a_number_known_before_the_sync_is_linked_and_keeps_its_campaign(desk: Desk) -> None:
    desk.sync()
    assert desk.rows("SELECT e164, provider_sid IS NOT NULL, account_id, campaign_id, "
                     "friendly_name FROM tracking_numbers ORDER BY e164") == [
        ("+18005550100", 1, desk.account_id, 1, "Line 1"),
        ("+18005550101", 1, desk.account_id, None, "Line 2")]


def test_moving_a_number_to_another_campaign_does_not_rewrite_its_calls(desk: Desk) -> None:
    desk.sync()
    with desk.db.write() as conn:
        conn.exec_driver_sql("INSERT INTO campaigns (id, name, vertical, timezone, created_at)"
                             " VALUES (2, 'Medicare', 'health', 'America/Chicago', 0)")
        conn.exec_driver_sql("UPDATE tracking_numbers SET campaign_id = 2 "
                             "WHERE e164 = '+18005550100'")
    desk.provider.calls_list += legs("""
    sid  parent  from          to            status     start   end    dur  cost
    CA3  -       +12125550199  +18005550100  completed  3500  3502  120  8500
    """)
    desk.clock.advance(timedelta(hours=1))
    desk.sync()
    assert desk.rows("SELECT sid, campaign_id FROM calls WHERE called = '+18005550100' "
                     "ORDER BY sid") == [("CA1", 1), ("CA3", 2)]


def test_a_recording_is_linked_to_its_call_and_its_audio_downloaded_once(desk: Desk) -> None:
    desk.provider.recordings_list = [recording("RE1", "CA1"), recording("RE9", "CA404")]
    desk.provider.audio["RE1"] = b"ID3 fake mp3 audio"
    changes = desk.sync()
    assert desk.rows("SELECT sid, call_sid, file_state, local_path, size_bytes FROM recordings"
                     ) == [("RE1", "CA1", "cached", "1/RE1.mp3", 18)]
    assert (desk.paths.recordings / "1" / "RE1.mp3").read_bytes() == b"ID3 fake mp3 audio"
    assert changes.counts["downloaded"] == 1
    assert desk.count("recording_without_call") == 1
    desk.clock.advance(timedelta(minutes=5))
    assert desk.sync().counts["downloaded"] == 0
    with desk.db.write() as conn:  # killed after the rename, before the commit
        conn.exec_driver_sql("UPDATE recordings SET file_state = 'remote', local_path = NULL")
    desk.sync()
    assert desk.provider.downloads == ["RE1"]  # adopted from the cache, not fetched again
    assert desk.rows("SELECT file_state, local_path FROM recordings") == [
        ("cached", "1/RE1.mp3")]


def test_without_media_only_the_metadata_comes_and_the_audio_comes_later(desk: Desk) -> None:
    desk.provider.recordings_list = [recording("RE1", "CA1")]
    desk.provider.audio["RE1"] = b"ID3 fake mp3 audio"
    assert desk.sync(media=False).counts["downloaded"] == 0
    assert desk.rows("SELECT file_state FROM recordings") == [("remote",)]
    assert desk.provider.downloads == []
    assert desk.sync().counts["downloaded"] == 1


def test_a_recording_can_be_fetched_on_demand_after_a_sync_without_media(desk: Desk) -> None:
    desk.provider.recordings_list = [recording("RE1", "CA1")]
    desk.provider.audio["RE1"] = b"ID3 fake mp3 audio"
    desk.sync(media=False)
    assert desk.services.recording_file("RE1") is None
    path = run_job(desk.services.fetch_recording_job("RE1"))
    assert path.read_bytes() == b"ID3 fake mp3 audio"
    assert desk.services.recording_file("RE1") == path
    assert run_job(desk.services.fetch_recording_job("RE1")) == path
    assert desk.provider.downloads == ["RE1"]
    assert desk.rows("SELECT file_state FROM recordings") == [("cached",)]


def test_a_recording_whose_audio_is_gone_is_skipped_and_tried_again_next_time(
        desk: Desk) -> None:
    desk.provider.recordings_list = [recording("RE1", "CA1")]
    desk.sync()
    assert desk.count("download_failed") == 1
    assert desk.rows("SELECT file_state FROM recordings") == [("remote",)]
    assert not list(desk.paths.recordings.rglob("*.part"))


def test_progress_says_where_the_sync_is_in_words(desk: Desk) -> None:
    desk.provider.recordings_list = [recording("RE1", "CA1")]
    desk.provider.audio["RE1"] = b"ID3"
    seen: list[Progress] = []
    desk.sync(progress=seen)
    messages = [p.message for p in seen]
    assert "Calls: page 2 · 4 legs seen · 2026-01-01" in messages
    assert "Audio: 1 of 1 recordings" in messages
    assert any(m.startswith("Numbers: 2 listed") for m in messages)
    assert all(p.total is None for p in seen if p.message.startswith("Calls"))


def test_the_first_sync_starts_at_the_accounts_start_day_or_a_chosen_one(
        tmp_path: Path) -> None:
    with open_desk(tmp_path, provider(FORWARDED)) as desk:
        desk.sync(since=(NOW - timedelta(days=1)).date())
        assert [r[1] for r in desk.provider.requests if r[0] == "calls"] == [
            T0 + 86_400]
        assert desk.rows("SELECT COUNT(*) FROM calls") == [(0,)]  # all on the day before
