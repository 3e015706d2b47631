"""twilio_records: Twilio's decoded JSON records into provider records, field by field.

Each table row is one field of a record Twilio might send, and what ppcdesk reads from it: a
value, or the BadRecordError (naming the sid) that skips the record. The records start from
what the fake Twilio server renders, so a valid row speaks the real wire format.
"""

from __future__ import annotations

import json
import random
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, TypeVar

import pytest
from ppcdesk.telephony import twilio_records
from ppcdesk.telephony.fake_twilio_records import rfc2822
from ppcdesk.telephony.provider import BadRecordError, CallRecord, NumberRecord, RecordingRecord
from ppcdesk.telephony.twilio_records import decode_page, epoch, parse_rfc2822

R = TypeVar("R")


def both_ways(read: Callable[[object], R], key: str) -> Callable[[object], R]:
    """``read`` twice: the record as a JSON object, and as decode_page decodes it in a page
    (the sync's path); both must give the same record, or the same error."""

    def outcome(item: object) -> R | tuple[str, str]:
        try:
            return read(item)
        except BadRecordError as exc:
            return exc.sid, str(exc)

    def reader(item: object) -> R:
        loose = outcome(item)
        page = decode_page(json.dumps({key: [item], "next_page_uri": None}), key)
        assert outcome(page[key][0]) == loose, f"{item!r} reads differently in a page"
        return read(item)

    return reader


call_record = both_ways(twilio_records.call_record, "calls")
number_record = both_ways(twilio_records.number_record, "incoming_phone_numbers")
recording_record = both_ways(twilio_records.recording_record, "recordings")

T0 = 1_767_225_600  # 2026-01-01 00:00:00 UTC, "Thu, 01 Jan 2026 00:00:00 +0000"
CA, PARENT, PN, RE = "CA" + "1" * 32, "CA" + "a" * 32, "PN" + "2" * 32, "RE" + "3" * 32
UNSET = object()


def call(**changes: Any) -> dict[str, Any]:
    """A completed inbound parent leg as Twilio sends it; ``UNSET`` drops a field."""
    record: dict[str, Any] = {
        "sid": CA, "parent_call_sid": None, "from": "+13055550123", "to": "+18885550100",
        "status": "completed", "direction": "inbound", "start_time": rfc2822(T0),
        "end_time": rfc2822(T0 + 130), "duration": "130", "price": "-0.01700",
        "price_unit": "USD", "phone_number_sid": PN, "answered_by": None}
    record.update(changes)
    return {key: value for key, value in record.items() if value is not UNSET}


def test_a_call_is_read_field_by_field() -> None:
    assert call_record(call()) == CallRecord(
        sid=CA, parent_sid=None, from_number="+13055550123", to_number="+18885550100",
        status="completed", direction="inbound", started_at=T0, ended_at=T0 + 130,
        duration_s=130, cost_micros=17_000, phone_number_sid=PN)


@pytest.mark.parametrize(("changes", "field", "read"), [
    ({"parent_call_sid": PARENT}, "parent_sid", PARENT),
    ({"parent_call_sid": ""}, "parent_sid", None),
    ({"phone_number_sid": None}, "phone_number_sid", None),
    ({"phone_number_sid": ""}, "phone_number_sid", None),
    ({"phone_number_sid": 7}, "phone_number_sid", None),
    ({"from": ""}, "from_number", ""),  # a withheld caller
    ({"status": "in-progress", "end_time": None}, "ended_at", None),
    ({"status": "queued", "start_time": None, "end_time": None}, "started_at", None),
    ({"status": "busy", "start_time": "", "end_time": ""}, "started_at", None),
    ({"start_time": "Mon, 14 Feb 2022 22:23:00 +0100"}, "started_at", 1_644_873_780),
    ({"start_time": "Thu, 01 Jan 2026 00:00:00 -0000"}, "started_at", T0),
    ({"start_time": "Thu, 1 Jan 2026 00:00:00 GMT"}, "started_at", T0),
    ({"duration": "0"}, "duration_s", 0),
    ({"duration": 42}, "duration_s", 42),
    ({"duration": None}, "duration_s", 0),
    ({"duration": ""}, "duration_s", 0),
    ({"price": None}, "cost_micros", None),  # not rated yet
    ({"price": ""}, "cost_micros", None),
    ({"price": "-0.0085"}, "cost_micros", 8_500),
    ({"price": "0.0085"}, "cost_micros", 8_500),
    ({"price": -0.0085}, "cost_micros", 8_500),  # a JSON number
    ({"price": 0}, "cost_micros", 0),
])
def test_call_fields_that_read(changes: dict[str, Any], field: str, read: object) -> None:
    assert getattr(call_record(call(**changes)), field) == read


