"""Explain: each rule's words with the values it compared, as a buyer would check them."""

from ppcdesk.billing import engine, explain
from ppcdesk.billing.terms import Caps, Duplicates, Terms
from ppcdesk.core.reasons import Reason
from tests.billing.specs import MON_FRI, terms
from tests.billing.tables import calls


def trace_of(contract: Terms, table: str, call_id: int) -> dict[str, explain.RuleTrace]:
    given = calls(table)
    outcome = {o.call_id: o for o in engine.evaluate(contract, given)}[call_id]
    known = {c.id: c for c in given}
    earlier = known.get(outcome.duplicate_of) if outcome.duplicate_of else None
    return {t.rule: t for t in explain.explain(contract, known[call_id], outcome,
                                               earlier=earlier)}


def test_a_short_call_after_hours_says_both_with_the_figures() -> None:
    traces = trace_of(terms(hours=MON_FRI), """
    | id | start            | talk |
    | 1  | 2026-03-03 18:05 | 84   |
    """, 1)
    assert traces["buffer"].sentence == "connected 84 s, buffer 90 s: short"
    assert traces["buffer"].values == {"measured_s": 84, "buffer_s": 90}
    assert traces["hours"].sentence == (
        "started Tue 18:05 Phoenix time; open Mon-Fri 08:00-18:00: after hours")
    assert [t.rule for t in traces.values() if not t.passed] == ["hours", "buffer"]


def test_a_duplicate_names_the_call_it_repeats_and_the_gap() -> None:
    traces = trace_of(terms(duplicates=Duplicates(30 * 86_400)), """
    | id  | start            | caller       |
    | 123 | 2026-03-01 14:02 | +16025550101 |
    | 124 | 2026-03-27 15:00 | +16025550101 |
    """, 124)
    assert traces["duplicates"].sentence == (
        "same caller as CA123 on 2026-03-01 14:02 (26 days earlier, window 30 days): duplicate")


def test_caps_are_not_judged_for_a_call_another_rule_refused() -> None:
    traces = trace_of(terms(caps=Caps(daily=0)), """
    | id | start            | talk | caller    |
    | 1  | 2026-03-02 09:00 | 95   | anonymous |
    | 2  | 2026-03-02 09:05 | 95   | +16025550101 |
    """, 1)
    assert not traces["caps"].judged
    assert traces["caps"].passed
    assert traces["callers"].sentence == "caller anonymous (withheld): caller blocked"


def test_the_stored_sentence_of_each_reason() -> None:
    contract = terms(caps=Caps(daily=1))
    given = calls("""
    | id | start            | talk |
    | 1  | 2026-03-02 09:00 | 95   |
    | 2  | 2026-03-02 09:05 | 95   |
    """)
    over = engine.evaluate(contract, given)[1]
    assert over.reasons == (Reason.OVER_CAP,)
    assert explain.sentence(Reason.OVER_CAP, contract, given[1], over) == (
        "at most 1 a day: over cap")


def test_a_call_in_progress_is_judged_by_nothing_else() -> None:
    traces = trace_of(terms(), """
    | id | start            | talk | final |
    | 1  | 2026-03-02 09:00 | 10   | no    |
    """, 1)
    assert not traces["final"].passed
    assert all(t.passed and not t.judged for name, t in traces.items() if name != "final")
