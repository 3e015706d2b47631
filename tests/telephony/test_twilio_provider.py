"""TwilioProvider, driven through the official SDK against the fake Twilio server.

The retry schedule is tested first as pure functions; then each promise of the provider:
paging and resuming, legs, late prices, released numbers, bad records, every named error,
faults that heal, media, and secrets that never leak. Sleeps are recorded, never slept.
"""

from __future__ import annotations

import email.utils
import logging
import random
import socket
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from ppcdesk.telephony.fake_twilio import Child, FakeTwilio
from ppcdesk.telephony.fake_twilio_records import rfc2822
from ppcdesk.telephony.provider import (
    AccountSuspendedError,
    BadRecordError,
    CallRecord,
    CredentialsRejectedError,
    NetworkDownError,
    Page,
    ProviderError,
    ProviderUnavailableError,
    RateLimitedError,
)
from ppcdesk.telephony.retry import Retrier, RetryPolicy, parse_retry_after
from ppcdesk.telephony.twilio_provider import TwilioProvider, parse_rfc2822, reroute

T0 = 1_767_225_600  # 2026-01-01 00:00:00 UTC
TRACKING, CALLER, BUYER = "+18885550100", "+13055550123", "+12125550199"
FAST = RetryPolicy(max_attempts=4, network_attempts=2)
WRONG, ANY = "not-the-right-one", "x"  # credentials that the fake refuses / never checks


# ------------------------------------------------------------------ the retry schedule
def test_backoff_is_full_jitter_doubling_up_to_the_cap() -> None:
    policy = RetryPolicy(base_delay=0.5, max_delay=4.0)
    assert [policy.backoff(n, lambda: 1.0) for n in range(1, 7)] == [0.5, 1, 2, 4, 4, 4]
    assert policy.backoff(3, lambda: 0.5) == 1.0
    assert policy.backoff(3, lambda: 0.0) == 0.0
    assert policy.backoff(10_000, lambda: 1.0) == 4.0  # no overflow
    with pytest.raises(ValueError, match="from 1"):
        policy.backoff(0, lambda: 1.0)


def test_next_delay_gives_up_after_the_attempts_and_the_total_wait() -> None:
    policy = RetryPolicy(max_attempts=3, network_attempts=2, max_total_wait=10.0)
    assert policy.next_delay(1, 0.0, lambda: 1.0) == 0.5
    assert policy.next_delay(2, 0.5, lambda: 1.0) == 1.0
    assert policy.next_delay(3, 1.5, lambda: 1.0) is None
    assert policy.next_delay(2, 0.0, lambda: 1.0, network=True) is None
    assert policy.next_delay(1, 9.8, lambda: 1.0) is None  # would pass the total wait


def test_retry_after_is_a_floor_never_a_ceiling() -> None:
    policy = RetryPolicy(max_total_wait=60.0)
    assert policy.next_delay(1, 0.0, lambda: 1.0, retry_after=5.0) == 5.0
    assert policy.next_delay(5, 0.0, lambda: 1.0, retry_after=0.0) == 8.0
    assert policy.next_delay(1, 0.0, lambda: 1.0, retry_after=3600.0) is None


@pytest.mark.parametrize(("header", "seconds"), [
    ("120", 120.0), (" 3 ", 3.0), ("1.5", 1.5), ("Thu, 01 Jan 2026 00:00:30 GMT", 30.0),
    ("Wed, 31 Dec 2025 23:00:00 GMT", 0.0), ("", None), (None, None), ("soon", None),
    ("-5", None), ("nan", None), ("Thu, 01 Jan 2026 00:00:30", None),
])
def test_parse_retry_after(header: str | None, seconds: float | None) -> None:
    assert parse_retry_after(header, now=T0) == seconds


@dataclass
class Stub:
    """An HTTP answer as the retry loop sees one."""

    status_code: int
    headers: dict[str, str] = field(default_factory=dict)