@pytest.mark.parametrize(("changes", "problem"), [
    ({"sid": "CA123"}, "sid 'CA123' is not a CA SID"),
    ({"sid": PN}, "is not a CA SID"),
    ({"sid": None}, "sid None is not a CA SID"),
    ({"sid": UNSET}, "sid None is not a CA SID"),
    ({"parent_call_sid": "CAxyz"}, "parent_call_sid 'CAxyz' is not a CA SID"),
    ({"parent_call_sid": 12}, "parent_call_sid 12 is not a CA SID"),
    ({"status": None}, "status is missing"),
    ({"status": ""}, "status is missing"),
    ({"status": 3}, "status is missing"),
    ({"direction": UNSET}, "direction is missing"),
    ({"from": None}, "from or to is missing"),
    ({"to": UNSET}, "from or to is missing"),
    ({"to": 18885550100}, "from or to is missing"),
    ({"start_time": "someday"}, "start_time 'someday' is not a date"),
    ({"start_time": "Fri, 32 Oct 2019 17:02:00 +0000"}, "is not a date"),
    ({"start_time": "Thu, 01 Jan 2026 24:00:00 +0000"}, "is not a date"),
    ({"start_time": 1767225600}, "start_time 1767225600 is not a date"),
    ({"end_time": ["Thu"]}, "end_time ['Thu'] is not a date"),
    ({"start_time": None}, "a completed call without its start or end time"),
    ({"end_time": None}, "a completed call without its start or end time"),
    ({"duration": "-1"}, "duration '-1' is not a number of seconds"),
    ({"duration": "1.5"}, "duration '1.5' is not a number of seconds"),
    ({"duration": "١٢"}, "is not a number of seconds"),  # digits, but not ASCII ones
    ({"duration": True}, "duration True is not a number of seconds"),
    ({"price": "free"}, "price 'free' is not an amount"),
    ({"price": True}, "price True is not an amount"),
    ({"price": {"amount": 1}}, "is not an amount"),
])
def test_call_fields_that_make_a_bad_record(changes: dict[str, Any], problem: str) -> None:
    with pytest.raises(BadRecordError, match=problem.replace("[", r"\[").replace("(", r"\(")
                       ) as caught:
        call_record(call(**changes))
    sid = changes.get("sid", CA)
    assert caught.value.sid == (sid if isinstance(sid, str) else "")


@pytest.mark.parametrize("item", [None, "CA", 3, ["sid"]])
def test_a_record_that_is_not_an_object_is_unreadable(item: object) -> None:
    for read in (call_record, number_record, recording_record):
        with pytest.raises(BadRecordError, match="unreadable record") as caught:
            read(item)
        assert caught.value.sid == ""


def test_a_number_is_read_field_by_field() -> None:
    number = {"sid": PN, "phone_number": "+18885550100", "friendly_name": "Plumbing",
              "date_created": rfc2822(T0), "capabilities": {"voice": True}}
    assert number_record(number) == NumberRecord(PN, "+18885550100", "Plumbing", T0)
    assert number_record({**number, "friendly_name": None, "date_created": None}) == (
        NumberRecord(PN, "+18885550100", "", None))
    for changes, problem in [({"sid": "PN1"}, "is not a PN SID"),
                             ({"phone_number": ""}, "phone_number is missing"),
                             ({"phone_number": None}, "phone_number is missing"),
                             ({"date_created": "yesterday"}, "date_created 'yesterday'")]:
        with pytest.raises(BadRecordError, match=problem):
            number_record({**number, **changes})


