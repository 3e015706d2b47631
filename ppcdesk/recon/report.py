"""The difference report: every way their report and our contracts disagree, with the money.

A pure function of the matcher's result and what our contracts expected. The kinds:

=============  ==========================================================  =================
kind           when                                                        at stake
=============  ==========================================================  =================
unseen         a line of theirs matches no call of ours                    0 (their amount
                                                                           shown as paid)
unpaid         we consider a call billable; they did not list it, or       what we expected
               listed it as rejected
contested      they marked it duplicate or short; our contract says it     expected - paid
               qualifies
amount         both sides paired it; amounts differ (they paid a call we   expected - paid
               do not bill: negative, in their favour)
tz_shift       paired only after a whole-hour shift (their zone is off)    0
ambiguous      several calls fit the line; shown, never guessed            0
duplicate_row  their file lists the same call twice                        0 (paid shown)
=============  ==========================================================  =================

Totals: ``expected`` sums what we expected over the period's calls, ``paid`` what their lines
in the period say they paid, ``at_stake`` the positive amounts at stake above.
"""

from __future__ import annotations

import csv
import io
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum

from ppcdesk.core.clock import from_epoch
from ppcdesk.core.money import Money
from ppcdesk.recon.match import MatchResult, Pairing
from ppcdesk.recon.records import Expected, PartnerRow, Verdict


class DiffKind(StrEnum):
    UNSEEN = "unseen"
    UNPAID = "unpaid"
    CONTESTED = "contested"
    AMOUNT = "amount"
    TZ_SHIFT = "tz_shift"
    AMBIGUOUS = "ambiguous"
    DUPLICATE_ROW = "duplicate_row"

    @property
    def label(self) -> str:
        return _LABELS[self]


_LABELS = {
    DiffKind.UNSEEN: "They report it; we have not seen it",
    DiffKind.UNPAID: "We consider it billable; they did not pay",
    DiffKind.CONTESTED: "They marked it duplicate or short; our contract says it qualifies",
    DiffKind.AMOUNT: "Amounts differ",
    DiffKind.TZ_SHIFT: "Their time is off by whole hours",
    DiffKind.AMBIGUOUS: "Several calls fit; pick one",
    DiffKind.DUPLICATE_ROW: "Listed twice in their report",
}


@dataclass(frozen=True, slots=True)
class Difference:
    """One disagreement; ``line`` is their row number, ``call_id`` ours (either may be None)."""

    kind: DiffKind
    line: int | None
    call_id: int | None
    call_sid: str | None
    caller: str | None
    started_at: int
    expected_micros: int
    paid_micros: int
    at_stake_micros: int
    detail: str


@dataclass(frozen=True, slots=True)
class Totals:
    expected_micros: int
    paid_micros: int
    at_stake_micros: int
    calls_expected: int  # our qualified calls in the period
    lines: int  # their lines in the period


@dataclass(frozen=True, slots=True)
class DifferenceReport:
    differences: tuple[Difference, ...]
    totals: Totals

    def counts(self) -> dict[str, int]:
        found = Counter(d.kind for d in self.differences)
        return {str(kind): found.get(kind, 0) for kind in DiffKind}

    def of_kind(self, *kinds: DiffKind) -> tuple[Difference, ...]:
        return tuple(d for d in self.differences if d.kind in kinds)