def scripted(*outcomes: Stub | Exception) -> Callable[[], Stub]:
    queue = list(outcomes)

    def send() -> Stub:
        outcome = queue.pop(0)
        if isinstance(outcome, Exception):
            raise outcome
        return outcome

    return send


def test_the_retrier_heals_faults_and_honours_retry_after() -> None:
    slept: list[float] = []
    retrier = Retrier(RetryPolicy(), slept.append, lambda: 1.0, clock=lambda: T0)
    answer = retrier.send(scripted(Stub(429, {"Retry-After": "7"}), Stub(503),
                                   requests.ConnectionError("reset"), Stub(200)), "host")
    assert answer.status_code == 200
    assert slept == [7.0, 1.0, 0.5]  # the dropped connection is its first network failure


def test_the_retrier_names_what_lasts() -> None:
    retrier = Retrier(RetryPolicy(max_attempts=2, network_attempts=2), lambda _: None,
                      lambda: 0.5)
    with pytest.raises(RateLimitedError, match="after 2 attempts"):
        retrier.send(scripted(Stub(429), Stub(429)), "host")
    with pytest.raises(ProviderUnavailableError, match="HTTP 502"):
        retrier.send(scripted(Stub(500), Stub(502)), "host")
    with pytest.raises(NetworkDownError, match="cannot reach host: timed out"):
        retrier.send(scripted(requests.ConnectTimeout(), requests.ReadTimeout()), "host")
    assert retrier.send(scripted(Stub(404)), "host").status_code == 404  # not ours to retry


def test_reroute_only_rewrites_twilio_hosts() -> None:
    base = "http://127.0.0.1:4020/"
    assert reroute("https://api.twilio.com/2010-04-01/A.json?x=1", base) == (
        "http://127.0.0.1:4020/2010-04-01/A.json?x=1")
    assert reroute("https://api.dublin.ie1.twilio.com/x", base) == "http://127.0.0.1:4020/x"
    for other in ("https://evil-twilio.com/x", "https://example.com/api.twilio.com",
                  "http://api.twilio.com.example.net/x"):
        assert reroute(other, base) == other


def test_twilio_dates_parse_to_the_instant_they_name(monkeypatch: pytest.MonkeyPatch) -> None:
    for epoch in [0, T0, 2**31 - 1, *random.Random(3).sample(range(4 * 10**9), 500)]:
        text = rfc2822(epoch)
        assert text is not None
        assert parse_rfc2822(text) == email.utils.parsedate_to_datetime(text)
    assert parse_rfc2822("Mon, 14 Feb 2022 22:23:00 +0100") == datetime(2022, 2, 14, 21, 23,
                                                                        tzinfo=UTC)
    monkeypatch.setenv("TZ", "Asia/Tokyo")
    time.tzset()
    try:  # "-0000" means "zone unknown": UTC, never the machine's zone
        assert parse_rfc2822("Fri, 18 Oct 2019 17:02:00 -0000") == datetime(
            2019, 10, 18, 17, 2, tzinfo=UTC)
    finally:
        monkeypatch.undo()
        time.tzset()
    for junk in (None, "", "someday", "Fri, 32 Oct 2019 17:02:00 +0000"):
        assert parse_rfc2822(junk) is None
    with pytest.raises(TypeError):
        parse_rfc2822(20191018)


# ------------------------------------------------------------------ the provider
@pytest.fixture
def sleeps() -> list[float]:
    return []


@pytest.fixture
def connect(fake_twilio: FakeTwilio, sleeps: list[float]
            ) -> Iterator[Callable[..., TwilioProvider]]:
    """``connect(**overrides)``: a provider for the fake account; closed after the test."""
    made: list[TwilioProvider] = []

    def make(**overrides: Any) -> TwilioProvider:
        options: dict[str, Any] = {"auth_token": fake_twilio.auth_token,
                                   "base_url": fake_twilio.url, "sleep": sleeps.append,
                                   "policy": FAST, **overrides}
        provider = TwilioProvider(fake_twilio.account_sid, **options)
        made.append(provider)
        return provider

    yield make
    for provider in made:
        provider.close()


