"""The fake Twilio server speaks Twilio's wire format and keeps the state tests give it.

These tests use a plain HTTP client, not the provider: they pin what the server sends, so a
provider test that passes against it proves something about Twilio's format.
"""

from __future__ import annotations

import email.utils
import json
from typing import Any

import pytest
import requests
from ppcdesk.telephony.fake_twilio import Child, FakeTwilio
from ppcdesk.telephony.fake_twilio_records import generate_account, rfc2822

T0 = 1_767_225_600  # 2026-01-01 00:00:00 UTC
TRACKING, CALLER, BUYER = "+18885550100", "+13055550123", "+12125550199"


def get(fake: FakeTwilio, path: str, *, auth: tuple[str, str] | None = None,
        **params: Any) -> requests.Response:
    credentials = auth or (fake.account_sid, fake.auth_token)
    url = path if path.startswith("http") else f"{fake.url}{path}"
    return requests.get(url, params=params, auth=credentials, timeout=10,
                        allow_redirects=False)


def calls_path(fake: FakeTwilio) -> str:
    return f"/2010-04-01/Accounts/{fake.account_sid}/Calls.json"


def test_rfc2822_matches_twilios_format() -> None:
    assert rfc2822(1_571_418_120) == "Fri, 18 Oct 2019 17:02:00 +0000"
    assert rfc2822(None) is None
    for epoch in (0, T0, T0 + 86_399, 2_000_000_000):
        text = rfc2822(epoch)
        assert text is not None
        assert email.utils.parsedate_to_datetime(text).timestamp() == epoch


def test_a_call_has_twilios_field_names_and_string_values(fake_twilio: FakeTwilio) -> None:
    fake_twilio.add_number(TRACKING)
    parent, child = fake_twilio.add_call(TRACKING, CALLER, T0, duration=95,
                                         children=[Child(BUYER, answer_after=12, duration=80)])
    body = get(fake_twilio, calls_path(fake_twilio), PageSize=50).json()
    by_sid = {call["sid"]: call for call in body["calls"]}
    wire = by_sid[parent.sid]
    assert wire["from"] == CALLER
    assert wire["to"] == TRACKING
    assert wire["direction"] == "inbound"
    assert wire["duration"] == "95"
    assert wire["price"] == "-0.008500"
    assert wire["price_unit"] == "USD"
    assert wire["start_time"] == "Thu, 01 Jan 2026 00:00:00 +0000"
    assert wire["end_time"] == "Thu, 01 Jan 2026 00:01:35 +0000"
    assert wire["phone_number_sid"].startswith("PN")
    assert wire["parent_call_sid"] is None
    assert wire["subresource_uris"]["recordings"].endswith(f"/Calls/{parent.sid}/Recordings.json")
    leg = by_sid[child.sid]
    assert (leg["parent_call_sid"], leg["direction"], leg["from"], leg["to"]) == (
        parent.sid, "outbound-dial", CALLER, BUYER)
    assert leg["start_time"] == "Thu, 01 Jan 2026 00:00:12 +0000"
    assert set(body) == {"calls", "end", "first_page_uri", "next_page_uri", "page", "page_size",
                         "previous_page_uri", "start", "uri"}


def test_an_ongoing_call_sends_nulls(fake_twilio: FakeTwilio) -> None:
    (call,) = fake_twilio.add_call(TRACKING, CALLER, T0, duration=None, status="in-progress",
                                   price=None)
    (wire,) = get(fake_twilio, calls_path(fake_twilio)).json()["calls"]
    assert (wire["status"], wire["end_time"], wire["duration"], wire["price"]) == (
        "in-progress", None, None, None)
    done = fake_twilio.update_call(call.sid, status="completed", end_time=T0 + 40, duration=40,
                                   price="-0.008500")
    (wire,) = get(fake_twilio, calls_path(fake_twilio)).json()["calls"]
    assert (wire["status"], wire["duration"], wire["price"]) == ("completed", "40", "-0.008500")
    assert done.date_updated >= T0 + 40


