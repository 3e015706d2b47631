"""Properties of the engine over generated calls and contracts (hypothesis).

Any input order gives the same outcomes; an incremental run (up to a split point, then the
rest with the calls since ``lookback_start`` as history) gives the same outcomes as one run;
the explanation agrees with the verdict. The calls straddle 2026-11-01, which in New York is a
daylight-saving change, a month's first day and a Sunday before a Monday, so caps of every
period, duplicate windows and hours all cross a boundary.
"""

from __future__ import annotations

import random
from datetime import date

from hypothesis import given, settings
from hypothesis import strategies as st
from ppcdesk.billing import engine, explain
from ppcdesk.billing.facts import CallFacts, Outcome, Prior
from ppcdesk.billing.terms import (
    Block,
    BufferBasis,
    Caps,
    DuplicateBasis,
    Duplicates,
    DuplicateScope,
    Geography,
    Hours,
    Price,
    Terms,
    Tier,
    UnknownState,
)
from ppcdesk.core.model import Counterparty

BASE = 1_793_145_600  # 2026-10-31 00:00 UTC
SPAN = 3 * 86_400
CALLERS = ("+16025550101", "+16025550102", "+12125550103", "anonymous", "+18005550104")
ZONES = ("America/New_York", "America/Phoenix", "Australia/Lord_Howe", "Asia/Kolkata")

optional_cap = st.none() | st.integers(0, 4)


@st.composite
def calls(draw: st.DrawFn) -> list[CallFacts]:
    n = draw(st.integers(0, 40))
    found = []
    for i in range(n):
        buyer = draw(st.sampled_from(("Desert Auto", "Desert Auto", "Sunbelt", None)))
        talk = draw(st.integers(0, 600)) if buyer else 0
        ring = draw(st.integers(0, 30))
        start = BASE + draw(st.integers(0, SPAN))
        caller = draw(st.sampled_from(CALLERS))
        found.append(CallFacts(
            i + 1, f"CA{i + 1}", start, ring + talk + draw(st.integers(0, 20)), talk,
            start + ring if buyer else None, caller,
            {"+1602": "AZ", "+1212": "NY"}.get(caller[:5]),
            draw(st.sampled_from(("Auto", "Home"))), draw(st.sampled_from(("Acme", "Blue"))),
            buyer, draw(st.booleans()) or draw(st.booleans())))
    return found


@st.composite
def contracts(draw: st.DrawFn) -> Terms:
    buyer = draw(st.booleans())
    duplicates = draw(st.none() | st.builds(
        Duplicates, st.sampled_from((600, 3_600, 86_400, 2 * 86_400)),
        st.sampled_from(DuplicateScope), st.sampled_from(DuplicateBasis)))
    day = (Block(draw(st.integers(0, 600)), draw(st.integers(601, 1_440))),)
    hours = draw(st.none() | st.just(Hours((day,) * 5 + ((), day),
                                           frozenset({date(2026, 11, 2)}))))
    price = draw(st.sampled_from((
        Price(fixed_micros=45_000_000), Price(tiers=(Tier(30, 5_000_000), Tier(200, 9_000_000))))))
    return Terms(
        name="T", counterparty=Counterparty.BUYER if buyer else Counterparty.PUBLISHER,
        party="Desert Auto" if buyer else "Acme", campaign=draw(st.sampled_from((None, "Auto"))),
        timezone=draw(st.sampled_from(ZONES)), price=price, buffer_s=draw(st.integers(0, 120)),
        buffer_basis=draw(st.sampled_from(BufferBasis)), duplicates=duplicates, hours=hours,
        geography=Geography(blocked_states=draw(st.sampled_from((frozenset(), {"NY"}))),
                            unknown_state=draw(st.sampled_from(UnknownState))),
        caps=Caps(draw(optional_cap), draw(optional_cap), draw(optional_cap),
                  draw(optional_cap), draw(st.none() | st.integers(0, 2))),
        effective_from=draw(st.sampled_from((None, date(2026, 11, 1)))))


def by_id(outcomes: list[Outcome]) -> dict[int, Outcome]:
    return {o.call_id: o for o in outcomes}


@settings(max_examples=300, deadline=None)
@given(contracts(), calls(), st.randoms())
def test_any_input_order_gives_the_same_outcomes(terms: Terms, given_calls: list[CallFacts],
                                                 rnd: random.Random) -> None:
    shuffled = list(given_calls)
    rnd.shuffle(shuffled)
    outcomes = engine.evaluate(terms, given_calls)
    assert engine.evaluate(terms, shuffled) == outcomes
    assert [o.call_id for o in outcomes] == [
        c.id for c in sorted(given_calls, key=lambda c: (c.started_at, c.id))
        if engine.applies(terms, c)]


@settings(max_examples=400, deadline=None)
@given(contracts(), calls(), st.integers(BASE, BASE + SPAN))
def test_incremental_runs_give_the_same_outcomes_as_one(
        terms: Terms, given_calls: list[CallFacts], split: int) -> None:
    whole = by_id(engine.evaluate(terms, given_calls))
    before = [c for c in given_calls if c.started_at < split]
    first = by_id(engine.evaluate(terms, before))
    since = engine.lookback_start(terms, split)
    assert since <= split
    history = [Prior(c, first[c.id].qualified if c.id in first else False)
               for c in before if c.started_at >= since]
    rest = by_id(engine.evaluate(terms, [c for c in given_calls if c.started_at >= split],
                                 history=history))
    assert first | rest == whole


@settings(max_examples=300, deadline=None)
@given(contracts(), calls())
def test_the_explanation_agrees_with_the_outcome(terms: Terms,
                                                 given_calls: list[CallFacts]) -> None:
    known = {c.id: c for c in given_calls}
    for outcome in engine.evaluate(terms, given_calls):
        assert outcome.qualified == (not outcome.reasons)
        assert outcome.qualified or outcome.amount_micros == 0
        earlier = known.get(outcome.duplicate_of) if outcome.duplicate_of else None
        traces = explain.explain(terms, known[outcome.call_id], outcome, earlier=earlier)
        assert [t.reason for t in traces if not t.passed] == list(outcome.reasons)
        assert all(t.passed for t in traces if not t.judged)
        if earlier is not None:
            assert earlier.caller == known[outcome.call_id].caller
            assert earlier.started_at <= known[outcome.call_id].started_at