def all_calls(pages: Iterator[Page[CallRecord]]) -> list[CallRecord]:
    return [call for page in pages for call in page.records]


def fill(fake: FakeTwilio, count: int) -> list[str]:
    fake.add_number(TRACKING)
    return [fake.add_call(TRACKING, CALLER, T0 + 60 * i)[0].sid for i in range(count)]


def test_account_reports_the_standing(fake_twilio: FakeTwilio,
                                      connect: Callable[..., TwilioProvider]) -> None:
    account = connect().account()
    assert (account.sid, account.status) == (fake_twilio.account_sid, "active")
    assert account.friendly_name == "ppcdesk test account"


@pytest.mark.parametrize("status", ["suspended", "closed"])
def test_a_suspended_or_closed_account_is_named(
        fake_twilio: FakeTwilio, connect: Callable[..., TwilioProvider], status: str) -> None:
    fake_twilio.account_status = status
    with pytest.raises(AccountSuspendedError, match=status):
        connect().account()
    with pytest.raises(AccountSuspendedError, match="not active"):
        list(connect().calls(T0, None))


def test_pages_carry_a_cursor_that_resumes_the_listing(
        fake_twilio: FakeTwilio, connect: Callable[..., TwilioProvider]) -> None:
    sids = fill(fake_twilio, 25)
    pages = list(connect(page_size=10).calls(T0, T0 + 86_400))
    assert [len(page.records) for page in pages] == [10, 10, 5]
    assert pages[-1].next_cursor is None
    cursor = pages[0].next_cursor
    assert cursor is not None
    assert cursor.startswith(f"/2010-04-01/Accounts/{fake_twilio.account_sid}/Calls.json?")
    resumed = list(connect(page_size=10).calls(T0, T0 + 86_400, cursor=cursor))
    assert [p.records for p in resumed] == [p.records for p in pages[1:]]
    assert sorted(c.sid for p in pages for c in p.records) == sorted(sids)
    query = parse_qs(urlsplit(fake_twilio.requests[0].path).query)
    assert query["PageSize"] == ["10"]
    assert query["StartTime>"] == ["2026-01-01T00:00:00Z"]
    assert query["StartTime<"] == ["2026-01-02T00:00:00Z"]


def test_each_page_is_decoded_once_and_no_sdk_instance_is_built(
        fake_twilio: FakeTwilio, connect: Callable[..., TwilioProvider],
        monkeypatch: pytest.MonkeyPatch) -> None:
    """The records are those of the SDK's page (its ``_payload``, read through its
    ``load_page``), decoded by twilio_records.decode_page: one decoding per page, none by the
    standard library's ``json``, and never a ``CallInstance`` per record."""
    import json

    from ppcdesk.telephony import twilio_provider
    from twilio.rest.api.v2010.account.call import CallInstance

    fill(fake_twilio, 25)
    decoded: list[str] = []
    real_decode = twilio_provider.decode_page

    def counting_decode(body: str | bytes, key: str) -> Any:
        decoded.append(key)
        return real_decode(body, key)

    def refused(*_args: object, **_kwargs: object) -> None:
        raise AssertionError("a page was decoded twice, or an SDK instance built per record")

    monkeypatch.setattr(twilio_provider, "decode_page", counting_decode)
    monkeypatch.setattr(json, "loads", refused)
    monkeypatch.setattr(CallInstance, "__init__", refused)
    pages = list(connect(page_size=10).calls(T0, None))
    assert [len(page.records) for page in pages] == [10, 10, 5]
    assert decoded == ["calls"] * len(pages)


