"""What the billing engine reads about a call and what it decides: plain immutable values.

The engine never reads the database: the billing job loads :class:`CallFacts` rows (one cheap
tuple each, a million fit in memory), hands them over with the contract's :class:`Terms`, and
stores the :class:`Outcome` values it gets back.
"""

from __future__ import annotations

from typing import NamedTuple

from ppcdesk.core.reasons import Reason, flags_of


class CallFacts(NamedTuple):
    """One inbound call, as the rules see it. Times are UTC epoch seconds.

    Example: a caller from Phoenix whose call started at 14:00 local, rang 12 s, and talked
    84 s with Desert Auto: ``CallFacts(7, "CA7", started_at, 120, 84, started_at + 12,
    "+16025550123", "AZ", "Auto", "Acme Media", "Desert Auto", True)``.
    """

    id: int
    sid: str
    started_at: int
    duration_s: int  # the caller's whole call
    connected_s: int  # talk time with the buyer who answered (0: nobody answered)
    answered_at: int | None  # when the buyer's leg connected; None: never connected
    caller: str  # E.164, or "anonymous"
    caller_state: str | None  # two letters, from the number; None: unknown
    campaign: str | None
    publisher: str | None
    buyer: str | None  # who answered; None: nobody did
    final: bool  # completed, busy, failed, no-answer or canceled: no longer changing


class Prior(NamedTuple):
    """A call before the evaluated range, with what this contract decided about it.

    Duplicate windows and caps reach back across the range's start: the engine counts these
    but never decides them again.
    """

    call: CallFacts
    qualified: bool  # this contract billed (or paid) it; False if it did not apply


class Outcome(NamedTuple):
    """What one contract decided about one call.

    ``qualified`` is "billable" for a buyer contract and "payable" for a publisher contract;
    ``amount_micros`` is the revenue or payout (0 when not qualified). ``reasons`` lists every
    rule that failed, in the engine's order; empty when the call qualified.

    A NamedTuple, like :class:`CallFacts`, not a frozen dataclass: the engine makes one per
    (call, contract) pair, millions per evaluation, and a frozen dataclass costs ~1.7 us to
    build here against ~0.3 us for a NamedTuple (its ``object.__setattr__`` per field). Fields,
    defaults and immutability are the same; use ``outcome._replace(...)``, not
    ``dataclasses.replace``.
    """

    call_id: int
    qualified: bool
    amount_micros: int
    reasons: tuple[Reason, ...] = ()
    duplicate_of: int | None = None  # the earlier call's id, when DUPLICATE is a reason

    @property
    def flags(self) -> int:
        """The ``call_outcomes.flags`` bits of :attr:`reasons` (0 when qualified)."""
        bits = _FLAGS.get(self.reasons)
        if bits is None:
            bits = _FLAGS[self.reasons] = flags_of(self.reasons)
        return bits


# Outcomes share a handful of reason tuples: their bits are worked out once each.
_FLAGS: dict[tuple[Reason, ...], int] = {}
