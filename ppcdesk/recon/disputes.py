"""Disputes: claims against a partner's report, their deadlines, statuses and the ledger.

A dispute is opened from a difference (the money at stake is the claim) or from any call. Its
deadline is the partner's dispute window counted from the call's day in the workspace's zone
(from the day it was opened when there is no call): a network that accepts disputes "within
30 days of the call" for a call on 1 March gives 31 March. The ledger sums what was claimed and
what came back.

Statuses: open -> submitted -> accepted | partially_accepted | rejected (any may be reopened).
Accepted recovers the claim unless told otherwise; rejected recovers nothing; partially
accepted needs the amount recovered.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from ppcdesk.core.clock import from_epoch
from ppcdesk.core.errors import PpcdeskError
from ppcdesk.core.model import DisputeStatus

DEFAULT_WINDOW_DAYS = 30


class DisputeError(PpcdeskError):
    """A dispute change that cannot be made (unknown status, a recovery above the claim)."""


@dataclass(frozen=True, slots=True)
class DisputeLine:
    """One dispute as the ledger shows it."""

    id: int
    call_id: int | None
    call_sid: str | None
    partner: str
    status: DisputeStatus
    reason: str
    claimed_micros: int
    recovered_micros: int
    deadline: str | None  # ISO day
    opened_at: int


@dataclass(frozen=True, slots=True)
class Ledger:
    lines: tuple[DisputeLine, ...]
    claimed_micros: int
    recovered_micros: int
    open_count: int  # open or submitted
    pending_micros: int  # claimed on open or submitted disputes


def deadline(call_started_at: int | None, opened_at: int, window_days: int, zone: str) -> str:
    """The last day to dispute (ISO), ``window_days`` after the call's day in ``zone``."""
    base = call_started_at if call_started_at is not None else opened_at
    return (from_epoch(base, zone).date() + timedelta(days=window_days)).isoformat()


def recovered_for(status: DisputeStatus, claimed: int, recovered: int | None) -> int:
    """What a status change leaves recovered (see the module docstring)."""
    if status is DisputeStatus.REJECTED:
        if recovered:
            raise DisputeError("a rejected dispute recovers nothing")
        return 0
    if status is DisputeStatus.ACCEPTED:
        return claimed if recovered is None else _checked(recovered, claimed)
    if status is DisputeStatus.PARTIALLY_ACCEPTED:
        if recovered is None:
            raise DisputeError("say how much was recovered (partially accepted)")
        return _checked(recovered, claimed)
    return 0 if recovered is None else _checked(recovered, claimed)


def _checked(recovered: int, claimed: int) -> int:
    if not 0 <= recovered <= claimed:
        raise DisputeError(f"recovered must be between 0 and the claim ({claimed} micros), "
                           f"not {recovered}")
    return recovered


def ledger(lines: list[DisputeLine]) -> Ledger:
    pending = [d for d in lines if d.status in {DisputeStatus.OPEN, DisputeStatus.SUBMITTED}]
    return Ledger(tuple(lines), sum(d.claimed_micros for d in lines),
                  sum(d.recovered_micros for d in lines), len(pending),
                  sum(d.claimed_micros for d in pending))


def due(lines: list[DisputeLine], today: str, within_days: int) -> list[DisputeLine]:
    """Open or submitted disputes whose deadline falls within ``within_days`` of ``today``
    (or has passed): the dashboard's reminder."""
    limit = (date.fromisoformat(today) + timedelta(days=within_days)).isoformat()
    return [d for d in lines if d.deadline is not None and d.deadline <= limit
            and d.status in {DisputeStatus.OPEN, DisputeStatus.SUBMITTED}]
