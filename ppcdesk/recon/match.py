"""Pair a partner's lines with our calls: a pure function, the same input gives the same pairs.

Order of the evidence, strongest first:

1. Their id: a line whose call id is one of a call's SIDs (the call's or a forwarded leg's).
2. Caller and start time: the same caller, starting within ``Tolerance.time_s``, with a
   duration that fits (no longer than our whole call, no shorter than the buyer's leg, each
   within ``Tolerance.duration_s``). Cost of a candidate: seconds apart + seconds of duration
   misfit. A line takes a call only if that call is its best candidate by ``margin_s`` over its
   next one *and* it is the call's best line by the same margin; pairs are accepted round by
   round until none is, so two calls from one caller a minute apart pair with their own lines.
   A line still holding several candidates is ambiguous: shown with them, never guessed.
3. A whole-hour shift: a line with no candidate is tried 1..``shift_hours`` hours either side
   (their report in another zone); a pair found so keeps the shift as evidence.

Before all that, a line that repeats an earlier one (the same call id, or the same caller,
time, duration and amount) is a duplicate in their file and is not matched again.
"""

from __future__ import annotations

import bisect
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from operator import itemgetter

from ppcdesk.recon.records import LocalCall, PartnerRow, Tolerance


class MatchKind(StrEnum):
    ID = "id"  # their call id is one of ours
    TIME = "time"  # caller + start time + duration
    SHIFT = "shift"  # the same, a whole number of hours apart


@dataclass(frozen=True, slots=True)
class Candidate:
    """A call a line could be, and how well it fits (lower cost is better)."""

    call: LocalCall
    time_diff_s: int  # their start minus ours, after the shift
    duration_misfit_s: int  # 0 when their duration fits between our leg and our whole call
    shift_s: int = 0

    @property
    def cost(self) -> int:
        return abs(self.time_diff_s) + self.duration_misfit_s


@dataclass(frozen=True, slots=True)
class Pairing:
    """One of their lines paired with one of our calls, with why."""

    row: PartnerRow
    call: LocalCall
    kind: MatchKind
    time_diff_s: int = 0
    duration_misfit_s: int = 0
    shift_s: int = 0

    def evidence(self) -> str:
        parts = ([f"their call id {self.row.call_id} is ours"] if self.kind is MatchKind.ID
                 else [f"same caller {self.call.caller}"])
        parts.append(f"started {abs(self.time_diff_s)} s apart")
        if self.shift_s:
            hours = self.shift_s // 3600
            parts.append(f"after a shift of {hours:+d} h (their times are {abs(hours)} h "
                         f"{'ahead' if hours > 0 else 'behind'})")
        if self.row.duration_s is not None and self.kind is not MatchKind.ID:
            parts.append(f"their duration {self.row.duration_s} s, ours {self.call.duration_s} "
                         f"s (buyer leg {self.call.connected_s} s)")
        return ", ".join(parts)


@dataclass(frozen=True, slots=True)
class MatchResult:
    pairings: tuple[Pairing, ...]
    ambiguous: tuple[tuple[PartnerRow, tuple[Candidate, ...]], ...]
    unmatched: tuple[PartnerRow, ...]  # no call of ours fits
    duplicates: tuple[tuple[PartnerRow, int], ...]  # (line, the earlier line it repeats)
    unpaired_calls: tuple[LocalCall, ...]  # ours, in no pairing
    tolerance: Tolerance = field(default_factory=Tolerance)


# A candidate while matching: a plain tuple, so sorting compares it natively and 100,000
# lines make no objects. (cost, their start, call id, time diff, duration misfit, shift, call)
_Cand = tuple[int, int, int, int, int, int, LocalCall]
_START_ID = itemgetter(1, 0)  # LocalCall's (started_at, id)


def match(rows: Sequence[PartnerRow], calls: Sequence[LocalCall],
          tolerance: Tolerance | None = None) -> MatchResult:
    """Pair ``rows`` with ``calls`` (see the module docstring for the rules)."""
    tol = tolerance or Tolerance()
    unique, duplicates = _split_duplicates(rows)
    taken: set[int] = set()
    pairings: list[Pairing] = []

    by_id: dict[str, LocalCall] = {}
    for call in calls:
        for sid in call.ids:
            by_id.setdefault(sid, call)
    rest: list[PartnerRow] = []
    for row in unique:
        known = by_id.get(row.call_id) if row.call_id else None
        if known is not None and known.id not in taken:
            taken.add(known.id)
            pairings.append(_by_id(row, known, tol))
        else:
            rest.append(row)

    near = _near(calls, tol, taken)
    pairs, ambiguous, lost = _resolve(rest, lambda r: near(r, (0,)), tol, taken)
    pairings.extend(pairs)
    shifts = tuple(h * 3600 * sign for h in range(1, tol.shift_hours + 1) for sign in (1, -1))
    pairs, ambiguous_shifted, unmatched = _resolve(lost, lambda r: near(r, shifts), tol, taken)
    pairings.extend(pairs)
    paired = {p.call.id for p in pairings}
    return MatchResult(
        pairings=tuple(sorted(pairings, key=lambda p: p.row.line)),
        ambiguous=tuple(sorted(ambiguous + ambiguous_shifted, key=lambda a: a[0].line)),
        unmatched=tuple(sorted(unmatched, key=lambda r: r.line)),
        duplicates=tuple(duplicates),
        unpaired_calls=tuple(c for c in calls if c.id not in paired),
        tolerance=tol,
    )


