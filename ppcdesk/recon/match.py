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
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum

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

    index = _CallerIndex(calls)
    pairs, ambiguous, lost = _resolve(rest, lambda r: index.near(r, tol, 0, taken), tol, taken)
    pairings.extend(pairs)
    shifts = [h * 3600 * sign for h in range(1, tol.shift_hours + 1) for sign in (1, -1)]

    def shifted(row: PartnerRow) -> list[Candidate]:
        return [c for s in shifts for c in index.near(row, tol, s, taken)]

    pairs, ambiguous_shifted, unmatched = _resolve(lost, shifted, tol, taken)
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


class _CallerIndex:
    """Our calls by caller, each caller's sorted by start time, for window look-ups."""

    def __init__(self, calls: Iterable[LocalCall]) -> None:
        # One sort of everything, then grouping keeps each caller's calls in order.
        self._calls: dict[str, list[LocalCall]] = defaultdict(list)
        for call in sorted(calls, key=_by_start):
            self._calls[call.caller].append(call)
        self._starts = {caller: [c.started_at for c in group]
                        for caller, group in self._calls.items()}

    def near(self, row: PartnerRow, tol: Tolerance, shift: int,
             taken: set[int]) -> list[Candidate]:
        starts = self._starts.get(row.caller) if row.caller is not None else None
        if starts is None:
            return []
        calls = self._calls[row.caller]  # type: ignore[index]
        at = row.started_at - shift
        lo = bisect.bisect_left(starts, at - tol.time_s)
        hi = bisect.bisect_right(starts, at + tol.time_s)
        found: list[Candidate] = []
        for call in calls[lo:hi]:
            if call.id in taken:
                continue
            misfit = _misfit(row.duration_s, call, tol)
            if misfit is not None:
                found.append(Candidate(call, at - call.started_at, misfit, shift))
        return found


def _misfit(duration: int | None, call: LocalCall, tol: Tolerance) -> int | None:
    """Seconds by which their duration falls outside [our leg, our call]; None: too far."""
    if duration is None:
        return 0
    low, high = min(call.connected_s, call.duration_s), call.duration_s
    misfit = low - duration if duration < low else max(0, duration - high)
    return misfit if misfit <= tol.duration_s else None


def _resolve(rows: list[PartnerRow], candidates_of: Callable[[PartnerRow], list[Candidate]],
             tol: Tolerance, taken: set[int]) -> tuple[
                 list[Pairing], list[tuple[PartnerRow, tuple[Candidate, ...]]],
                 list[PartnerRow]]:
    """Accept clear pairs round by round; return (pairs, ambiguous, without a candidate)."""
    # Keyed by position: line numbers repeat when several imports are reconciled together.
    options = {i: (row, sorted(candidates_of(row), key=_order)) for i, row in enumerate(rows)}
    pairs: list[Pairing] = []
    while True:
        by_call: dict[int, list[tuple[int, int]]] = defaultdict(list)  # call -> (cost, line)
        for line, (_row, cands) in options.items():
            cands[:] = [c for c in cands if c.call.id not in taken]
            for cand in cands:
                by_call[cand.call.id].append((cand.cost, line))
        accepted: list[tuple[int, Candidate]] = []
        for line, (_row, cands) in options.items():
            if not cands or (len(cands) > 1 and cands[1].cost - cands[0].cost < tol.margin_s):
                continue
            best = cands[0]
            rivals = [cost for cost, other in by_call[best.call.id] if other != line]
            if all(cost - best.cost >= tol.margin_s for cost in rivals):
                accepted.append((line, best))
        if not accepted:
            break
        for line, best in accepted:
            row, _cands = options.pop(line)
            taken.add(best.call.id)
            kind = MatchKind.SHIFT if best.shift_s else MatchKind.TIME
            pairs.append(Pairing(row, best.call, kind, best.time_diff_s,
                                 best.duration_misfit_s, best.shift_s))
    ambiguous = [(row, tuple(cands)) for row, cands in options.values() if cands]
    lost = [row for row, cands in options.values() if not cands]
    return pairs, ambiguous, lost


def _by_start(call: LocalCall) -> tuple[int, int]:
    return call.started_at, call.id


def _order(candidate: Candidate) -> tuple[int, int, int]:
    return candidate.cost, candidate.call.started_at, candidate.call.id
