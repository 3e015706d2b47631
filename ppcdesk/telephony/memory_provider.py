"""An in-process telephony provider over plain lists: deterministic, mutable, with faults.

For sync tests (add a call, complete it, price it late, release a number, between two syncs),
for UI tests that need a provider without a network, and for scripts. It pages like Twilio:
newest first, a cursor per page (so a child leg, which starts after its parent, tends to come
on an earlier page than the parent), ``bad`` records beside the good ones, and each request is
written to ``requests`` so a test can see what the sync asked for.

    provider = MemoryProvider.generated(calls=500, seed=1, start=T0, days=10)
    provider.fail_at("calls", 3, NetworkDownError("offline"))  # the 3rd calls page fails
"""

from __future__ import annotations

import random
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

from ppcdesk.telephony.provider import (
    AccountStatus,
    BadRecordError,
    CallRecord,
    NumberRecord,
    Page,
    ProviderError,
    RecordingRecord,
)

T = TypeVar("T")
FAKE_MP3 = b"ID3\x04\x00\x00\x00\x00\x00\x00" + b"\xff\xfb\x90\x00" * 64


def sid(prefix: str, n: int) -> str:
    """A deterministic Twilio-shaped sid: ``sid("CA", 7)`` -> ``CA000...0007`` (34 chars)."""
    return f"{prefix}{n:032x}"


