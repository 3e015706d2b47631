"""Read Twilio's list pages and their JSON records as provider records.

Why not the SDK's ``CallInstance``: building one object per record, each with its own date
parsing, cost twice the transfer and ``json.loads`` of a 100k-call listing. The SDK still does
the transport, the auth, the paging links and the errors (twilio_provider.py); this module
decodes a page's body and reads the fields ppcdesk keeps, more strictly than the SDK: a value
of the wrong type, a date that is not a date, a price that is not an amount makes the record a
BadRecordError that names its sid, so one odd record never aborts a listing. It never imports
``twilio``.

A page is decoded by msgspec straight into one small struct per record holding only the fields
read here (``CallFields``...), each typed ``Any``: the decoder skips the other ~25 fields of a
call without building them, and checks nothing, so every check stays below, per record. That
cost a sixth of ``json.loads`` of the whole page (1.1 ms against 9.6 ms for 1000 calls). A
page whose shape the structs cannot hold (a record that is not an object) is decoded again
loosely, and each record read on its own.

Each reader takes one record as Twilio sends it, for example a call leg::

    {"sid": "CA...", "parent_call_sid": null, "from": "+13055550123", "to": "+18885550100",
     "status": "completed", "direction": "inbound", "start_time": "Thu, 01 Jan 2026 00:00:00
     +0000", "end_time": "...", "duration": "130", "price": "-0.01700", "phone_number_sid": "PN..."}

To read a new field: add it to the record in provider.py and to its ``*Fields`` struct here,
read it with the checker of its kind (``_text``, ``_sid``, ``epoch``, ``_seconds``, ``_cost``),
and add a row to the tests.
"""

from __future__ import annotations

import email.utils
import functools
import re
from datetime import UTC, datetime
from typing import Any, TypeVar

import msgspec

from ppcdesk.core.errors import MoneyError
from ppcdesk.core.money import to_micros
from ppcdesk.telephony.provider import BadRecordError, CallRecord, NumberRecord, RecordingRecord

