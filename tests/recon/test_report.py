"""The difference report, as a specification: pairs and our outcomes in, differences out."""

from __future__ import annotations

import pytest
from ppcdesk.recon.match import match
from ppcdesk.recon.records import Expected, LocalCall, PartnerRow, Verdict
from ppcdesk.recon.report import DiffKind, build_report

T0 = 1_780_000_000
DAY = (T0 - 3600, T0 + 86_400)
ANN = "+16025550101"
USD = 1_000_000


def call(i: int, at: int = 0) -> LocalCall:
    return LocalCall(i, T0 + at + i * 1000, ANN, 120, 100, (f"CA{i}",))


def line(n: int, i: int, verdict: Verdict = Verdict.PAID, amount: int = 25 * USD,
         shift: int = 0) -> PartnerRow:
    return PartnerRow(n, T0 + i * 1000 + shift, ANN, 100, amount, verdict, None, str(verdict))


def billable(i: int, amount: int = 25 * USD, qualified: bool = True) -> Expected:
    return Expected(i, f"CA{i}", ANN, T0 + i * 1000, qualified, amount if qualified else 0, 0)


# Each case: their lines, our calls' outcomes (call i exists for every outcome and line),
# and the differences expected as (kind, their line, our call, at stake in dollars).
CASES = {
    "all agree: no difference": (
        [line(2, 1), line(3, 2)], [billable(1), billable(2)], []),
    "they paid less": (
        [line(2, 1, amount=20 * USD)], [billable(1)], [(DiffKind.AMOUNT, 2, 1, 5)]),
    "they paid a call we do not bill: in their favour": (
        [line(2, 1)], [billable(1, qualified=False)], [(DiffKind.AMOUNT, 2, 1, -25)]),
    "they marked it a duplicate; our contract says it qualifies": (
        [line(2, 1, Verdict.DUPLICATE, amount=0)], [billable(1)],
        [(DiffKind.CONTESTED, 2, 1, 25)]),
    "they marked it short; so do we: no difference": (
        [line(2, 1, Verdict.SHORT, amount=0)], [billable(1, qualified=False)], []),
    "they rejected a billable call": (
        [line(2, 1, Verdict.REJECTED, amount=0)], [billable(1)], [(DiffKind.UNPAID, 2, 1, 25)]),
    "a billable call missing from their report": (
        [line(2, 1)], [billable(1), billable(2)], [(DiffKind.UNPAID, None, 2, 25)]),
    "a line of theirs we have not seen": (
        [line(2, 1), line(3, 50)], [billable(1)], [(DiffKind.UNSEEN, 3, None, 0)]),
    "their time an hour ahead, paid right: only the shift": (
        [line(2, 1, shift=3600)], [billable(1)], [(DiffKind.TZ_SHIFT, 2, 1, 0)]),
    "a line twice: the repeat is listed, the call is paid once": (
        [line(2, 1), line(3, 1)], [billable(1)], [(DiffKind.DUPLICATE_ROW, 3, None, 0)]),
}


@pytest.mark.parametrize(("rows", "outcomes", "expected"), CASES.values(), ids=CASES.keys())
def test_differences(rows: list[PartnerRow], outcomes: list[Expected],
                     expected: list[tuple[DiffKind, int | None, int | None, int]]) -> None:
    ids = {e.call_id for e in outcomes}
    calls = [call(i) for i in sorted(ids)]
    report = build_report(match(rows, calls), {e.call_id: e for e in outcomes}, DAY)
    assert [(d.kind, d.line, d.call_id, d.at_stake_micros // USD)
            for d in report.differences] == expected


def test_totals_expected_paid_at_stake() -> None:
    rows = [line(2, 1, amount=20 * USD), line(3, 2, Verdict.DUPLICATE, amount=0), line(4, 3)]
    outcomes = {i: billable(i) for i in (1, 2, 3, 4)}
    report = build_report(match(rows, [call(i) for i in (1, 2, 3, 4)]), outcomes, DAY)
    totals = report.totals
    assert (totals.expected_micros, totals.paid_micros, totals.at_stake_micros) == (
        100 * USD, 45 * USD, 5 * USD + 25 * USD + 25 * USD)
    assert (totals.calls_expected, totals.lines) == (4, 3)
    assert report.counts()["unpaid"] == 1