def _by_id(row: PartnerRow, call: LocalCall, tol: Tolerance) -> Pairing:
    """A pair by id; a start a whole number of hours off is still a zone shift to report."""
    diff = row.started_at - call.started_at
    hours = round(diff / 3600)
    shift = hours * 3600 if 0 < abs(hours) <= tol.shift_hours and abs(
        diff - hours * 3600) <= tol.time_s else 0
    return Pairing(row, call, MatchKind.ID, diff - shift, 0, shift)


def _split_duplicates(rows: Iterable[PartnerRow]) -> tuple[list[PartnerRow],
                                                           list[tuple[PartnerRow, int]]]:
    first: dict[object, int] = {}
    unique: list[PartnerRow] = []
    duplicates: list[tuple[PartnerRow, int]] = []
    for row in rows:
        key: object = (("id", row.call_id) if row.call_id else
                       (row.caller, row.started_at, row.duration_s, row.amount_micros))
        if key in first:
            duplicates.append((row, first[key]))
        else:
            first[key] = row.line
            unique.append(row)
    return unique, duplicates


def _near(calls: Iterable[LocalCall], tol: Tolerance,
          taken: set[int]) -> Callable[[PartnerRow, tuple[int, ...]], list[_Cand]]:
    """Index our calls by caller, each caller's by start time; return the window look-up."""
    by_caller: dict[str, list[LocalCall]] = defaultdict(list)
    for call in sorted(calls, key=_START_ID):  # one sort; grouping keeps each in order
        by_caller[call.caller].append(call)
    starts = {caller: [c.started_at for c in group] for caller, group in by_caller.items()}
    window, slack = tol.time_s, tol.duration_s
    left, right = bisect.bisect_left, bisect.bisect_right

    def near(row: PartnerRow, shifts: tuple[int, ...]) -> list[_Cand]:
        at_list = starts.get(row.caller) if row.caller is not None else None
        if at_list is None:
            return []
        group = by_caller[row.caller]  # type: ignore[index]
        duration = row.duration_s
        found: list[_Cand] = []
        for shift in shifts:
            at = row.started_at - shift
            for k in range(left(at_list, at - window), right(at_list, at + window)):
                call = group[k]
                if call.id in taken:
                    continue
                if duration is None:
                    misfit = 0
                else:  # seconds outside [our leg, our whole call]
                    high = call.duration_s
                    low = call.connected_s if call.connected_s < high else high
                    misfit = low - duration if duration < low else (
                        duration - high if duration > high else 0)
                    if misfit > slack:
                        continue
                diff = at - call.started_at
                found.append((abs(diff) + misfit, call.started_at, call.id, diff, misfit,
                              shift, call))
        return found

    return near


def _resolve(rows: list[PartnerRow], candidates_of: Callable[[PartnerRow], list[_Cand]],
             tol: Tolerance, taken: set[int]) -> tuple[
                 list[Pairing], list[tuple[PartnerRow, tuple[Candidate, ...]]],
                 list[PartnerRow]]:
    """Accept clear pairs round by round; return (pairs, ambiguous, without a candidate)."""
    margin = tol.margin_s
    # Keyed by position: line numbers repeat when several imports are reconciled together.
    # A line without a candidate never gains one, so it is set aside at once.
    pending: dict[int, list[_Cand]] = {}
    lost: list[int] = []
    for i, row in enumerate(rows):
        cands = candidates_of(row)
        if not cands:
            lost.append(i)
            continue
        if len(cands) > 1:
            cands.sort()  # cost, then earlier start, then lower id
        pending[i] = cands
    pairs: list[Pairing] = []
    first_round = True
    while pending:
        if not first_round:
            _drop_taken(pending, taken, lost)
        first_round = False
        accepted = _clear_pairs(pending, margin)
        if not accepted:
            break
        for i, (_cost, _at, call_id, diff, misfit, shift, call) in accepted:
            del pending[i]
            taken.add(call_id)
            pairs.append(Pairing(rows[i], call, MatchKind.SHIFT if shift else MatchKind.TIME,
                                 diff, misfit, shift))
    ambiguous = [(rows[i], tuple(Candidate(c[6], c[3], c[4], c[5]) for c in cands))
                 for i, cands in sorted(pending.items())]
    return pairs, ambiguous, [rows[i] for i in sorted(lost)]


def _drop_taken(pending: dict[int, list[_Cand]], taken: set[int], lost: list[int]) -> None:
    """Drop the calls taken last round; a line left with none is lost."""
    for i in list(pending):
        cands = [c for c in pending[i] if c[2] not in taken]
        if cands:
            pending[i] = cands
        else:
            del pending[i]
            lost.append(i)


def _clear_pairs(pending: dict[int, list[_Cand]], margin: int) -> list[tuple[int, _Cand]]:
    """Lines whose best call beats their next by ``margin`` and is not closer to another."""
    # Most calls are wanted by one line: count first, list rivals only for the shared ones.
    wanted = Counter(cand[2] for cands in pending.values() for cand in cands)
    rivals: dict[int, list[tuple[int, int]]] = defaultdict(list)  # call -> (cost, line)
    for i, cands in pending.items():
        for cand in cands:
            if wanted[cand[2]] > 1:
                rivals[cand[2]].append((cand[0], i))
    accepted: list[tuple[int, _Cand]] = []
    for i, cands in pending.items():
        best = cands[0]
        if len(cands) > 1 and cands[1][0] - best[0] < margin:
            continue
        if wanted[best[2]] == 1 or all(cost - best[0] >= margin
                                       for cost, other in rivals[best[2]] if other != i):
            accepted.append((i, best))
    return accepted
