"""The values reconciliation passes around: partner rows, local calls, verdicts.

Plain frozen records, so the matcher and the difference report are pure functions of them.
Times are UTC epoch seconds; money is integer micros.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import NamedTuple


class Verdict(StrEnum):
    """What the partner's line says about a call, from its status and amount.

    Example: ``"Paid"`` or ``"billable"`` -> PAID; ``"Dupe"`` -> DUPLICATE; ``"Under buffer"``
    -> SHORT; ``"rejected"`` or an amount of 0 with no status -> REJECTED.
    """

    PAID = "paid"
    DUPLICATE = "duplicate"
    SHORT = "short"
    REJECTED = "rejected"


class PartnerRow(NamedTuple):
    """One line of a partner's report, read and checked (``line`` is its row in the file)."""

    line: int
    started_at: int
    caller: str | None  # E.164; None when the partner does not give it
    duration_s: int | None
    amount_micros: int  # what they paid (or claim) for it; 0 when not paid
    verdict: Verdict
    call_id: str | None = None  # their id for the call (often our Twilio SID)
    status: str = ""  # their word, as written
    campaign: str | None = None
    ref: int = 0  # the stored line's id (partner_rows.id); 0 before it is stored


class LocalCall(NamedTuple):
    """A call in our log, as the matcher needs it.

    ``ids`` are the ids a partner may know it by: its SID and its forwarded legs' SIDs.
    """

    id: int
    started_at: int
    caller: str
    duration_s: int  # the caller's whole time
    connected_s: int  # talk time with the buyer (the buyer's leg)
    ids: tuple[str, ...] = ()


class Expected(NamedTuple):
    """What our contracts with this partner decided about a call (from call_outcomes)."""

    call_id: int
    sid: str
    caller: str
    started_at: int
    qualified: bool  # billable (buyer contracts) or payable (publisher contracts)
    amount_micros: int  # revenue or payout; 0 when not qualified
    flags: int  # ppcdesk.core.reasons.ReasonFlag bits, OR-ed over the partner's contracts


@dataclass(frozen=True, slots=True)
class Tolerance:
    """How far a partner's line may be from our call and still be the same call.

    ``time_s``: start times differ by at most this much (clocks and queues differ).
    ``duration_s``: the partner's duration may be this much longer than the caller's whole
    call, or this much shorter than the buyer's leg (a buyer's leg is typically shorter).
    ``shift_hours``: when nothing is within ``time_s``, look this many whole hours either side
    (a report written in another zone, or a daylight-saving slip) and report the shift.
    ``margin_s``: a candidate wins only if it is better than the next by this much; else the
    line is ambiguous and its candidates are shown, never guessed.
    """

    time_s: int = 120
    duration_s: int = 30
    shift_hours: int = 3
    margin_s: int = 5