def test_keyset_pages_follow_next_page_uri_and_survive_an_insert(
        fake_twilio: FakeTwilio) -> None:
    for minute in range(7):
        fake_twilio.add_call(TRACKING, CALLER, T0 + 60 * minute)
    first = get(fake_twilio, calls_path(fake_twilio), PageSize=3).json()
    assert [c["start_time"][17:22] for c in first["calls"]] == ["00:06", "00:05", "00:04"]
    fake_twilio.add_call(TRACKING, CALLER, T0 + 3600)  # newer than all: must not shift pages
    seen = [c["sid"] for c in first["calls"]]
    link = first["next_page_uri"]
    while link:
        page = get(fake_twilio, link).json()
        assert page["page_size"] == 3
        seen += [c["sid"] for c in page["calls"]]
        link = page["next_page_uri"]
    assert len(seen) == len(set(seen)) == 7


def test_calls_filters(fake_twilio: FakeTwilio) -> None:
    parent, child = fake_twilio.add_call(TRACKING, CALLER, T0 + 100, children=[Child(BUYER)])
    fake_twilio.add_call(TRACKING, "+14155550000", T0 + 86_400)
    fake_twilio.add_call(TRACKING, CALLER, None, status="queued", duration=None)

    def sids(**params: Any) -> set[str]:
        return {c["sid"] for c in get(fake_twilio, calls_path(fake_twilio), **params).json()[
            "calls"]}

    assert sids(**{"StartTime>": "2026-01-01T00:01:40Z", "StartTime<": "2026-01-02"}) == {
        parent.sid, child.sid}
    assert sids(**{"StartTime>": "2026-01-01T00:01:41Z", "StartTime<": "2026-01-02"}) == {
        child.sid}  # on or after; before
    assert sids(StartTime="2026-01-02") != set()
    assert sids(ParentCallSid=parent.sid) == {child.sid}
    assert sids(From="+14155550000", Status="completed") != set()
    assert sids(To=BUYER) == {child.sid}
    assert len(sids()) == 4  # the queued call, never dialled, only without StartTime filters


@pytest.mark.parametrize("size", ["0", "1001", "ten"])
def test_page_size_is_checked(fake_twilio: FakeTwilio, size: str) -> None:
    answer = get(fake_twilio, calls_path(fake_twilio), PageSize=size)
    assert answer.status_code == 400
    assert set(answer.json()) == {"code", "message", "more_info", "status"}


def test_wrong_credentials_get_401_with_error_20003(fake_twilio: FakeTwilio) -> None:
    answer = get(fake_twilio, calls_path(fake_twilio), auth=(fake_twilio.account_sid, "wrong"))
    assert answer.status_code == 401
    assert answer.json()["code"] == 20003
    assert requests.get(f"{fake_twilio.url}{calls_path(fake_twilio)}",
                        timeout=10).status_code == 401


def test_api_keys_authenticate() -> None:
    with FakeTwilio(api_keys={"SK" + "1" * 32: "key-secret"}) as fake:
        answer = get(fake, calls_path(fake), auth=("SK" + "1" * 32, "key-secret"))
        assert answer.status_code == 200


def test_a_suspended_account_reads_as_suspended(fake_twilio: FakeTwilio) -> None:
    fake_twilio.account_status = "suspended"
    account = get(fake_twilio, f"/2010-04-01/Accounts/{fake_twilio.account_sid}.json")
    assert account.json()["status"] == "suspended"
    answer = get(fake_twilio, calls_path(fake_twilio))
    assert (answer.status_code, answer.json()["code"]) == (401, 20005)


def test_fault_plan_answers_in_order_and_logs(fake_twilio: FakeTwilio) -> None:
    fake_twilio.fail_next([429, 503, 0, 500], retry_after="2")
    statuses = [get(fake_twilio, calls_path(fake_twilio)) for _ in range(5)]
    assert [a.status_code for a in statuses] == [429, 503, 200, 500, 200]
    assert statuses[0].headers["Retry-After"] == "2"
    assert statuses[0].json() == {"code": 20429, "message": "Too Many Requests",
                                  "more_info": "https://www.twilio.com/docs/errors/20429",
                                  "status": 429}
    assert [r.status for r in fake_twilio.requests] == [429, 503, 200, 500, 200]