def build_report(result: MatchResult, expected: Mapping[int, Expected],
                 period: tuple[int, int]) -> DifferenceReport:
    """Compare (see the module docstring); ``period`` is ``[start, end)`` in UTC seconds."""
    start, end = period
    diffs: list[Difference] = []
    for pairing in result.pairings:
        diffs.extend(_paired(pairing, expected.get(pairing.call.id)))
    diffs.extend(_line(DiffKind.UNSEEN, row, "no call of ours from this caller near this "
                       "time" if row.caller else "no caller and no id we know")
                 for row in result.unmatched)
    for row, candidates in result.ambiguous:
        names = ", ".join(f"{c.call.ids[0] if c.call.ids else c.call.id} "
                          f"({c.time_diff_s:+d} s)" for c in candidates)
        diffs.append(_line(DiffKind.AMBIGUOUS, row, f"candidates: {names}"))
    for row, first in result.duplicates:
        diffs.append(_line(DiffKind.DUPLICATE_ROW, row, f"repeats line {first}"))
    paired = {p.call.id for p in result.pairings}
    diffs.extend(Difference(DiffKind.UNPAID, None, exp.call_id, exp.sid, exp.caller,
                            exp.started_at, exp.amount_micros, 0, exp.amount_micros,
                            "not in their report")
                 for exp in expected.values()
                 if (exp.qualified and exp.amount_micros and exp.call_id not in paired
                     and start <= exp.started_at < end))
    diffs.sort(key=lambda d: (d.started_at, d.line or 0, d.kind))
    lines = _in_period(_all_lines(result), start, end)
    in_period = [e for e in expected.values() if e.qualified and start <= e.started_at < end]
    totals = Totals(
        expected_micros=sum(e.amount_micros for e in in_period),
        paid_micros=sum(r.amount_micros for r in lines),
        at_stake_micros=sum(max(0, d.at_stake_micros) for d in diffs),
        calls_expected=len(in_period), lines=len(lines))
    return DifferenceReport(tuple(diffs), totals)


def _paired(pairing: Pairing, exp: Expected | None) -> list[Difference]:
    row, call = pairing.row, pairing.call
    want = exp.amount_micros if exp is not None and exp.qualified else 0
    paid = row.amount_micros if row.verdict is Verdict.PAID else 0
    sid = call.ids[0] if call.ids else None

    def diff(kind: DiffKind, stake: int, detail: str) -> Difference:
        return Difference(kind, row.line, call.id, sid, call.caller, call.started_at, want,
                          row.amount_micros, stake, detail)

    found: list[Difference] = []
    if pairing.shift_s:
        found.append(diff(DiffKind.TZ_SHIFT, 0, pairing.evidence()))
    if want and row.verdict in {Verdict.DUPLICATE, Verdict.SHORT}:
        found.append(diff(DiffKind.CONTESTED, want - paid,
                          f"they say {row.verdict.value} ({row.status or 'no status'}); our "
                          "contract found no such reason"))
    elif want and row.verdict is Verdict.REJECTED:
        found.append(diff(DiffKind.UNPAID, want - paid,
                          f"they rejected it ({row.status or 'no status, no amount'})"))
    elif paid != want and (paid or want):
        detail = (f"we expected {Money(want)}, they paid {Money(paid)}" if want
                  else "they paid a call our contract does not bill")
        found.append(diff(DiffKind.AMOUNT, want - paid, detail))
    return found


def _line(kind: DiffKind, row: PartnerRow, detail: str) -> Difference:
    return Difference(kind, row.line, None, row.call_id, row.caller, row.started_at, 0,
                      row.amount_micros, 0, detail)


def _all_lines(result: MatchResult) -> Iterable[PartnerRow]:
    yield from (p.row for p in result.pairings)
    yield from result.unmatched
    yield from (row for row, _ in result.ambiguous)
    yield from (row for row, _ in result.duplicates)


def _in_period(rows: Iterable[PartnerRow], start: int, end: int) -> list[PartnerRow]:
    return [r for r in rows if start <= r.started_at < end]


CSV_HEADER = ("kind", "their_line", "call_sid", "caller", "started", "expected", "paid",
              "at_stake", "detail")


def differences_csv(differences: Iterable[Difference], zone: str) -> str:
    """The differences as CSV text: amounts in currency units, times in ``zone``."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_HEADER)
    for d in differences:
        writer.writerow([d.kind, d.line or "", d.call_sid or "", d.caller or "",
                         from_epoch(d.started_at, zone).strftime("%Y-%m-%d %H:%M:%S"),
                         Money(d.expected_micros).to_decimal(), Money(d.paid_micros).to_decimal(),
                         Money(d.at_stake_micros).to_decimal(), d.detail])
    return out.getvalue()
