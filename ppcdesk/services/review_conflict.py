"""Two reviewers, one call: an edit based on a review someone else changed is refused.

The reviewer's screen keeps a ``ShownReview`` per call it shows (storage.review_state has the
token); a review edit passing it is made only while the stored review is still that one.
Otherwise ``EditConflictError`` says what changed and who did it, and the user chooses: keep
theirs (reload) or overwrite with theirs as the new base (``ShownReview(conflict.current)``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from ppcdesk.core.errors import PpcdeskError
from ppcdesk.storage.review_state import ReviewState

__all__ = ["EditConflictError", "ReviewState", "ShownReview", "conflict_text"]


@dataclass(slots=True)
class ShownReview:
    """The review a reviewer's edit is based on (what their screen showed of the call).

    An edit passing one is made only if the call's review is still this; the edit then moves
    it on to what it wrote, so the same reviewer's next edit of the call is based on that.
    """

    state: ReviewState


class EditConflictError(PpcdeskError):
    """Someone else changed the call's review since it was shown; the edit was not made.

    ``current`` is what is stored now: to keep it, reload; to overwrite it, edit again with
    ``ShownReview(current)`` (a third change made meanwhile is still caught).
    """

    def __init__(self, shown: ReviewState, current: ReviewState) -> None:
        self.shown = shown
        self.current = current
        super().__init__(conflict_text(shown, current, "UTC"))


def conflict_text(shown: ReviewState, current: ReviewState, zone: str,
                  today: datetime | None = None) -> str:
    """What changed since ``shown``, and who did it, as far as the workspace knows.

    e.g. "Ann marked this call 'not qualified' at 14:02 since you opened it." A disposition
    names its author (the reviewer's user name); a dispute or a cleared review does not
    record who changed it, so it is "someone else". Times in ``zone``, with the date unless
    it is the day of ``today``.
    """
    tz = ZoneInfo(zone)

    def at(epoch: int | None) -> str:
        if epoch is None:
            return ""
        moment = datetime.fromtimestamp(epoch, tz)
        same_day = today is not None and today.astimezone(tz).date() == moment.date()
        return f" at {moment:%H:%M}" if same_day else f" on {moment:%b %d} at {moment:%H:%M}"

    parts: list[str] = []
    if current.last_disposition_id != shown.last_disposition_id:
        if current.disposition is None:
            parts.append("someone else removed its dispositions")
        else:
            sale = ("" if current.disposition_sale is None
                    else f" (sale {current.disposition_sale / 1_000_000:,.2f})")
            parts.append(f"{current.disposition_by or 'someone else'} marked this call "
                         f"'{current.disposition.replace('_', ' ')}'{sale}"
                         f"{at(current.disposition_at)}")
    if current.disputed != shown.disputed:
        parts.append(f"someone else flagged it disputed ('{current.dispute_reason}')"
                     f"{at(current.updated_at)}" if current.disputed
                     else f"someone else cleared its dispute{at(current.updated_at)}")
    elif current.dispute_reason != shown.dispute_reason:
        parts.append(f"someone else changed its dispute reason to '{current.dispute_reason}'")
    if (current.reviewed_at, current.reviewed_by) != (shown.reviewed_at, shown.reviewed_by) \
            and not parts:
        parts.append(f"{current.reviewed_by or 'someone else'} marked it reviewed"
                     f"{at(current.reviewed_at)}" if current.reviewed_at is not None
                     else "someone else marked it not reviewed")
    text = "; ".join(parts) or "someone else changed its review"
    return f"{text[0].upper()}{text[1:]} since you opened it."