def test_a_dropped_connection_is_a_connection_error(fake_twilio: FakeTwilio) -> None:
    fake_twilio.fail_next([-1])
    with pytest.raises(requests.ConnectionError):
        get(fake_twilio, calls_path(fake_twilio))


def test_media_needs_auth_and_redirects_to_signed_storage(fake_twilio: FakeTwilio) -> None:
    (call,) = fake_twilio.add_call(TRACKING, CALLER, T0)
    recording = fake_twilio.add_recording(call.sid, duration=12)
    media = f"/2010-04-01/Accounts/{fake_twilio.account_sid}/Recordings/{recording.sid}.mp3"
    assert requests.get(f"{fake_twilio.url}{media}", timeout=10).status_code == 401
    redirect = get(fake_twilio, media)
    assert redirect.status_code == 302
    audio = requests.get(redirect.headers["Location"], timeout=10)
    assert audio.headers["Content-Type"] == "audio/mpeg"
    assert audio.content == fake_twilio.media
    listed = get(fake_twilio, f"/2010-04-01/Accounts/{fake_twilio.account_sid}/Recordings.json"
                 ).json()["recordings"]
    assert listed[0]["media_url"] == f"https://api.twilio.com{media[:-4]}"
    assert (listed[0]["call_sid"], listed[0]["duration"]) == (call.sid, "12")


def test_a_released_number_disappears(fake_twilio: FakeTwilio) -> None:
    kept, gone = fake_twilio.add_number(TRACKING), fake_twilio.add_number("+18885550101")
    fake_twilio.release_number(gone.sid)
    listed = get(fake_twilio, f"/2010-04-01/Accounts/{fake_twilio.account_sid}/"
                              "IncomingPhoneNumbers.json").json()["incoming_phone_numbers"]
    assert [n["sid"] for n in listed] == [kept.sid]
    assert listed[0]["phone_number"] == TRACKING


def test_generate_is_deterministic_and_realistic() -> None:
    numbers, legs, recordings, summary = generate_account(2000, 7, start=T0, days=10,
                                                          n_numbers=5)
    again = generate_account(2000, 7, start=T0, days=10, n_numbers=5)
    assert [c.sid for c in legs] == [c.sid for c in again[1]]
    parents = [c for c in legs if c.parent_call_sid is None]
    children = [c for c in legs if c.parent_call_sid is not None]
    assert len(parents) == summary.parents == 2000
    assert len(children) == summary.children
    assert 0.8 < len(children) / len(parents) < 0.95
    assert {c.direction for c in children} == {"outbound-dial"}
    assert {c.parent_call_sid for c in children} <= {p.sid for p in parents}
    assert {r.call_sid for r in recordings} <= {p.sid for p in parents}
    assert all(T0 <= p.start_time < T0 + 10 * 86_400 for p in parents if p.start_time)
    assert sum(c.status == "in-progress" for c in parents) == 10  # the newest 0.5%
    assert sum(c.price is None and c.status == "completed" for c in parents) >= 20
    assert {n.sid for n in numbers} >= {p.phone_number_sid for p in parents}


@pytest.mark.slow
def test_generate_fills_100000_calls() -> None:
    """The benchmark's account: 100,000 calls served in pages of 1000 (how long generating
    takes is bench_sync's to show, not a test's: a loaded machine would fail it)."""
    with FakeTwilio() as fake:
        summary = fake.generate(100_000, seed=1)
        page = get(fake, calls_path(fake), PageSize=1000).json()
    assert summary.parents == 100_000
    assert len(page["calls"]) == 1000
    assert page["next_page_uri"]
    json.dumps(page)  # the page is plain JSON
