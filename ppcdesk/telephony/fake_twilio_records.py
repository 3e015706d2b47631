"""Hold the fake Twilio account's records: build them, render Twilio's JSON, store and page them.

Why apart from the server (fake_twilio.py): what an account holds (numbers, call legs,
recordings, a generated history) and how a listing is filtered and paged is plain data, testable
without a socket; the server only routes, authenticates and injects faults. Rendering is string
formatting, not json.dumps of a dict, because generating 100,000 calls must take about a second.
"""

from __future__ import annotations

import bisect
import calendar
import functools
import itertools
import random
import re
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from json.encoder import encode_basestring_ascii
from typing import Generic, TypeVar

API = "/2010-04-01"
DAY = 86_400
_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_WHEN = re.compile(r"(\d{4}-\d{2}-\d{2})(?:[T ](\d{2}):(\d{2}):(\d{2})Z?)?")
_NANP = re.compile(r"\+1(\d{3})(\d{3})(\d{4})")
_CALL_SUBRESOURCES = tuple(
    (re.sub(r"(?<!^)([A-Z])", r"_\1", name).lower(), name) for name in (
        "Notifications", "Recordings", "Payments", "Events", "Siprec", "Streams",
        "Transcriptions", "UserDefinedMessageSubscriptions", "UserDefinedMessages"))


def rfc2822(epoch: int | None) -> str | None:
    """Format epoch seconds as Twilio does (``Fri, 18 Oct 2019 17:02:00 +0000``), locale-free."""
    if epoch is None:
        return None
    day, second = divmod(epoch, DAY)
    hour, second = divmod(second, 3600)
    return f"{_day_text(day)} {hour:02d}:{second // 60:02d}:{second % 60:02d} +0000"


@functools.cache  # a generated month has 30 days and 200,000 timestamps
def _day_text(day: int) -> str:
    t = time.gmtime(day * DAY)
    return f"{_DAYS[t.tm_wday]}, {t.tm_mday:02d} {_MONTHS[t.tm_mon - 1]} {t.tm_year}"


def price_text(micros: int | None) -> str | None:
    """Write a charge as Twilio does: a negative decimal string (8500 micros -> ``-0.008500``)."""
    if micros is None:
        return None
    return f"-{micros // 1_000_000}.{micros % 1_000_000:06d}"


def _j(value: str | None) -> str:
    return "null" if value is None else encode_basestring_ascii(value)


def _formatted(e164: str) -> str:
    match = _NANP.fullmatch(e164)
    return f"({match[1]}) {match[2]}-{match[3]}" if match else e164


# ------------------------------------------------------------------ records
@dataclass(frozen=True, slots=True)
class FakeNumber:
    sid: str
    phone_number: str
    friendly_name: str
    date_created: int


@dataclass(frozen=True, slots=True)
class FakeCall:
    """One call leg as Twilio stores it (``from_`` is the caller; prices are negative text)."""

    sid: str
    to: str
    from_: str
    start_time: int | None
    end_time: int | None = None
    duration: int | None = None  # None is sent as null (busy, unanswered, ongoing)
    status: str = "completed"
    direction: str = "inbound"
    parent_call_sid: str | None = None
    phone_number_sid: str | None = None
    price: str | None = None  # None: not rated yet
    date_created: int = 0
    date_updated: int = 0


@dataclass(frozen=True, slots=True)
class FakeRecording:
    sid: str
    call_sid: str  # always the parent leg
    start_time: int
    duration: int
    date_created: int
    status: str = "completed"
    price: str | None = "-0.002500"
    channels: int = 1


@dataclass(frozen=True, slots=True)
class Child:
    """A forwarded leg for ``FakeTwilio.add_call``: the buyer's line, answered after a delay."""

    to: str
    answer_after: int = 5
    duration: int | None = 30
    status: str = "completed"
    price: str | None = "-0.013000"


@dataclass(frozen=True, slots=True)
class GeneratedSummary:
    numbers: int
    parents: int
    children: int
    recordings: int
    first_start: int
    last_start: int


