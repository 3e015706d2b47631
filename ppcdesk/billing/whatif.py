"""Compare two evaluations of the same calls: which outcomes change, and the money they move.

Used by what-if (draft terms against the saved ones over a date range, nothing stored) and by
re-evaluation reports. Pure: two maps of call id -> outcome in, one :class:`WhatIf` out.
Example: a buffer raised from 60 s to 90 s loses the calls connected 60-89 s: each shows as
``lost`` with its amount, and ``money_moved_micros`` is minus their sum.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum

from ppcdesk.billing.facts import Outcome


class Change(StrEnum):
    GAINED = "gained"  # not qualified (or not covered) before, qualified after
    LOST = "lost"  # qualified before, not after (or no longer covered)
    AMOUNT = "amount"  # qualified both times, for another amount
    REASONS = "reasons"  # not qualified both times, for other reasons


@dataclass(frozen=True, slots=True)
class CallChange:
    call_id: int
    change: Change
    before: Outcome | None  # None: the terms did not cover the call
    after: Outcome | None

    @property
    def delta_micros(self) -> int:
        return _amount(self.after) - _amount(self.before)


@dataclass(frozen=True, slots=True)
class WhatIf:
    """The calls whose outcome changed, in call id order, with counts and money moved."""

    changes: tuple[CallChange, ...]
    before_qualified: int
    after_qualified: int
    before_micros: int
    after_micros: int

    @property
    def money_moved_micros(self) -> int:
        return self.after_micros - self.before_micros

    def count(self, change: Change) -> int:
        return sum(1 for c in self.changes if c.change is change)


def compare(before: Mapping[int, Outcome], after: Mapping[int, Outcome], *,
            include_reasons: bool = False) -> WhatIf:
    """What changes from ``before`` to ``after`` (``include_reasons``: refusals that re-word)."""
    changes = []
    for call_id in sorted(before.keys() | after.keys()):
        old, new = before.get(call_id), after.get(call_id)
        old_q, new_q = old is not None and old.qualified, new is not None and new.qualified
        if old_q != new_q:
            change = Change.GAINED if new_q else Change.LOST
        elif old_q:
            if _amount(old) == _amount(new):
                continue
            change = Change.AMOUNT
        elif include_reasons and _reasons(old) != _reasons(new):
            change = Change.REASONS
        else:
            continue
        changes.append(CallChange(call_id, change, old, new))
    return WhatIf(
        tuple(changes),
        before_qualified=sum(1 for o in before.values() if o.qualified),
        after_qualified=sum(1 for o in after.values() if o.qualified),
        before_micros=sum(o.amount_micros for o in before.values()),
        after_micros=sum(o.amount_micros for o in after.values()))


def _amount(outcome: Outcome | None) -> int:
    return 0 if outcome is None else outcome.amount_micros


def _reasons(outcome: Outcome | None) -> tuple[object, ...]:
    return () if outcome is None else (outcome.reasons, outcome.duplicate_of)
