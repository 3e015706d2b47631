"""The job's stored sentences: explain.Wording words each case once, in explain's own words.

The job stores a sentence per reason for a million outcomes, so it words each distinct case
once (explain.Wording); every sentence must still be exactly what explain.sentence says.
"""

from __future__ import annotations

import dataclasses
import json
import random
from datetime import date

import pytest
from ppcdesk.billing import engine, explain, refusal_words
from ppcdesk.billing.facts import CallFacts
from ppcdesk.billing.outcome_rows import Rows
from ppcdesk.billing.terms import (
    BufferBasis,
    Callers,
    Caps,
    Duplicates,
    DuplicateScope,
    Geography,
    Hours,
    Price,
    Terms,
    Tier,
    UnknownState,
)
from ppcdesk.billing.workspaces import CallIndex
from ppcdesk.core.model import Counterparty
from tests.billing.specs import DESERT_AUTO, MON_FRI

MARCH = 1_772_323_200  # 2026-03-01 00:00 UTC
CALLERS = ["+16025550101", "+16025550102", "+14805550103", "+12125550104", "+14165550105",
           "anonymous", "+1602555", "+442071838750", "+16025550199", "+16475550106"]
STATES = {"+16025550101": "AZ", "+16025550102": "AZ", "+14805550103": "AZ",
          "+12125550104": "NY", "+14165550105": "ON", "+16025550199": None,
          "+16475550106": "ON"}  # Ontario twice: two area codes refused in one state

STRICT = dataclasses.replace(
    DESERT_AUTO,
    hours=Hours(MON_FRI.weekly, frozenset({date(2026, 3, 10)})),
    geography=Geography(allowed_states=frozenset({"AZ", "NY"}),
                        blocked_area_codes=frozenset({"212"}),
                        unknown_state=UnknownState.BLOCK),
    callers=Callers(us_ca_only=True, blocklist=frozenset({"+16025550102"})),
    duplicates=Duplicates(30 * 86_400),
    caps=Caps(hourly=2, daily=3, concurrency=1))
LOOSE = dataclasses.replace(
    DESERT_AUTO, name="Desert Auto tiers", buffer_basis=BufferBasis.CALL,
    price=Price(tiers=(Tier(60, 20_000_000), Tier(180, 40_000_000))),
    callers=Callers(block_anonymous=False, block_invalid=False),
    duplicates=Duplicates(7_200, scope=DuplicateScope.ALL), caps=Caps(weekly=5))
PUBLISHER = Terms(name="Peak payout", counterparty=Counterparty.PUBLISHER, party="Peak",
                  campaign=None, timezone="America/New_York", price=Price(fixed_micros=9_000_000),
                  buffer_s=30, duplicates=Duplicates(86_400), caps=Caps(monthly=40))


def random_calls(seed: int, count: int = 400) -> list[CallFacts]:
    rng = random.Random(seed)
    found = []
    for k in range(count):
        started = MARCH + rng.randrange(0, 12 * 86_400)
        caller = (rng.choice(CALLERS) if rng.random() < 0.3
                  else f"+1480555{rng.randrange(10_000):04d}")
        answered = rng.random() < 0.7
        connected = rng.choice([0, 15, 59, 60, 89, 90, 120, 900, 2400]) if answered else 0
        found.append(CallFacts(
            k + 1, f"CA{k + 1}", started, connected + rng.randint(0, 40), connected,
            started + rng.randint(1, 30) if answered else None, caller, STATES.get(caller, "AZ"),
            "Auto", "Peak", "Desert Auto" if answered else None, rng.random() < 0.95))
    return found


@pytest.mark.parametrize("seed", [1, 2, 3])
@pytest.mark.parametrize("terms", [
    STRICT, LOOSE, PUBLISHER,
    dataclasses.replace(STRICT, counterparty=Counterparty.PUBLISHER, party="Peak"),
], ids=lambda t: f"{t.name} ({t.counterparty.value})")
def test_every_reason_is_worded_as_explain_says(terms: Terms, seed: int) -> None:
    calls = random_calls(seed)
    by_id = {c.id: c for c in calls}
    wording = explain.Wording(terms)
    seen = set()
    for outcome in engine.evaluate(terms, calls):
        call = by_id[outcome.call_id]
        for reason in outcome.reasons:
            assert wording.sentence(reason, call, outcome) == explain.sentence(
                reason, terms, call, outcome), (call, outcome)
            seen.add(reason)
    assert len(seen) >= 3  # the table really refuses calls for several reasons