def test_start_filters_are_sent_in_utc_whatever_the_local_zone(
        fake_twilio: FakeTwilio, connect: Callable[..., TwilioProvider],
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TZ", "America/Los_Angeles")
    time.tzset()
    try:
        list(connect().calls(T0 + 3600, None))
        list(connect().recordings(T0))
    finally:
        monkeypatch.undo()
        time.tzset()
    calls, recordings = (parse_qs(urlsplit(r.path).query) for r in fake_twilio.requests)
    assert calls["StartTime>"] == ["2026-01-01T01:00:00Z"]
    assert "StartTime<" not in calls
    assert recordings["DateCreated>"] == ["2026-01-01T00:00:00Z"]


def test_a_cursor_of_another_listing_is_refused(connect: Callable[..., TwilioProvider]) -> None:
    with pytest.raises(ValueError, match="does not continue"):
        next(connect().calls(T0, None, cursor="/2010-04-01/Accounts/AC0/Recordings.json?x"))


def test_parent_and_child_legs_are_mapped(fake_twilio: FakeTwilio,
                                          connect: Callable[..., TwilioProvider]) -> None:
    number = fake_twilio.add_number(TRACKING)
    parent, child = fake_twilio.add_call(
        TRACKING, CALLER, T0, duration=130, price="-0.017000",
        children=[Child(BUYER, answer_after=20, duration=110, price="-0.026000")])
    by_sid = {c.sid: c for c in all_calls(connect().calls(T0, None))}
    assert by_sid[parent.sid] == CallRecord(
        sid=parent.sid, parent_sid=None, from_number=CALLER, to_number=TRACKING,
        status="completed", direction="inbound", started_at=T0, ended_at=T0 + 130,
        duration_s=130, cost_micros=17_000, phone_number_sid=number.sid)
    assert by_sid[child.sid] == CallRecord(
        sid=child.sid, parent_sid=parent.sid, from_number=CALLER, to_number=BUYER,
        status="completed", direction="outbound-dial", started_at=T0 + 20,
        ended_at=T0 + 130, duration_s=110, cost_micros=26_000, phone_number_sid=None)


def test_a_call_completes_and_its_price_arrives_between_two_syncs(
        fake_twilio: FakeTwilio, connect: Callable[..., TwilioProvider]) -> None:
    (call,) = fake_twilio.add_call(TRACKING, CALLER, T0, status="in-progress", duration=None,
                                   price=None)
    (first,) = all_calls(connect().calls(T0, None))
    assert (first.status, first.ended_at, first.duration_s, first.cost_micros) == (
        "in-progress", None, 0, None)
    fake_twilio.update_call(call.sid, status="completed", end_time=T0 + 61, duration=61)
    (second,) = all_calls(connect().calls(T0, None))
    assert (second.status, second.ended_at, second.duration_s, second.cost_micros) == (
        "completed", T0 + 61, 61, None)
    fake_twilio.update_call(call.sid, price="-0.017000")
    (third,) = all_calls(connect().calls(T0, None))
    assert third.cost_micros == 17_000


def test_a_released_number_disappears(fake_twilio: FakeTwilio,
                                      connect: Callable[..., TwilioProvider]) -> None:
    kept = fake_twilio.add_number(TRACKING, friendly_name="Plumbing")
    gone = fake_twilio.add_number("+18885550101")
    before = [n.sid for page in connect().numbers() for n in page.records]
    assert sorted(before) == sorted([kept.sid, gone.sid])
    fake_twilio.release_number(gone.sid)
    (page,) = list(connect().numbers())
    assert [(n.sid, n.e164, n.friendly_name) for n in page.records] == [
        (kept.sid, TRACKING, "Plumbing")]


def test_a_bad_record_is_reported_with_its_sid_and_the_listing_goes_on(
        fake_twilio: FakeTwilio, connect: Callable[..., TwilioProvider],
        caplog: pytest.LogCaptureFixture) -> None:
    good = fill(fake_twilio, 12)
    (priceless,) = fake_twilio.add_call(TRACKING, CALLER, T0 + 30, price="free")
    (undated,) = fake_twilio.add_call(TRACKING, CALLER, T0 + 40)
    record, body = fake_twilio.calls.rows[undated.sid]
    fake_twilio.calls.rows[undated.sid] = (record, body.replace(
        b'"start_time": "Thu', b'"start_time": "someday", "x": "Thu'))
    pages = list(connect(page_size=5).calls(T0, None))
    assert sorted(c.sid for p in pages for c in p.records) == sorted(good)
    bad = {error.sid: str(error) for p in pages for error in p.bad}
    assert set(bad) == {priceless.sid, undated.sid}
    assert "price 'free' is not an amount" in bad[priceless.sid]
    assert "start_time 'someday' is not a date" in bad[undated.sid]  # not read as "no date"
    assert priceless.sid in caplog.text


def test_401_is_credentials_rejected_and_not_retried(
        fake_twilio: FakeTwilio, connect: Callable[..., TwilioProvider]) -> None:
    with pytest.raises(CredentialsRejectedError, match=r"credentials rejected \(Twilio error "
                                                       r"20003\)"):
        next(connect(auth_token=WRONG).calls(T0, None))
    assert [r.status for r in fake_twilio.requests] == [401]


def test_a_malformed_account_sid_is_named_before_any_request() -> None:
    with pytest.raises(CredentialsRejectedError, match="AC followed by 32"):
        TwilioProvider("AC123", auth_token=ANY)


def test_connection_refused_is_network_down(sleeps: list[float]) -> None:
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with TwilioProvider("AC" + "0" * 32, auth_token=ANY, base_url=f"http://127.0.0.1:{port}",
                        sleep=sleeps.append, policy=FAST) as provider, pytest.raises(
            NetworkDownError, match="connection refused"):
        provider.account()
    assert len(sleeps) == FAST.network_attempts - 1


def test_faults_429_503_429_heal_and_every_record_comes_once(
        fake_twilio: FakeTwilio, connect: Callable[..., TwilioProvider],
        sleeps: list[float]) -> None:
    sids = fill(fake_twilio, 25)
    fake_twilio.fail_next([429, 503, 429], retry_after="1")
    pages = connect(page_size=10).calls(T0, None)
    first = next(pages)
    fake_twilio.fail_next([429, 503, 429, 0, 503])  # again, in the middle of the listing
    rest = list(pages)
    got = [c.sid for p in [first, *rest] for c in p.records]
    assert sorted(got) == sorted(sids)  # each once
    assert [r.status for r in fake_twilio.requests] == [
        429, 503, 429, 200, 429, 503, 429, 200, 503, 200]
    assert len(sleeps) == 7
    assert sleeps[0] >= 1.0
    assert sleeps[2] >= 1.0  # Retry-After: 1 honoured on both 429s


def test_a_dropped_connection_is_retried(fake_twilio: FakeTwilio,
                                         connect: Callable[..., TwilioProvider]) -> None:
    fill(fake_twilio, 3)
    fake_twilio.fail_next([-1])
    assert len(all_calls(connect().calls(T0, None))) == 3
    fake_twilio.fail_next([-1, -1])
    with pytest.raises(NetworkDownError, match="connection failed"):
        connect().account()


@pytest.mark.parametrize(("status", "error"), [(429, RateLimitedError),
                                               (503, ProviderUnavailableError),
                                               (500, ProviderUnavailableError)])
def test_faults_that_last_become_named_errors(
        fake_twilio: FakeTwilio, connect: Callable[..., TwilioProvider], status: int,
        error: type[ProviderError]) -> None:
    fake_twilio.fail_next([status] * FAST.max_attempts)
    with pytest.raises(error, match=f"HTTP {status}"):
        connect().account()
    assert len(fake_twilio.requests) == FAST.max_attempts


def test_other_errors_are_provider_errors(fake_twilio: FakeTwilio,
                                          connect: Callable[..., TwilioProvider]) -> None:
    fake_twilio.fail_next([404])
    with pytest.raises(ProviderError, match="HTTP 404"):
        connect().account()


def test_media_is_downloaded_to_the_target(
        fake_twilio: FakeTwilio, connect: Callable[..., TwilioProvider], tmp_path: Path) -> None:
    (call,) = fake_twilio.add_call(TRACKING, CALLER, T0)
    recording = fake_twilio.add_recording(call.sid, duration=12)
    (page,) = list(connect().recordings(T0 - 60))
    (listed,) = page.records
    assert (listed.sid, listed.call_sid, listed.duration_s, listed.cost_micros) == (
        recording.sid, call.sid, 12, 2500)
    target = tmp_path / "r.mp3"
    fake_twilio.fail_next([503])
    assert connect().download_recording(recording.sid, target) == len(fake_twilio.media)
    assert target.read_bytes() == fake_twilio.media
    assert fake_twilio.media.startswith((b"ID3", b"\xff"))  # a real MP3


def test_media_errors_are_named(fake_twilio: FakeTwilio, connect: Callable[..., TwilioProvider],
                                tmp_path: Path) -> None:
    with pytest.raises(BadRecordError, match="no audio"):
        connect().download_recording("RE" + "0" * 32, tmp_path / "x.mp3")
    with pytest.raises(BadRecordError, match="not a recording SID"):
        connect().download_recording("../../etc/passwd", tmp_path / "x.mp3")
    (call,) = fake_twilio.add_call(TRACKING, CALLER, T0)
    recording = fake_twilio.add_recording(call.sid)
    with pytest.raises(CredentialsRejectedError):
        connect(auth_token=WRONG).download_recording(recording.sid, tmp_path / "x.mp3")


def test_the_api_url_comes_from_the_environment(
        fake_twilio: FakeTwilio, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PPCDESK_TWILIO_API_URL", fake_twilio.url)
    with TwilioProvider(fake_twilio.account_sid, auth_token=fake_twilio.auth_token) as provider:
        assert provider.account().status == "active"


def test_api_keys_authenticate() -> None:
    key, secret = "SK" + "1" * 32, "api-key-secret-value"
    with FakeTwilio(api_keys={key: secret}) as fake, TwilioProvider(
            fake.account_sid, api_key_sid=key, api_key_secret=secret,
            base_url=fake.url) as provider:
        assert provider.account().status == "active"


def test_no_secret_in_logs_errors_or_repr(caplog: pytest.LogCaptureFixture, tmp_path: Path,
                                          sleeps: list[float]) -> None:
    caplog.set_level(logging.DEBUG)  # the SDK and urllib3 log requests at INFO and DEBUG
    key, secret = "SK" + "2" * 32, "the-api-key-secret-xyz"
    texts: list[str] = []
    with FakeTwilio(api_keys={key: secret}) as fake:
        fake.add_number(TRACKING)
        (call,) = fake.add_call(TRACKING, CALLER, T0)
        recording = fake.add_recording(call.sid)
        logins: list[tuple[dict[str, Any], str]] = [
            ({"auth_token": fake.auth_token}, fake.auth_token),
            ({"api_key_sid": key, "api_key_secret": secret}, secret)]
        for credentials, token in logins:
            provider = TwilioProvider(fake.account_sid, base_url=fake.url, sleep=sleeps.append,
                                      policy=FAST, **credentials)
            assert provider.account().status == "active"  # Twilio's answer holds auth_token
            fake.fail_next([429, 503, 0, -1])
            list(provider.numbers())
            list(provider.calls(T0, None))
            provider.download_recording(recording.sid, tmp_path / "r.mp3")
            fake.fail_next([503] * FAST.max_attempts + [-1] * FAST.network_attempts)
            for _ in range(2):
                with pytest.raises(ProviderError) as caught:
                    provider.account()
                texts += [str(caught.value), repr(caught.value), str(caught.value.__cause__)]
            texts.append(repr(provider))
            provider.close()
            assert token not in caplog.text
            assert all(token not in text for text in texts)
        with pytest.raises(CredentialsRejectedError) as rejected, TwilioProvider(
                fake.account_sid, auth_token=WRONG, base_url=fake.url) as wrong:
            wrong.account()
    assert WRONG not in str(rejected.value) + caplog.text
    assert "Twilio answered 429" in caplog.text  # the logs did see the traffic