@dataclass
class MemoryProvider:
    """A Twilio account held in lists; every field may be changed between syncs."""

    account_sid: str = sid("AC", 1)
    friendly_name: str = "Memory account"
    status: str = "active"
    page_size: int = 50
    numbers_list: list[NumberRecord] = field(default_factory=list)
    calls_list: list[CallRecord] = field(default_factory=list)
    recordings_list: list[RecordingRecord] = field(default_factory=list)
    audio: dict[str, bytes] = field(default_factory=dict)
    bad_calls: list[BadRecordError] = field(default_factory=list)  # sent on the first page
    newest_first: bool = True  # False: pages follow the lists' own order
    requests: list[tuple[object, ...]] = field(default_factory=list)
    downloads: list[str] = field(default_factory=list)
    _faults: dict[tuple[str, int], ProviderError] = field(default_factory=dict)
    _served: dict[str, int] = field(default_factory=dict)

    # ------------------------------------------------------------ faults
    def fail_at(self, what: str, nth: int, error: ProviderError) -> None:
        """Raise ``error`` at the ``nth`` request (from 1) of ``what``: account, numbers, calls,
        recordings or download. Once: the next request of that kind succeeds again."""
        self._faults[(what, self._served.get(what, 0) + nth)] = error

    def _request(self, what: str, *details: object) -> None:
        count = self._served.get(what, 0) + 1
        self._served[what] = count
        self.requests.append((what, *details))
        error = self._faults.pop((what, count), None)
        if error is not None:
            raise error

    # ------------------------------------------------------------ the Protocol
    def account(self) -> AccountStatus:
        self._request("account")
        return AccountStatus(self.account_sid, self.friendly_name, self.status)

    def numbers(self) -> Iterator[Page[NumberRecord]]:
        return self._pages("numbers", sorted(self.numbers_list, key=lambda n: n.sid), None, ())

    def calls(self, started_from: int, started_before: int | None,
              cursor: str | None = None) -> Iterator[Page[CallRecord]]:
        chosen = [c for c in self.calls_list if c.started_at is not None
                  and c.started_at >= started_from
                  and (started_before is None or c.started_at < started_before)]
        if self.newest_first:
            chosen.sort(key=lambda c: (-(c.started_at or 0), c.sid))
        return self._pages("calls", chosen, cursor, tuple(self.bad_calls),
                           started_from, started_before)

    def recordings(self, created_from: int, cursor: str | None = None
                   ) -> Iterator[Page[RecordingRecord]]:
        chosen = sorted((r for r in self.recordings_list if (r.started_at or 0) >= created_from),
                        key=lambda r: (-(r.started_at or 0), r.sid))
        return self._pages("recordings", chosen, cursor, (), created_from)

    def download_recording(self, sid: str, target: Path) -> int:
        self._request("download", sid)
        data = self.audio.get(sid)
        if data is None:
            raise BadRecordError(sid, "no audio for this recording (404)")
        target.write_bytes(data)
        self.downloads.append(sid)
        return len(data)

    def delete_recording(self, sid: str) -> None:
        self._request("delete", sid)
        self.recordings_list = [r for r in self.recordings_list if r.sid != sid]
        self.audio.pop(sid, None)

    def _pages(self, what: str, records: Sequence[T], cursor: str | None,
               bad: tuple[BadRecordError, ...], *window: object) -> Iterator[Page[T]]:
        # The cursor is an offset into the listing; computed when the listing is made, so
        # the records a page shows are the ones that were there when it was asked for.
        offset = int(cursor) if cursor else 0
        while True:
            self._request(what, *window, str(offset) if offset else None)
            part = tuple(records[offset:offset + self.page_size])
            offset += len(part)
            following = str(offset) if offset < len(records) else None
            yield Page(part, following, bad if offset == len(part) else ())
            if following is None:
                return

    # ------------------------------------------------------------ building accounts
    def add_number(self, e164: str, friendly_name: str = "", n: int | None = None,
                   created_at: int | None = None) -> NumberRecord:
        number = NumberRecord(sid("PN", n if n is not None else len(self.numbers_list) + 1),
                              e164, friendly_name or e164, created_at)
        self.numbers_list.append(number)
        return number

    def release_number(self, e164: str) -> None:
        self.numbers_list = [n for n in self.numbers_list if n.e164 != e164]

    def replace_call(self, updated: CallRecord) -> None:
        """Swap a call leg for a newer version of itself (completed, priced, ...)."""
        self.calls_list = [updated if c.sid == updated.sid else c for c in self.calls_list]

    @classmethod
    def generated(cls, *, calls: int, seed: int, start: int, days: int = 30,
                  numbers: int = 5, buyers: Sequence[str] = ("+13105550100", "+13105550101"),
                  recordings_every: int = 4, page_size: int = 50) -> MemoryProvider:
        """A deterministic account: ``calls`` inbound calls over ``days`` from ``start``, most
        forwarded (a child leg to one of ``buyers``), every ``recordings_every``-th recorded."""
        rng = random.Random(seed)
        provider = cls(page_size=page_size)
        owned = [provider.add_number(f"+1800555{1000 + i:04d}", f"Line {i + 1}",
                                     created_at=start - 86_400) for i in range(numbers)]
        span = days * 86_400
        for i in range(calls):
            number = owned[rng.randrange(numbers)]
            begin = start + rng.randrange(span)
            answered = rng.random() < 0.7
            ring = rng.randrange(3, 25)
            talk = rng.randrange(20, 900) if answered else 0
            parent = CallRecord(
                sid("CA", 2 * i + 1), None, f"+1{rng.choice(['212', '602', '305'])}555"
                f"{rng.randrange(10_000):04d}", number.e164, "completed", "inbound", begin,
                begin + ring + talk, ring + talk, 8_500 * ((ring + talk) // 60 + 1), number.sid)
            provider.calls_list.append(parent)
            if rng.random() < 0.9:
                child = CallRecord(
                    sid("CA", 2 * i + 2), parent.sid, parent.from_number, rng.choice(buyers),
                    "completed" if answered else "no-answer", "outbound-dial",
                    begin + ring, begin + ring + talk, talk,
                    14_000 * (talk // 60 + 1) if answered else 0, None)
                provider.calls_list.append(child)
                if answered and i % recordings_every == 0:
                    rec = RecordingRecord(sid("RE", i + 1), parent.sid, begin + ring, talk, 2,
                                          "completed", 2_500 * (talk // 60 + 1))
                    provider.recordings_list.append(rec)
                    provider.audio[rec.sid] = FAKE_MP3 + rec.sid.encode()
        return provider
