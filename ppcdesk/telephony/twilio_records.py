"""Read Twilio's decoded JSON records (the dicts the SDK's page parsed) as provider records.

Why not the SDK's ``CallInstance``: building one object per record, each with its own date
parsing, cost twice the transfer and ``json.loads`` of a 100k-call listing. The SDK still does
the transport, the auth, the paging and the errors (twilio_provider.py); this module only reads
the fields ppcdesk keeps, and more strictly than the SDK: a value of the wrong type, a date that
is not a date, a price that is not an amount makes the record a BadRecordError that names its
sid, so one odd record never aborts a listing. It never imports ``twilio``.

Each reader takes one record as Twilio sends it, for example a call leg::

    {"sid": "CA...", "parent_call_sid": null, "from": "+13055550123", "to": "+18885550100",
     "status": "completed", "direction": "inbound", "start_time": "Thu, 01 Jan 2026 00:00:00
     +0000", "end_time": "...", "duration": "130", "price": "-0.01700", "phone_number_sid": "PN..."}

To read a new field: add it to the record in provider.py, read it here with the checker of its
kind (``_text``, ``_sid``, ``epoch``, ``_seconds``, ``_cost``), and add a row to the tests.
"""

from __future__ import annotations

import email.utils
import functools
import re
from datetime import UTC, datetime
from typing import Any

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


# ------------------------------------------------------------------ records
def call_record(item: object) -> CallRecord:
    """One call leg, parent or child; BadRecordError when a field cannot be read."""
    call = _object(item)
    try:
        return _call(call)
    except (ValueError, TypeError) as exc:
        raise _bad(call, exc) from None


def _call(call: dict[str, Any]) -> CallRecord:
    # The hot path of a sync (one call per leg): each check is inline for the common case
    # and leaves the uncommon one (null, a number, junk) to the field's reader.
    get = call.get
    sid, parent, status, direction = (get("sid"), get("parent_call_sid"), get("status"),
                                      get("direction"))
    started, ended = epoch(get("start_time"), "start_time"), epoch(get("end_time"), "end_time")
    if status == "completed" and (started is None or ended is None):
        raise ValueError("a completed call without its start or end time")
    caller, called, number = get("from"), get("to"), get("phone_number_sid")
    if caller.__class__ is not str or called.__class__ is not str:
        raise TypeError("from or to is missing")
    duration, price = get("duration"), get("price")
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
    number = _object(item)
    try:
        name = number.get("friendly_name")
        return NumberRecord(
            sid=_sid(number.get("sid"), "PN"),
            e164=_text(number.get("phone_number"), "phone_number"),
            friendly_name=str(name) if name else "",
            created_at=epoch(number.get("date_created"), "date_created"))
    except (ValueError, TypeError) as exc:
        raise _bad(number, exc) from None


def recording_record(item: object) -> RecordingRecord:
    """One recording's metadata; its ``call_sid`` names the parent leg."""
    recording = _object(item)
    try:
        return RecordingRecord(
            sid=_sid(recording.get("sid"), "RE"),
            call_sid=_sid(recording.get("call_sid"), "CA", "call_sid"),
            started_at=epoch(recording.get("start_time"), "start_time"),
            # Twilio writes -1 while a recording is still being processed.
            duration_s=_seconds(recording.get("duration"), "duration", unknown=-1),
            channels=_channels(recording.get("channels")),
            status=_text(recording.get("status"), "status"),
            cost_micros=_cost(recording.get("price")))
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
def _object(item: object) -> dict[str, Any]:
    if not isinstance(item, dict):
        raise BadRecordError("", f"unreadable record (a JSON {type(item).__name__}, "
                                 "not an object)")
    return item


def _bad(record: dict[str, Any], problem: Exception) -> BadRecordError:
    """Name the record by its sid when it has one that is text (it may be what is wrong)."""
    sid = record.get("sid")
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
