"""The engine's array path gives exactly the verdicts of its row-by-row reference (hypothesis).

``Workspace.evaluate`` reads numpy columns; ``Workspace.evaluate_by_rows`` is the plain loop the
rules were first written as. Generated calls, histories and contracts use every rule, and
callers that look alike without being equal (a digit from another script, a trailing NUL, one
digit short), so caller keys, classes and area codes must be exact.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from ppcdesk.billing import engine
from ppcdesk.billing._columns import stable_order
from ppcdesk.billing.facts import CallFacts, Outcome, Prior
from ppcdesk.billing.terms import (
    Block,
    BufferBasis,
    Callers,
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
from tests.billing.specs import terms
from tests.billing.tables import calls as table_calls
from tests.billing.tables import describe
from tests.billing.test_engine_properties import BASE, SPAN, ZONES

CALLERS = ("+16025550101", "+16025550102", "+12125550103", "+18765550104", "+14165550105",
           "anonymous", "Restricted", "+266696687", "+442079460000", "",
           "+1602555010\u0663", "+16025550101\x00", "+1602555010", "+1abc5550101",
           "+10125550106")
STATES = ("AZ", "NY", "ON", None, "")
optional_cap = st.none() | st.integers(0, 3)


@st.composite
def workspace_calls(draw: st.DrawFn, first_id: int, n: int) -> list[CallFacts]:
    found = []
    for i in range(first_id, first_id + n):
        buyer = draw(st.sampled_from(("Desert Auto", "Desert Auto", "Sunbelt", None)))
        answered = buyer is not None or draw(st.integers(0, 9)) == 0
        talk = draw(st.integers(0, 400)) if answered else 0
        ring = draw(st.integers(0, 30))
        start = BASE + draw(st.integers(0, SPAN))
        found.append(CallFacts(
            i, f"CA{i}", start, ring + talk + draw(st.integers(0, 20)), talk,
            start + ring if answered else None, draw(st.sampled_from(CALLERS)),
            draw(st.sampled_from(STATES)), draw(st.sampled_from(("Auto", "Home", None))),
            draw(st.sampled_from(("Acme", "Blue"))), buyer, draw(st.integers(0, 5)) > 0))
    return found


@st.composite
def contracts(draw: st.DrawFn) -> Terms:
    buyer = draw(st.booleans())
    day = (Block(draw(st.integers(0, 600)), draw(st.integers(601, 1_440))),)
    prices = [Price(fixed_micros=45_000_000),
              Price(tiers=(Tier(30, 5_000_000), Tier(200, 9_000_000)))]
    if not buyer:
        prices.append(Price(revenue_share=Decimal("0.35")))
    codes = st.frozensets(st.sampled_from(("602", "212", "876", "416", "012")), max_size=2)
    return Terms(
        name="T", counterparty=Counterparty.BUYER if buyer else Counterparty.PUBLISHER,
        party="Desert Auto" if buyer else "Acme",
        campaign=draw(st.sampled_from((None, "Auto"))), timezone=draw(st.sampled_from(ZONES)),
        price=draw(st.sampled_from(prices)), buffer_s=draw(st.integers(0, 120)),
        buffer_basis=draw(st.sampled_from(BufferBasis)),
        duplicates=draw(st.none() | st.builds(
            Duplicates, st.sampled_from((600, 3_600, 86_400, 2 * 86_400)),
            st.sampled_from(DuplicateScope), st.sampled_from(DuplicateBasis))),
        hours=draw(st.none() | st.just(Hours((day,) * 5 + ((), day),
                                             frozenset({date(2026, 11, 2)})))),
        geography=Geography(
            allowed_states=draw(st.frozensets(st.sampled_from(("AZ", "ON")), max_size=1)),
            blocked_states=draw(st.frozensets(st.sampled_from(("NY",)), max_size=1)),
            allowed_area_codes=draw(codes), blocked_area_codes=draw(codes),
            unknown_state=draw(st.sampled_from(UnknownState))),
        callers=Callers(draw(st.booleans()), draw(st.booleans()), draw(st.booleans()),
                        draw(st.frozensets(st.sampled_from(("+16025550102", "+442079460000",
                                                            "+19995550100")), max_size=2))),
        caps=Caps(draw(optional_cap), draw(optional_cap), draw(optional_cap),
                  draw(optional_cap), draw(st.none() | st.integers(0, 2))),
        effective_from=draw(st.sampled_from((None, date(2026, 11, 1)))))


def check_types(outcomes: list[Outcome]) -> None:
    """Plain Python values, as the reference makes them (numpy scalars would leak into JSON)."""
    for o in outcomes:
        assert type(o) is Outcome
        assert type(o.call_id) is int
        assert type(o.qualified) is bool
        assert type(o.amount_micros) is int
        assert o.duplicate_of is None or type(o.duplicate_of) is int


@settings(max_examples=400, deadline=None)
@given(contracts(), st.integers(0, 40).flatmap(lambda n: workspace_calls(1, n)),
       st.integers(0, 20).flatmap(lambda n: workspace_calls(100, n)), st.data())
def test_the_array_path_decides_like_the_reference_loop(
        terms: Terms, given_calls: list[CallFacts], earlier: list[CallFacts],
        data: st.DataObject) -> None:
    earlier = [c._replace(started_at=c.started_at - SPAN) for c in earlier]
    # A history may repeat a call, or hold one the range holds too: each counts once.
    earlier += data.draw(st.lists(st.sampled_from(earlier + given_calls), max_size=3)
                         if earlier or given_calls else st.just([]))
    history = [Prior(c, data.draw(st.booleans())) for c in earlier]
    revenue = {c.id: data.draw(st.integers(0, 90_000_001)) for c in given_calls
               if data.draw(st.booleans())}
    workspace = engine.Workspace(data.draw(st.permutations(given_calls)), earlier)
    fast = workspace.evaluate(terms, history=history, revenue=revenue)
    check_types(fast)
    assert fast == workspace.evaluate_by_rows(terms, history=history, revenue=revenue)


def test_a_history_call_both_contracts_were_given_takes_one_cap_slot() -> None:
    # evaluate_many pools the histories: call 1 arrives twice but is one call of the day.
    before, *today = table_calls("""
    | id | start            |
    | 1  | 2026-03-02 09:00 |
    | 2  | 2026-03-02 10:00 |
    | 3  | 2026-03-02 11:00 |
    """)
    capped = terms(caps=Caps(daily=2))
    other = terms(name="Sunbelt", party="Sunbelt")
    history = [Prior(before, qualified=True)]
    results = engine.evaluate_many([capped, other], today, histories=[history, history])
    assert [(o.call_id, describe(o)) for o in results[0]] == [(2, "ok $45"), (3, "over_cap")]


def test_ids_beyond_64_bits_take_the_row_by_row_path() -> None:
    given = table_calls("""
    | id | start            | caller       |
    | 1  | 2026-03-02 09:00 | +16025550101 |
    | 2  | 2026-03-02 10:00 | +16025550101 |
    """)
    huge = [c._replace(id=c.id + 2**70) for c in given]
    contract = terms(duplicates=Duplicates(86_400))
    assert [describe(o) for o in engine.evaluate(contract, huge)] == [
        "ok $45", f"duplicate of {2**70 + 1}"]


@settings(max_examples=200, deadline=None)
@given(st.lists(st.integers(-3, 3) | st.integers(-(2**62), 2**62), max_size=60))
def test_stable_order_is_a_stable_argsort(keys: list[int]) -> None:
    key = np.array(keys, dtype=np.int64)
    assert stable_order(key).tolist() == np.argsort(key, kind="stable").tolist()
