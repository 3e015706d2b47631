"""A stopped sync (Cancel, an error, a kill) keeps every whole page and resumes where it was.

Each scenario is compared with the same account synced without interruption: the database
content must be equal, row for row.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from ppcdesk.core.clock import to_epoch
from ppcdesk.telephony import sync, sync_store
from ppcdesk.telephony.memory_provider import MemoryProvider
from ppcdesk.telephony.provider import (
    AccountSuspendedError,
    CallRecord,
    CredentialsRejectedError,
    NetworkDownError,
)
from test_sync_support import ACCOUNT, NOW, T0, Desk, open_desk

# Every test on SQLite and on PostgreSQL (issue 9): tests/telephony/conftest.py
pytestmark = pytest.mark.usefixtures("backend")

CALLS = 400


def generated() -> MemoryProvider:
    """Two days of calls with their legs and recordings, newest first in pages of 25 legs."""
    fake = MemoryProvider.generated(calls=CALLS, seed=3, start=T0, days=2, page_size=25)
    fake.account_sid = ACCOUNT
    return fake


def uninterrupted(tmp_path: Path) -> dict[str, list[tuple[object, ...]]]:
    with open_desk(tmp_path, generated(), name="reference") as desk:
        desk.sync()
        return desk.dump()


def cancel_after_calls_page(desk: Desk, page: int) -> None:
    """Press Cancel when the sync reports calls page ``page`` (stored and committed)."""
    job = desk.services.sync_job()
    for progress in job:
        if progress.message.startswith(f"Calls: page {page} "):
            job.close()  # what the UI's runner does at the next yield
            return
    raise AssertionError(f"the sync never reached calls page {page}")


def test_cancel_after_page_2_then_sync_again_equals_an_uninterrupted_sync(
        tmp_path: Path) -> None:
    reference = uninterrupted(tmp_path)
    with open_desk(tmp_path, generated()) as desk:
        cancel_after_calls_page(desk, 2)
        summary = desk.services.last_sync_summary()
        assert summary is not None
        assert (summary.status, summary.phase, summary.pages) == ("cancelled", "calls", 2)
        assert desk.rows("SELECT checkpoint_at FROM telephony_accounts") == [(None,)]
        kept = desk.rows("SELECT COUNT(*) FROM calls")[0][0]
        assert 0 < kept < CALLS  # two whole pages, no more
        desk.provider.requests.clear()
        desk.sync()
        resumed = [r for r in desk.provider.requests if r[0] == "calls"]
        assert resumed[0][3] == "50"  # the third page first: two pages of 25 were stored
        assert desk.dump() == reference
        summary = desk.services.last_sync_summary()
        assert summary is not None
        assert summary.status == "ok"
        assert summary.calls == CALLS  # one run, counted across both processes


def test_no_network_half_way_keeps_the_pages_saved_and_the_next_sync_completes(
        tmp_path: Path) -> None:
    reference = uninterrupted(tmp_path)
    fake = generated()
    fake.fail_at("calls", 4, NetworkDownError("no connection to api.twilio.com"))
    with open_desk(tmp_path, fake) as desk:
        with pytest.raises(NetworkDownError, match="no connection"):
            desk.sync()
        summary = desk.services.last_sync_summary()
        assert summary is not None
        assert (summary.status, summary.phase, summary.pages) == ("failed", "calls", 3)
        assert summary.error == "no connection to api.twilio.com"
        assert desk.rows("SELECT COUNT(*) FROM calls")[0][0] > 0
        desk.sync()
        assert desk.dump() == reference


def test_a_page_that_fails_to_store_loses_only_what_was_not_committed(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Pages are committed BATCH_PAGES at a time (two here): the sixth fails to store, its
    # batch (pages 5 and 6) rolls back, and the run says page 5 comes next.
    reference = uninterrupted(tmp_path)
    monkeypatch.setattr(sync, "BATCH_PAGES", 2)
    real, stored = sync_store.store_calls, []

    def failing_fifth(*args: Any, **kwargs: Any) -> None:
        stored.append(1)
        if len(stored) == 6:
            raise OSError("disk I/O error")
        real(*args, **kwargs)

    monkeypatch.setattr(sync_store, "store_calls", failing_fifth)
    with open_desk(tmp_path, generated()) as desk:
        with pytest.raises(OSError, match="disk I/O error"):
            desk.sync()
        summary = desk.services.last_sync_summary()
        assert summary is not None
        assert (summary.status, summary.phase, summary.pages) == ("failed", "calls", 4)
        monkeypatch.setattr(sync_store, "store_calls", real)
        desk.provider.requests.clear()
        desk.sync()
        resumed = [r for r in desk.provider.requests if r[0] == "calls"]
        assert resumed[0][3] == "100"  # the fifth page of 25 legs first
        assert desk.dump() == reference


def test_no_network_during_downloads_resumes_with_the_downloads(tmp_path: Path) -> None:
    reference = uninterrupted(tmp_path)
    fake = generated()
    fake.fail_at("download", 5, NetworkDownError("offline"))
    with open_desk(tmp_path, fake) as desk:
        with pytest.raises(NetworkDownError):
            desk.sync()
        assert desk.rows("SELECT COUNT(*) FROM recordings WHERE file_state = 'cached'") == [(4,)]
        fake.requests.clear()
        desk.sync()
        assert [r for r in fake.requests if r[0] == "calls"] == []  # straight to the audio
        assert desk.dump() == reference
        assert len(fake.downloads) == len(set(fake.downloads))  # none fetched twice


def test_a_sync_resumed_a_day_later_also_catches_up_to_now(tmp_path: Path) -> None:
    with open_desk(tmp_path, generated()) as desk:
        cancel_after_calls_page(desk, 1)
        desk.clock.advance(timedelta(days=1))
        number = desk.provider.numbers_list[0]
        desk.provider.calls_list.append(CallRecord(
            "CAlate", None, "+12125550123", number.e164, "completed", "inbound",
            to_epoch(NOW) + 3600, to_epoch(NOW) + 3700, 100, 8500, number.sid))
        desk.provider.requests.clear()
        desk.sync()
        windows = [r[1:3] for r in desk.provider.requests if r[0] == "calls" and r[3] is None]
        assert windows == [(to_epoch(NOW) - 2 * 3600, to_epoch(desk.clock.now()))]
        assert desk.rows("SELECT COUNT(*) FROM calls") == [(CALLS + 1,)]
        assert desk.rows("SELECT checkpoint_at FROM telephony_accounts") == [
            (to_epoch(desk.clock.now()),)]


def test_rejected_credentials_stop_the_sync_with_credentials_rejected(tmp_path: Path) -> None:
    fake = generated()
    fake.fail_at("account", 1, CredentialsRejectedError("HTTP 401, Twilio error 20003"))
    with open_desk(tmp_path, fake) as desk, pytest.raises(
            CredentialsRejectedError, match="credentials rejected for Twilio account AC"):
        desk.sync()


def test_credentials_revoked_half_way_stop_with_credentials_rejected(tmp_path: Path) -> None:
    fake = generated()
    fake.fail_at("calls", 2, CredentialsRejectedError("HTTP 401, Twilio error 20003"))
    with open_desk(tmp_path, fake) as desk:
        with pytest.raises(CredentialsRejectedError, match="credentials rejected"):
            desk.sync()
        summary = desk.services.last_sync_summary()
        assert summary is not None
        assert summary.status == "failed"
        assert summary.error is not None
        assert "credentials rejected" in summary.error


def test_a_suspended_account_is_refused_before_anything_is_written(tmp_path: Path) -> None:
    fake = generated()
    fake.status = "suspended"
    with open_desk(tmp_path, fake) as desk:
        with pytest.raises(AccountSuspendedError, match="suspended"):
            desk.sync()
        assert desk.services.last_sync_summary() is None
        with pytest.raises(AccountSuspendedError, match="suspended"):
            desk.services.test_connection(desk.account_id)


def test_a_new_start_day_starts_a_new_run_instead_of_resuming(tmp_path: Path) -> None:
    with open_desk(tmp_path, generated()) as desk:
        cancel_after_calls_page(desk, 1)
        first = desk.services.last_sync_summary()
        desk.provider.requests.clear()
        desk.sync(since=(NOW - timedelta(days=1)).date())  # not the run's start day
        last = desk.services.last_sync_summary()
        assert first is not None
        assert last is not None
        assert last.run_id != first.run_id
        assert last.window_from == T0 + 86_400  # 2026-01-02, the day asked for
        assert last.status == "ok"
