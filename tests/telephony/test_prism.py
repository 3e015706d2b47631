"""TwilioProvider against Twilio's own API description, served by Prism behind the fault proxy.

What this proves that the fake server cannot: the official SDK, our HTTP client and our mapping
read the payloads Twilio publishes (string durations, negative string prices, RFC 2822 dates,
null end times, paging links) and survive 429 and 503 answers. Prism serves one example page
forever, so listings are bounded here; behaviour lives in test_twilio_provider.py.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from typing import Any, Protocol

import pytest
from ppcdesk.telephony.provider import CallRecord, Page
from ppcdesk.telephony.retry import RetryPolicy
from ppcdesk.telephony.twilio_provider import TwilioProvider


class PrismPeer(Protocol):
    """What the ``prism`` fixture (conftest.py) gives: the proxy's URL and its fault plan."""

    url: str
    account_sid: str

    def set_faults(self, plan: list[int | str], retry_after: str | None = None) -> None: ...

    def served(self) -> list[list[Any]]: ...


PRISM_ACCOUNT = "AC" + "a" * 32  # the account the spec's examples (and their links) name

# The spec's first Calls example, as Twilio writes it: "-0.200" USD, "4" seconds,
# "Fri, 18 Oct 2019 17:02:00 +0000" to 17:03:00.
EXAMPLE_CALL = CallRecord(
    sid="CA" + "a" * 32, parent_sid="CAdeadbeefdeadbeefdeadbeefdeadbeef",
    from_number="+13051416799", to_number="+13051913581", status="completed",
    direction="outbound-api", started_at=1_571_418_120, ended_at=1_571_418_180, duration_s=4,
    cost_micros=200_000, phone_number_sid="PNdeadbeefdeadbeefdeadbeefdeadbeef")
ANY_CREDENTIAL = "prism-accepts-any-basic-credentials"
MAX_PAGES = 10  # Prism's example page links to itself: never follow it without a bound


@pytest.fixture
def connect(prism: PrismPeer) -> Iterator[Callable[..., TwilioProvider]]:
    """``connect()``: a provider on the proxy; sleeps are recorded in ``connect.sleeps``."""
    prism.set_faults([])
    made: list[TwilioProvider] = []
    sleeps: list[float] = []

    def make() -> TwilioProvider:
        provider = TwilioProvider(PRISM_ACCOUNT, auth_token=ANY_CREDENTIAL,
                                  base_url=prism.url, sleep=sleeps.append,
                                  policy=RetryPolicy(max_attempts=6))
        made.append(provider)
        return provider

    make.sleeps = sleeps  # type: ignore[attr-defined]
    yield make
    for provider in made:
        provider.close()


def bounded(pages: Iterator[Page[CallRecord]]) -> list[Page[CallRecord]]:
    return list(itertools.islice(pages, MAX_PAGES))


def test_the_account_resource_maps(connect: Callable[..., TwilioProvider]) -> None:
    account = connect().account()
    assert (account.sid, account.status) == (PRISM_ACCOUNT, "active")


def test_calls_map_from_twilios_own_example(connect: Callable[..., TwilioProvider]) -> None:
    pages = bounded(connect().calls(1_571_000_000, 1_572_000_000))
    first = pages[0]
    assert first.records[0] == EXAMPLE_CALL
    second = first.records[1]
    assert (second.direction, second.duration_s, second.cost_micros) == ("inbound", 3, 100_000)
    assert first.bad == ()
    assert first.next_cursor is not None
    assert first.next_cursor.startswith(f"/2010-04-01/Accounts/{PRISM_ACCOUNT}/Calls.json?")
    assert "PageToken=" in first.next_cursor
    # Page 2 is the example again, linking to itself: the provider stops and says why.
    assert len(pages) == 2
    assert pages[1].next_cursor is None
    assert "same next-page link twice" in str(pages[1].bad[0])


def test_a_cursor_from_twilios_link_resumes(connect: Callable[..., TwilioProvider],
                                            prism: PrismPeer) -> None:
    cursor = next(connect().calls(1_571_000_000, None)).next_cursor
    assert cursor is not None
    prism.set_faults([])
    resumed = bounded(connect().calls(1_571_000_000, None, cursor=cursor))
    assert resumed[0].records[0] == EXAMPLE_CALL
    (method, path, _), *_ = prism.served()
    assert (method, path) == ("GET", cursor)  # the link, unchanged, on the mock's host


def test_numbers_and_recordings_map(connect: Callable[..., TwilioProvider]) -> None:
    provider = connect()
    (numbers,) = list(provider.numbers())
    assert [(n.sid, n.e164, n.friendly_name) for n in numbers.records] == [
        ("PN" + "a" * 32, "+18089255327", "(808) 925-5327")]
    (recordings,) = list(provider.recordings(1_400_000_000))
    (recording,) = recordings.records
    assert (recording.sid, recording.call_sid, recording.duration_s, recording.channels) == (
        "RE" + "a" * 32, "CA" + "a" * 32, 4, 1)
    assert recording.cost_micros == 40_000  # the example writes "0.04", unsigned
    assert recording.started_at == 1_476_482_194  # Fri, 14 Oct 2016 21:56:34 +0000


def test_a_date_with_an_offset_is_read_as_the_instant_it_names(
        connect: Callable[..., TwilioProvider], prism: PrismPeer) -> None:
    """The spec's own example writes "22:23:00 +0100"; the SDK alone would read 22:23 UTC."""
    prism.set_faults(["example=readIncludeSoftDeleted"])
    (page,) = list(connect().recordings(1_600_000_000))
    assert {r.sid: (r.started_at, r.status) for r in page.records} == {
        "RE" + "a" * 32: (1_644_873_780, "deleted"),  # 21:23 UTC
        "RE" + "a" * 31 + "b": (1_644_877_380, "completed")}  # 22:23 UTC


def test_generated_payloads_are_reported_record_by_record(
        connect: Callable[..., TwilioProvider], prism: PrismPeer) -> None:
    """Prism's schema-generated answer (null end times, null numbers, lorem-ipsum durations
    and prices) never aborts the listing: each junk record comes back as a BadRecordError
    naming its sid."""
    prism.set_faults(["dynamic=true"])  # Prism runs with --seed: the same answer every run
    (page,) = bounded(connect().calls(1_571_000_000, None))
    assert page.bad
    assert all(error.sid.startswith("CA") for error in page.bad)
    assert len(page.records) + len(page.bad) == 2
    assert page.next_cursor is None


def test_faults_429_503_429_then_success_return_every_record_once(
        connect: Callable[..., TwilioProvider], prism: PrismPeer) -> None:
    provider = connect()
    # The Calls listing: three faults, the example page, then an empty last page.
    prism.set_faults([429, 503, 429, 0, "example=readEmptyDatesGreater"], retry_after="2")
    calls = [c.sid for page in bounded(provider.calls(1_571_000_000, None))
             for c in page.records]
    assert sorted(calls) == sorted(["CA" + "a" * 32, "CA" + "a" * 31 + "0"])
    served = [fault for _, _, fault in prism.served()]
    assert served == [429, 503, 429, "forward", "example=readEmptyDatesGreater"]
    sleeps = connect.sleeps  # type: ignore[attr-defined]
    assert len(sleeps) == 3
    assert sleeps[0] >= 2.0
    assert sleeps[2] >= 2.0  # Retry-After honoured
    for listing in (provider.numbers, lambda: provider.recordings(0)):
        prism.set_faults([429, 503, 429])
        sids = [record.sid for page in listing() for record in page.records]
        assert len(sids) == len(set(sids)) == 1