SID = {prefix: re.compile(rf"{prefix}[0-9a-fA-F]{{32}}") for prefix in ("AC", "CA", "PN", "RE")}
_CALL_SID = SID["CA"].fullmatch
# Twilio's own form of a date, "Thu, 01 Jan 2026 13:45:12 +0000", read as its minute (cached:
# a page of a listing spans a few hours) plus one of 60 known endings, ":12 +0000".
_MINUTE = re.compile(r"[A-Z][a-z]{2}, (\d{2}) ([A-Z][a-z]{2}) (\d{4}) ([01]\d|2[0-3]):([0-5]\d)")
_ENDINGS = {f":{second:02d} +0000": second for second in range(60)}
_MONTHS = {name: number for number, name in enumerate(
    ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"), 1)}


# ------------------------------------------------------------------ what is decoded
# gc=False: decoded JSON holds no cycles, and untracked structs are cheaper to make and free.
class CallFields(msgspec.Struct, rename={"from_": "from"}, gc=False):
    """The fields of a Calls record that are read, as sent (absent: None)."""

    sid: Any = None
    parent_call_sid: Any = None
    from_: Any = None
    to: Any = None
    status: Any = None
    direction: Any = None
    start_time: Any = None
    end_time: Any = None
    duration: Any = None
    price: Any = None
    phone_number_sid: Any = None


class NumberFields(msgspec.Struct, gc=False):
    sid: Any = None
    phone_number: Any = None
    friendly_name: Any = None
    date_created: Any = None


class RecordingFields(msgspec.Struct, gc=False):
    sid: Any = None
    call_sid: Any = None
    start_time: Any = None
    duration: Any = None
    channels: Any = None
    status: Any = None
    price: Any = None


class _CallsPage(msgspec.Struct, rename={"records": "calls"}, gc=False):
    records: list[CallFields]
    next_page_uri: Any = None


class _NumbersPage(msgspec.Struct, rename={"records": "incoming_phone_numbers"}, gc=False):
    records: list[NumberFields]
    next_page_uri: Any = None


class _RecordingsPage(msgspec.Struct, rename={"records": "recordings"}, gc=False):
    records: list[RecordingFields]
    next_page_uri: Any = None


_PAGES: dict[str, msgspec.json.Decoder[Any]] = {
    "calls": msgspec.json.Decoder(_CallsPage),
    "incoming_phone_numbers": msgspec.json.Decoder(_NumbersPage),
    "recordings": msgspec.json.Decoder(_RecordingsPage),
}
PAGE_KEYS = tuple(_PAGES)  # the key of each listing's records in its page


def decode_page(body: str | bytes, key: str) -> dict[str, Any]:
    """Decode a list page as ``{key: [records], "next_page_uri": ...}``, its records structs.

    Raises ValueError for text that is not JSON. A page that is JSON but not of the expected
    shape comes back decoded as it is (a dict, or whatever the JSON was), for the caller's
    checks (the SDK's Page finds the records, or says it cannot).
    """
    try:
        page = _PAGES[key].decode(body)
    except msgspec.ValidationError:
        try:
            loose: dict[str, Any] = msgspec.json.decode(body)
        except msgspec.DecodeError as exc:
            raise ValueError(f"a page that is not JSON ({exc})") from None
        return loose
    except msgspec.DecodeError as exc:  # not JSON at all
        raise ValueError(f"a page that is not JSON ({exc})") from None
    return {key: page.records, "next_page_uri": page.next_page_uri}


S = TypeVar("S", CallFields, NumberFields, RecordingFields)


def _fields(item: object, kind: type[S]) -> S:
    """A record as its struct: decoded so already, or converted from a JSON object."""
    if item.__class__ is kind:
        return item  # checked just above
    if not isinstance(item, dict):
        raise BadRecordError("", f"unreadable record (a JSON {type(item).__name__}, "
                                 "not an object)")
    try:
        return msgspec.convert(item, kind)
    except msgspec.ValidationError as exc:  # a key that is not text
        sid = item.get("sid")
        raise BadRecordError(sid if isinstance(sid, str) else "", str(exc)) from None


# ------------------------------------------------------------------ records
def call_record(item: object) -> CallRecord:
    """One call leg, parent or child; BadRecordError when a field cannot be read."""
    call = _fields(item, CallFields)
    try:
        return _call(call)
    except (ValueError, TypeError) as exc:
        raise _bad(call, exc) from None


def _call(call: CallFields) -> CallRecord:
    # The hot path of a sync (one call per leg): each check is inline for the common case
    # and leaves the uncommon one (null, a number, junk) to the field's reader.
    sid, parent, status, direction = call.sid, call.parent_call_sid, call.status, call.direction
    started, ended = epoch(call.start_time, "start_time"), epoch(call.end_time, "end_time")
    if status == "completed" and (started is None or ended is None):
        raise ValueError("a completed call without its start or end time")
    caller, called, number = call.from_, call.to, call.phone_number_sid
    if caller.__class__ is not str or called.__class__ is not str:
        raise TypeError("from or to is missing")
    duration, price = call.duration, call.price
    return CallRecord(
        sid if sid.__class__ is str and _CALL_SID(sid) else _sid(sid, "CA"),
        (parent if parent.__class__ is str and _CALL_SID(parent)
         else _sid(parent, "CA", "parent_call_sid")) if parent else None,
        caller, called,
        status if status.__class__ is str and status else _text(status, "status"),
        direction if direction.__class__ is str and direction else _text(direction,
                                                                         "direction"),
        started, ended,
        int(duration) if duration.__class__ is str and duration.isdigit() and duration.isascii()
        else _seconds(duration, "duration"),
        _cost_of(price) if price.__class__ is str and price else _cost(price),
        number if number.__class__ is str and number else None)


def number_record(item: object) -> NumberRecord:
    """One IncomingPhoneNumber the account owns."""
    number = _fields(item, NumberFields)
    try:
        name = number.friendly_name
        return NumberRecord(
            sid=_sid(number.sid, "PN"),
            e164=_text(number.phone_number, "phone_number"),
            friendly_name=str(name) if name else "",
            created_at=epoch(number.date_created, "date_created"))
    except (ValueError, TypeError) as exc:
        raise _bad(number, exc) from None


def recording_record(item: object) -> RecordingRecord:
    """One recording's metadata; its ``call_sid`` names the parent leg."""
    recording = _fields(item, RecordingFields)
    try:
        return RecordingRecord(
            sid=_sid(recording.sid, "RE"),
            call_sid=_sid(recording.call_sid, "CA", "call_sid"),
            started_at=epoch(recording.start_time, "start_time"),
            # Twilio writes -1 while a recording is still being processed.
            duration_s=_seconds(recording.duration, "duration", unknown=-1),
            channels=_channels(recording.channels),
            status=_text(recording.status, "status"),
            cost_micros=_cost(recording.price))
    except (ValueError, TypeError) as exc:
        raise _bad(recording, exc) from None


# ------------------------------------------------------------------ dates
def epoch(value: object, field: str) -> int | None:
    """Read a Twilio date as UTC epoch seconds; None for null or empty (not happened yet).

    Twilio's own form ("Thu, 01 Jan 2026 13:45:12 +0000") is read as a cached minute plus
    one of 60 known endings; any other RFC 2822 date by the standard library, its offset
    honoured; anything else is an error.
    """
    if value.__class__ is str:
        second = _ENDINGS.get(value[22:])
        if second is not None:
            minute = _minute_epoch(value[:22])
            if minute is not None:
                return minute + second
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise TypeError(f"{field} {value!r} is not a date")
    parsed = parse_rfc2822(value)
    if parsed is None:
        raise ValueError(f"{field} {value!r} is not a date")
    return int(parsed.timestamp())


def _twilio_form(value: str) -> int | None:
    """Epoch seconds of a date in Twilio's own form, else None (read it the slow way)."""
    second = _ENDINGS.get(value[22:])
    if second is None:
        return None
    minute = _minute_epoch(value[:22])
    return None if minute is None else minute + second


@functools.lru_cache(maxsize=4096)
def _minute_epoch(text: str) -> int | None:
    """ "Thu, 01 Jan 2026 13:45" -> that minute in UTC epoch seconds; None if no such minute."""
    match = _MINUTE.fullmatch(text)
    if match is None or match[2] not in _MONTHS:
        return None
    day, month, year, hour, minute = match.groups()
    try:
        return int(datetime(int(year), _MONTHS[month], int(day), int(hour), int(minute),
                            tzinfo=UTC).timestamp())
    except ValueError:  # 31 Feb
        return None


def parse_rfc2822(value: Any) -> datetime | None:
    """Read an RFC 2822 date as an aware UTC datetime, honouring a non-zero offset.

    Like the SDK's parser it answers None for None or text that is not a date and raises
    TypeError for a value that is not text; unlike it, "22:23:00 +0100" is 21:23 UTC (the SDK
    drops the offset), and "-0000" (zone unknown) is UTC, never the machine's zone.
    """
    if value is None:
        return None
    if not isinstance(value, str):
        raise TypeError(f"{value!r} is not a date")
    seconds = _twilio_form(value)
    if seconds is not None:
        return datetime.fromtimestamp(seconds, UTC)
    try:
        parsed = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


# ------------------------------------------------------------------ fields
def _bad(record: CallFields | NumberFields | RecordingFields,
         problem: Exception) -> BadRecordError:
    """Name the record by its sid when it has one that is text (it may be what is wrong)."""
    sid = record.sid
    return BadRecordError(sid if isinstance(sid, str) else "", str(problem))


def _sid(value: object, prefix: str, what: str = "sid") -> str:
    if not isinstance(value, str) or not SID[prefix].fullmatch(value):
        raise ValueError(f"{what} {value!r} is not a {prefix} SID")
    return value


def _text(value: object, field: str) -> str:
    if not isinstance(value, str) or not value:
        raise ValueError(f"{field} is missing")
    return value


def _seconds(value: object, field: str, *, unknown: int | None = None) -> int:
    """``"130"`` or ``130`` -> 130; null or empty -> 0 (not known yet); ``unknown`` -> 0."""
    if value is None or value == "" or (unknown is not None and str(value) == str(unknown)):
        return 0
    text = str(value) if isinstance(value, int | str) and not isinstance(value, bool) else ""
    if not (text.isascii() and text.isdigit()):
        raise ValueError(f"{field} {value!r} is not a number of seconds")
    return int(text)


def _channels(value: object) -> int:
    """A recording's channel count (``2`` or ``"2"``); anything else reads as mono."""
    if isinstance(value, str) and value.isascii() and value.isdigit():
        value = int(value)
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else 1


def _cost(value: object) -> int | None:
    """Read Twilio's price (``"-0.0085"``, charges are negative) as a positive cost."""
    if value is None or value == "":
        return None
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise TypeError(f"price {value!r} is not an amount")
    return _cost_of(str(value))  # str() of a JSON number is its shortest exact text


@functools.lru_cache(maxsize=4096)  # a few hundred distinct prices cover a whole account
def _cost_of(text: str) -> int:
    try:
        return abs(to_micros(text))
    except MoneyError as exc:
        raise ValueError(f"price {text!r} is not an amount") from exc
