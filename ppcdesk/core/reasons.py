"""Why a contract did not bill (or pay) a call: the billing engine's reason codes.

Each rule that fails adds its code. The engine keeps them as a list of codes with sentences
(``call_outcomes.reasons``, JSON) and as one integer of bits (``call_outcomes.flags``) that SQL
can test cheaply: ``flags & 4`` finds the duplicates among a million outcomes without parsing JSON.
A call with no flag qualified. The bits are stored: never renumber one, only add new ones.
"""

from __future__ import annotations

from enum import IntFlag, StrEnum


class Reason(StrEnum):
    """A rule's verdict, as a stable machine code (``--json``, exports, the KPI catalogue)."""

    NOT_FINAL = "not_final"  # still ringing or in progress: decided when it completes
    NOT_CONNECTED = "not_connected"  # no buyer answered
    SHORT = "short"  # connected less than the buffer
    DUPLICATE = "duplicate"  # the same caller within the duplicate window
    AFTER_HOURS = "after_hours"  # outside the business hours, or on a closed date
    GEO_BLOCKED = "geo_blocked"  # the caller's state or area code is not allowed
    GEO_UNKNOWN = "geo_unknown"  # the caller's state is unknown and the contract refuses those
    CALLER_BLOCKED = "caller_blocked"  # anonymous, invalid, outside US/CA, or on the blocklist
    OVER_CAP = "over_cap"  # the hourly, daily, weekly or monthly cap was already reached
    OVER_CONCURRENCY = "over_concurrency"  # too many calls with the buyer at once
    MANUAL = "manual"  # a person overrode the engine (an outcome adjustment)

    @property
    def flag(self) -> ReasonFlag:
        return ReasonFlag[self.name]


class ReasonFlag(IntFlag):
    """The bits of ``call_outcomes.flags``; one per :class:`Reason`, same names."""

    NOT_FINAL = 1 << 0
    NOT_CONNECTED = 1 << 1
    SHORT = 1 << 2
    DUPLICATE = 1 << 3
    AFTER_HOURS = 1 << 4
    GEO_BLOCKED = 1 << 5
    GEO_UNKNOWN = 1 << 6
    CALLER_BLOCKED = 1 << 7
    OVER_CAP = 1 << 8
    OVER_CONCURRENCY = 1 << 9
    MANUAL = 1 << 10

    # Groups the KPI catalogue counts:
    BLOCKED = GEO_BLOCKED | GEO_UNKNOWN | CALLER_BLOCKED


def flags_of(reasons: list[Reason] | tuple[Reason, ...]) -> int:
    """The ``flags`` integer of a list of reasons."""
    bits = ReasonFlag(0)
    for reason in reasons:
        bits |= reason.flag
    return int(bits)