def leg(sid: str, to: str, from_: str, start: int | None, duration: int | None, *,
        status: str = "completed", price: str | None = None, direction: str = "inbound",
        parent: str | None = None, number_sid: str | None = None,
        ended: int | None = None) -> FakeCall:
    """Make a call leg; a completed one ends ``duration`` seconds after it started."""
    if ended is None and status == "completed" and start is not None and duration is not None:
        ended = start + duration
    created = start if start is not None else int(time.time())
    return FakeCall(sid, to, from_, start, ended, duration, status, direction, parent,
                    number_sid, price, created, ended or created)


def per_minute(seconds: int, micros_per_minute: int) -> str | None:
    """Price a leg as Twilio bills it: each started minute (61 s -> 2 minutes)."""
    return price_text(-(-seconds // 60) * micros_per_minute)


# ------------------------------------------------------------------ a generated history
def generate_account(n_calls: int, seed: int, *, start: int, days: int, n_numbers: int
                     ) -> tuple[list[FakeNumber], list[FakeCall], list[FakeRecording],
                                GeneratedSummary]:
    """Make ``n_calls`` parent calls with their legs and recordings; see FakeTwilio.generate."""
    rng = random.Random(seed)

    def sid(prefix: str) -> str:
        return f"{prefix}{rng.getrandbits(128):032x}"

    numbers = [FakeNumber(sid("PN"), f"+1888555{i:04d}", f"Campaign {i + 1}",
                          start - 30 * DAY + i) for i in range(n_numbers)]
    buyers = [f"+1{rng.choice((212, 305, 415, 512, 602, 718))}555{i:04d}" for i in range(6)]
    starts = sorted(rng.randrange(start, start + days * DAY) for _ in range(n_calls))
    live = n_calls - n_calls // 200
    unrated = live - n_calls // 100
    legs: list[FakeCall] = []
    recordings: list[FakeRecording] = []
    for index, began in enumerate(starts):
        number = numbers[rng.randrange(n_numbers)]
        caller = f"+1{rng.randrange(201, 990)}{rng.randrange(2_000_000, 10_000_000)}"
        ivr, ring = rng.randint(2, 20), rng.randint(3, 25)
        talk = min(3600, int(rng.expovariate(1 / 150)) + 1)
        roll, ongoing = rng.random(), index >= live
        status = "in-progress" if ongoing else "completed"
        parent = sid("CA")
        group: list[FakeCall] = []
        if roll < 0.78:  # the buyer answered
            answered = began + ivr + ring
            group.append(leg(sid("CA"), rng.choice(buyers), caller, answered, talk,
                             status=status, price=per_minute(talk, 13_000),
                             direction="outbound-dial", parent=parent))
            length = ivr + ring + talk
            if rng.random() < 0.5 and not ongoing:
                recordings.append(FakeRecording(sid("RE"), parent, answered, talk,
                                                answered + talk, channels=2))
        elif roll < 0.88:  # forwarded, nobody picked up
            group.append(leg(sid("CA"), rng.choice(buyers), caller, began + ivr, None,
                             status=rng.choice(("no-answer", "busy")),
                             direction="outbound-dial", parent=parent, ended=began + ivr + ring))
            length = ivr + ring
        else:  # hung up in the IVR
            length = ivr
        group.insert(0, leg(parent, number.phone_number, caller, began, length, status=status,
                            price=per_minute(length, 8_500), number_sid=number.sid))
        if ongoing:  # a live call: nothing ended, nothing rated yet
            group = [replace(g, end_time=None, duration=None, price=None)
                     if g.status == "in-progress" else g for g in group]
        elif index >= unrated:
            group = [replace(g, price=None) for g in group]
        legs.extend(group)
    summary = GeneratedSummary(n_numbers, n_calls, len(legs) - n_calls, len(recordings),
                               starts[0] if starts else start, starts[-1] if starts else start)
    return numbers, legs, recordings, summary


# ------------------------------------------------------------------ JSON as Twilio sends it
def render_number(account_sid: str, n: FakeNumber) -> bytes:
    created = _j(rfc2822(n.date_created))
    return (f'{{"account_sid": "{account_sid}", "address_requirements": "none", "api_version": '
            f'"2010-04-01", "beta": false, "capabilities": {{"voice": true, "sms": true, '
            f'"mms": false, "fax": false}}, "date_created": {created}, "date_updated": '
            f'{created}, "friendly_name": {_j(n.friendly_name)}, "origin": "twilio", '
            f'"phone_number": {_j(n.phone_number)}, "sid": "{n.sid}", "status": "in-use", '
            f'"trunk_sid": null, "uri": "{API}/Accounts/{account_sid}/IncomingPhoneNumbers/'
            f'{n.sid}.json", "voice_method": "POST", "voice_url": "https://example.com/voice", '
            f'"type": "local"}}').encode()


def render_call(account_sid: str, c: FakeCall) -> bytes:
    """Render a leg's JSON; ``subresource_uris`` comes last, spliced by ``CallSplicer``."""
    return CallSplicer(account_sid)(c.sid, render_call_compact(account_sid, c))


def render_call_compact(account_sid: str, c: FakeCall) -> bytes:
    """Render a leg's JSON without ``subresource_uris``, half its size, kept per stored leg."""
    duration = None if c.duration is None else str(c.duration)
    return (f'{{"account_sid": "{account_sid}", "answered_by": null, "api_version": '
            f'"2010-04-01", "caller_name": null, "date_created": {_j(rfc2822(c.date_created))}, '
            f'"date_updated": {_j(rfc2822(c.date_updated))}, "direction": {_j(c.direction)}, '
            f'"duration": {_j(duration)}, "end_time": {_j(rfc2822(c.end_time))}, '
            f'"forwarded_from": null, "from": {_j(c.from_)}, "from_formatted": '
            f'{_j(_formatted(c.from_))}, "group_sid": null, "parent_call_sid": '
            f'{_j(c.parent_call_sid)}, "phone_number_sid": {_j(c.phone_number_sid)}, '
            f'"price": {_j(c.price)}, "price_unit": "USD", "sid": "{c.sid}", "start_time": '
            f'{_j(rfc2822(c.start_time))}, "status": {_j(c.status)}, "to": {_j(c.to)}, '
            f'"to_formatted": {_j(_formatted(c.to))}, "trunk_sid": null, "uri": '
            f'"{API}/Accounts/{account_sid}/Calls/{c.sid}.json", "queue_time": "0"}}').encode()


class CallSplicer:
    """Add the nine ``subresource_uris`` (1.1 kB that differ only by sid) to a compact leg.

    Why: they are half of every call's bytes on the wire; storing them for 200,000 legs would
    cost 200 MB, while splicing them in while serving costs a microsecond a leg.
    """

    def __init__(self, account_sid: str) -> None:
        base = f"{API}/Accounts/{account_sid}/Calls/"
        self._parts = [b', "subresource_uris": {"' + _CALL_SUBRESOURCES[0][0].encode()
                       + b'": "' + base.encode()]
        for (_, name), (key, _) in itertools.pairwise(_CALL_SUBRESOURCES):
            self._parts.append(f'/{name}.json", "{key}": "{base}'.encode())
        self._parts.append(f'/{_CALL_SUBRESOURCES[-1][1]}.json"}}}}'.encode())

    def __call__(self, sid: str, compact: bytes) -> bytes:
        return compact[:-1] + sid.encode().join(self._parts)


def render_recording(account_sid: str, r: FakeRecording) -> bytes:
    base = f"{API}/Accounts/{account_sid}/Recordings/{r.sid}"
    created = _j(rfc2822(r.date_created))
    return (f'{{"account_sid": "{account_sid}", "api_version": "2010-04-01", "call_sid": '
            f'"{r.call_sid}", "conference_sid": null, "channels": {r.channels}, "date_created": '
            f'{created}, "date_updated": {created}, "start_time": {_j(rfc2822(r.start_time))}, '
            f'"price": {_j(r.price)}, "price_unit": "USD", "duration": "{r.duration}", "sid": '
            f'"{r.sid}", "source": "DialVerb", "status": {_j(r.status)}, "error_code": null, '
            f'"encryption_details": null, "uri": "{base}.json", "subresource_uris": '
            f'{{"add_on_results": "{base}/AddOnResults.json", "transcriptions": '
            f'"{base}/Transcriptions.json"}}, "media_url": "https://api.twilio.com{base}"}}'
            ).encode()


# ------------------------------------------------------------------ storing and paging
Key = tuple[int, str]  # (-sort epoch, sid): ascending order is newest first
R = TypeVar("R", FakeNumber, FakeCall, FakeRecording)


class Collection(Generic[R]):
    """Records in list order with their pre-rendered JSON; keyset paging over the keys."""

    def __init__(self, sort_epoch: Callable[[R], int], render: Callable[[R], bytes],
                 splice: Callable[[str, bytes], bytes] | None = None) -> None:
        self._sort_epoch: Callable[[R], int] = sort_epoch
        self._render: Callable[[R], bytes] = render
        self.splice = splice
        self.keys: list[Key] = []
        self.rows: dict[str, tuple[R, bytes]] = {}

    def put(self, record: R) -> None:
        self.remove(record.sid)
        bisect.insort(self.keys, (-self._sort_epoch(record), record.sid))
        self.rows[record.sid] = (record, self._render(record))

    def put_many(self, records: Iterable[R]) -> None:
        """Add or replace many records with one sort (100,000 insorts would be quadratic)."""
        batch = {record.sid: record for record in records}
        for sid in batch:
            self.remove(sid)  # while the keys are still sorted
        for sid, record in batch.items():
            self.keys.append((-self._sort_epoch(record), sid))
            self.rows[sid] = (record, self._render(record))
        self.keys.sort()

    def remove(self, sid: str) -> R | None:
        row = self.rows.pop(sid, None)
        if row is None:
            return None
        del self.keys[bisect.bisect_left(self.keys, (-self._sort_epoch(row[0]), sid))]
        return row[0]

    def select(self, oldest: int | None, newest: int | None, after: Key | None, skip: int,
               keep: Callable[[R], bool], limit: int) -> list[tuple[Key, bytes]]:
        """Return up to ``limit`` matches with sort epoch in [oldest, newest], after a key."""
        lo = 0 if newest is None else bisect.bisect_left(self.keys, (-newest, ""))
        if after is not None:
            lo = max(lo, bisect.bisect_right(self.keys, after))
        hi = len(self.keys) if oldest is None else bisect.bisect_right(self.keys, (-oldest, "~"))
        found: list[tuple[Key, bytes]] = []
        for index in range(lo, hi):  # indexing, not a slice: no copy of the list's tail
            key = self.keys[index]
            record, body = self.rows[key[1]]
            if keep(record):
                if skip:
                    skip -= 1
                    continue
                found.append((key, self.splice(key[1], body) if self.splice else body))
                if len(found) == limit:
                    break
        return found


def date_bounds(query: dict[str, str], field: str) -> tuple[int | None, int | None]:
    """Read ``Field>`` (on or after), ``Field<`` (before), ``Field`` (that day) as epochs."""
    oldest = newest = None
    if not field:
        return None, None
    if f"{field}>" in query:
        oldest = _span(query[f"{field}>"])[0]
    if f"{field}<" in query:
        newest = _span(query[f"{field}<"])[0] - 1
    if field in query:
        first, last = _span(query[field])
        oldest = first if oldest is None else max(first, oldest)
        newest = last if newest is None else min(last, newest)
    return oldest, newest


def _span(text: str) -> tuple[int, int]:
    """Read a date filter value: a day (``2026-01-31``) or a second (``...T10:00:00Z``)."""
    match = _WHEN.fullmatch(text)
    if match is None:
        raise ValueError(f"Invalid date {text!r}")
    day = calendar.timegm(time.strptime(match[1], "%Y-%m-%d"))
    if match[2] is None:
        return day, day + DAY - 1
    second = day + int(match[2]) * 3600 + int(match[3]) * 60 + int(match[4])
    return second, second
