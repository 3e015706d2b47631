"""The matcher, as a specification: their lines and our calls in, pairs and leftovers out."""

from __future__ import annotations

import pytest
from ppcdesk.recon.match import MatchKind, match
from ppcdesk.recon.records import LocalCall, PartnerRow, Tolerance, Verdict

T0 = 1_780_000_000  # a moment in 2026
ANN, BOB = "+16025550101", "+13125550102"


def ours(call_id: int, caller: str, at: int, duration: int = 120, connected: int = 100,
         sid: str = "") -> LocalCall:
    return LocalCall(call_id, T0 + at, caller, duration, connected,
                     (sid or f"CA{call_id:032d}",))


def theirs(line: int, caller: str | None, at: int, duration: int | None = 100,
           amount: int = 25_000_000, call_id: str | None = None) -> PartnerRow:
    return PartnerRow(line, T0 + at, caller, duration, amount, Verdict.PAID, call_id)


# Each case: our calls, their lines, and the pairs expected as {their line: our call id}
# (kind in brackets), then their lines that are ambiguous, unmatched, duplicated.
CASES = {
    "their id is our SID, even with the time far off": (
        [ours(1, ANN, 0, sid="CAabc")],
        [theirs(2, ANN, 5000, call_id="CAabc")],
        {2: (1, MatchKind.ID)}, [], [], []),
    "caller and time within the tolerance": (
        [ours(1, ANN, 0), ours(2, BOB, 0)],
        [theirs(2, ANN, 40), theirs(3, BOB, -30)],
        {2: (1, MatchKind.TIME), 3: (2, MatchKind.TIME)}, [], [], []),
    "their times an hour ahead (another zone): paired, with the shift": (
        [ours(1, ANN, 0), ours(2, BOB, 7200)],
        [theirs(2, ANN, 3600 + 4), theirs(3, BOB, 10800 - 3)],
        {2: (1, MatchKind.SHIFT), 3: (2, MatchKind.SHIFT)}, [], [], []),
    "two calls from one caller a minute apart: each to its own line": (
        [ours(1, ANN, 0, duration=95, connected=90), ours(2, ANN, 60, duration=35,
                                                          connected=30)],
        [theirs(2, ANN, 62, duration=30), theirs(3, ANN, 1, duration=90)],
        {2: (2, MatchKind.TIME), 3: (1, MatchKind.TIME)}, [], [], []),
    "a line between two equally near calls: ambiguous, never guessed": (
        [ours(1, ANN, 0), ours(2, ANN, 60)],
        [theirs(2, ANN, 30)],
        {}, [2], [], []),
    "a line with no call of ours": (
        [ours(1, ANN, 0)],
        [theirs(2, BOB, 0), theirs(3, ANN, 50_000)],
        {}, [], [2, 3], []),
    "the same line twice in their file: the repeat is a duplicate": (
        [ours(1, ANN, 0)],
        [theirs(2, ANN, 3), theirs(3, ANN, 3)],
        {2: (1, MatchKind.TIME)}, [], [], [3]),
    "their id twice: the repeat is a duplicate": (
        [ours(1, ANN, 0, sid="CAx")],
        [theirs(2, ANN, 0, call_id="CAx"), theirs(3, BOB, 99, call_id="CAx")],
        {2: (1, MatchKind.ID)}, [], [], [3]),
    "a duration longer than our whole call is not the same call": (
        [ours(1, ANN, 0, duration=60, connected=50)],
        [theirs(2, ANN, 0, duration=300)],
        {}, [], [2], []),
    "a buyer's leg shorter than the call fits": (
        [ours(1, ANN, 0, duration=200, connected=150)],
        [theirs(2, ANN, 20, duration=150)],
        {2: (1, MatchKind.TIME)}, [], [], []),
    "no caller and no id: nothing to match on": (
        [ours(1, ANN, 0)],
        [theirs(2, None, 0)],
        {}, [], [2], []),
    "a call already paired by id is not paired again by time": (
        [ours(1, ANN, 0, sid="CAid")],
        [theirs(2, ANN, 0), theirs(3, ANN, 0, call_id="CAid", duration=99)],
        {3: (1, MatchKind.ID)}, [], [2], []),
}


@pytest.mark.parametrize(("calls", "rows", "pairs", "ambiguous", "unmatched", "duplicates"),
                         CASES.values(), ids=CASES.keys())
def test_matcher(calls: list[LocalCall], rows: list[PartnerRow],
                 pairs: dict[int, tuple[int, MatchKind]], ambiguous: list[int],
                 unmatched: list[int], duplicates: list[int]) -> None:
    result = match(rows, calls)
    assert {p.row.line: (p.call.id, p.kind) for p in result.pairings} == pairs
    assert [row.line for row, _ in result.ambiguous] == ambiguous
    assert [row.line for row in result.unmatched] == unmatched
    assert [row.line for row, _ in result.duplicates] == duplicates
    paired = {p.call.id for p in result.pairings}
    assert {c.id for c in result.unpaired_calls} == {c.id for c in calls} - paired


def test_ambiguous_line_shows_both_candidates_nearest_first() -> None:
    result = match([theirs(2, ANN, 28)], [ours(1, ANN, 0), ours(2, ANN, 60)])
    (_row, candidates), = result.ambiguous
    assert [(c.call.id, c.time_diff_s) for c in candidates] == [(1, 28), (2, -32)]


def test_shift_is_kept_as_evidence() -> None:
    result = match([theirs(7, ANN, -3600 + 2)], [ours(1, ANN, 0)])
    (pairing,) = result.pairings
    assert pairing.shift_s == -3600
    assert pairing.time_diff_s == 2
    assert "-1 h" in pairing.evidence()


def test_a_pair_by_id_still_reports_a_whole_hour_shift() -> None:
    result = match([theirs(2, ANN, 7200 + 9, call_id="CAk")], [ours(1, ANN, 0, sid="CAk")])
    (pairing,) = result.pairings
    assert (pairing.kind, pairing.shift_s, pairing.time_diff_s) == (MatchKind.ID, 7200, 9)


def test_tolerance_is_adjustable() -> None:
    rows, calls = [theirs(2, ANN, 200)], [ours(1, ANN, 0)]
    assert match(rows, calls).unmatched  # 200 s apart: beyond the default 120 s
    wide = match(rows, calls, Tolerance(time_s=300))
    assert [p.call.id for p in wide.pairings] == [1]


def test_same_input_same_output() -> None:
    calls = [ours(i, ANN if i % 2 else BOB, i * 45) for i in range(1, 40)]
    rows = [theirs(i, ANN if i % 3 else BOB, i * 44) for i in range(2, 50)]
    assert match(rows, calls) == match(list(rows), list(calls))


def test_a_clear_winner_by_the_margin_is_taken() -> None:
    # 25 s from one call, 35 s from the other: 10 s apart is more than the 5 s margin.
    result = match([theirs(2, ANN, 25)], [ours(1, ANN, 0), ours(2, ANN, 60)])
    assert [p.call.id for p in result.pairings] == [1]