@pytest.mark.parametrize("terms", [STRICT, LOOSE, PUBLISHER], ids=lambda t: t.name)
def test_a_refusals_stored_json_is_json_dumps_of_explains_sentences(
        terms: Terms, monkeypatch: pytest.MonkeyPatch) -> None:
    """The job builds each refusal's JSON from cached parts: byte for byte what
    ``json.dumps`` makes of explain's sentences (so an unchanged re-run rewrites nothing)."""
    monkeypatch.setattr(refusal_words, "_BOOKS", {})  # nothing worded by an earlier test
    calls = random_calls(4)
    by_id = {c.id: c for c in calls}
    rows = Rows(1, 1, terms, 0)
    refused = [o for o in engine.evaluate(terms, calls) if o.reasons]
    assert len(refused) > 50
    expected = [json.dumps([{"code": r.value,
                             "text": explain.sentence(r, terms, by_id[o.call_id], o)}
                            for r in o.reasons], ensure_ascii=False) for o in refused]
    # All at once, as the job builds them: grouped by reasons, each case worded once.
    assert [r[7] for r in rows.rows(refused, by_id, {}, {})] == expected
    for outcome, text in zip(refused, expected, strict=True):
        assert rows.words.refusal(by_id[outcome.call_id], outcome) == text
        assert rows.rows([outcome], by_id, {}, {})[0][7] == text


@pytest.mark.parametrize("small_group", [0, refusal_words.SMALL_GROUP],
                         ids=["every group by column", "small groups row by row"])
@pytest.mark.parametrize("seed", [4, 5])
@pytest.mark.parametrize("terms", [
    STRICT, LOOSE, PUBLISHER,
    dataclasses.replace(STRICT, counterparty=Counterparty.PUBLISHER, party="Peak"),
    dataclasses.replace(STRICT, hours=None, buffer_basis=BufferBasis.CALL),
], ids=lambda t: f"{t.name} ({t.counterparty.value}, {t.buffer_basis.value})")
def test_refusals_worded_from_the_engines_columns_are_explains_json(
        terms: Terms, seed: int, small_group: int, monkeypatch: pytest.MonkeyPatch) -> None:
    """The job words a million refusals from the engine's columns (codes per reason, each
    distinct case once): byte for byte the JSON of explain's sentences, as row by row.

    The calls span the start of daylight saving time in New York (2026-03-08)."""
    monkeypatch.setattr(refusal_words, "_BOOKS", {})
    monkeypatch.setattr(refusal_words, "SMALL_GROUP", small_group)
    calls = random_calls(seed, count=1_500)
    by_id = {c.id: c for c in calls}
    outcomes, shape = engine.Workspace(calls).evaluate_shaped(terms)
    assert shape is not None
    expected = [json.dumps([{"code": r.value,
                             "text": explain.sentence(r, terms, by_id[o.call_id], o)}
                            for r in o.reasons], ensure_ascii=False) for o in outcomes]
    assert sum(text != "[]" for text in expected) > 200
    index = CallIndex(calls)
    shaped = Rows(1, 1, terms, 0).rows(outcomes, index, {}, {}, shape)
    assert [r[7] for r in shaped] == expected
    assert [r[8] for r in shaped] == [o.flags for o in outcomes]
    monkeypatch.setattr(refusal_words, "_BOOKS", {})
    assert list(Rows(1, 1, terms, 0).rows(outcomes, index, {}, {})) == list(shaped)


def test_the_strict_contract_words_every_rule() -> None:
    """Across seeds the strict contract (a buyer's and a publisher's) refuses for every reason.

    A buyer contract covers only the calls its buyer answered: NOT_CONNECTED comes from the
    publisher's.
    """
    seen = set()
    paid = dataclasses.replace(STRICT, counterparty=Counterparty.PUBLISHER, party="Peak")
    for seed in range(1, 4):
        calls = random_calls(seed)
        for terms in (STRICT, paid):
            for outcome in engine.evaluate(terms, calls):
                seen.update(outcome.reasons)
    assert {r.value for r in seen} >= {"not_final", "caller_blocked", "geo_blocked",
                                       "geo_unknown", "after_hours", "not_connected", "short",
                                       "duplicate", "over_cap", "over_concurrency"}


def test_after_a_large_run_the_items_are_kept_and_word_the_next_run_alike(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """A run leaving more cases than PHRASES_KEPT drops them but keeps each reason's items
    (what a new day's cases are made of) while they fit; the next run words the same."""
    monkeypatch.setattr(refusal_words, "_BOOKS", {})
    calls = random_calls(6)
    by_id = {c.id: c for c in calls}
    refused = [o for o in engine.evaluate(STRICT, calls) if o.reasons]
    first = [r[7] for r in Rows(1, 1, STRICT, 0).rows(refused, by_id, {}, {})]
    book = refusal_words._BOOKS[STRICT]
    cases, items = sum(map(len, book[3].values())), len(book[4])
    assert cases > items > 0

    monkeypatch.setattr(refusal_words, "PHRASES_KEPT", items)  # the cases do not fit, items do
    refusal_words.forget_phrases()
    kept = refusal_words._BOOKS[STRICT]
    assert (len(kept[3]), len(kept[4])) == (0, items)
    assert [r[7] for r in Rows(1, 1, STRICT, 0).rows(refused, by_id, {}, {})] == first

    monkeypatch.setattr(refusal_words, "PHRASES_KEPT", items - 1)  # not even the items fit
    refusal_words.forget_phrases()
    assert refusal_words._BOOKS == {}