def test_a_recording_is_read_field_by_field() -> None:
    recording = {"sid": RE, "call_sid": CA, "start_time": rfc2822(T0), "duration": "12",
                 "channels": 1, "status": "completed", "price": "-0.0025", "source": "DialVerb"}
    assert recording_record(recording) == RecordingRecord(RE, CA, T0, 12, 1, "completed", 2500)
    for changes, field, read in [({"duration": "-1"}, "duration_s", 0),  # still processing
                                 ({"duration": -1}, "duration_s", 0),
                                 ({"channels": 2}, "channels", 2),
                                 ({"channels": "2"}, "channels", 2),
                                 ({"channels": None}, "channels", 1),
                                 ({"channels": 0}, "channels", 1),
                                 ({"channels": "-1"}, "channels", 1),
                                 ({"channels": True}, "channels", 1),
                                 ({"price": None}, "cost_micros", None),
                                 ({"start_time": None}, "started_at", None)]:
        assert getattr(recording_record({**recording, **changes}), field) == read
    for changes, problem in [({"sid": CA}, "is not a RE SID"),
                             ({"call_sid": None}, "call_sid None is not a CA SID"),
                             ({"status": None}, "status is missing"),
                             ({"duration": "-2"}, "is not a number of seconds"),
                             ({"price": "n/a"}, "is not an amount")]:
        with pytest.raises(BadRecordError, match=problem) as caught:
            recording_record({**recording, **changes})
        assert caught.value.sid == (RE if changes.get("sid", RE) == RE else CA)


def test_the_fast_date_reader_agrees_with_the_general_one() -> None:
    for seconds in [0, T0, 2**31 - 1, *random.Random(5).sample(range(4 * 10**9), 2000)]:
        text = rfc2822(seconds)
        assert epoch(text, "start_time") == seconds
        assert parse_rfc2822(text) == datetime.fromtimestamp(seconds, UTC)


def test_records_read_from_a_whole_json_page_of_the_fake() -> None:
    """The fake's rendered bytes, decoded once, read as the adapter reads them."""
    from ppcdesk.telephony.fake_twilio import Child, FakeTwilio

    with FakeTwilio() as fake:
        fake.add_number("+18885550100")
        parent, child = fake.add_call("+18885550100", "+13055550123", T0, duration=130,
                                      price="-0.017000",
                                      children=[Child("+12125550199", answer_after=20,
                                                      duration=110, price=None)])
        items = [json.loads(body) for _record, body in fake.calls.rows.values()]
    by_sid = {record.sid: record for record in map(call_record, items)}
    assert by_sid[parent.sid].cost_micros == 17_000
    assert by_sid[child.sid].parent_sid == parent.sid
    assert (by_sid[child.sid].started_at, by_sid[child.sid].cost_micros) == (T0 + 20, None)


def test_a_page_is_decoded_with_its_next_link() -> None:
    body = json.dumps({"calls": [call(), call(sid=PARENT)], "next_page_uri": "/next",
                       "page": 0, "page_size": 2, "uri": "/this"})
    page = decode_page(body, "calls")
    assert [twilio_records.call_record(item).sid for item in page["calls"]] == [CA, PARENT]
    assert page["next_page_uri"] == "/next"


def test_a_page_with_a_record_that_is_not_an_object_keeps_the_others() -> None:
    page = decode_page(json.dumps({"calls": [call(), 7, call(sid=PARENT)]}), "calls")
    read = []
    for item in page["calls"]:
        try:
            read.append(twilio_records.call_record(item).sid)
        except BadRecordError as exc:
            read.append(str(exc))
    assert read == [CA, "record without sid: unreadable record (a JSON int, not an object)",
                    PARENT]


@pytest.mark.parametrize("body", ['{"calls": [', "<html>busy</html>", ""])
def test_a_page_that_is_not_json_is_a_value_error(body: str) -> None:
    with pytest.raises(ValueError, match="not JSON"):
        decode_page(body, "calls")


def test_a_page_of_another_shape_comes_back_as_it_is() -> None:
    assert decode_page('{"code": 20404, "message": "Not found"}', "calls") == {
        "code": 20404, "message": "Not found"}
    assert decode_page("[1, 2]", "calls") == [1, 2]
