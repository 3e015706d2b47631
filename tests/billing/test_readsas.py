"""Reads as: a contract in the sentences a buyer and a publisher would agree on."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal

import pytest
from ppcdesk.billing.readsas import reads_as, summary, zone_name
from ppcdesk.billing.terms import (
    DAY_S,
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

WORKDAY = (Block(8 * 60, 18 * 60),)
DESERT_AUTO = Terms(
    name="Desert Auto - Auto", counterparty=Counterparty.BUYER, party="Desert Auto",
    campaign="Auto Insurance", timezone="America/Phoenix", price=Price(fixed_micros=45_000_000),
    buffer_s=90, hours=Hours((WORKDAY,) * 5 + ((), ())),
    geography=Geography(allowed_states=frozenset({"AZ"})), duplicates=Duplicates(30 * DAY_S),
    caps=Caps(daily=20))
PEAK = Terms(name="Peak - payout", counterparty=Counterparty.PUBLISHER, party="Peak Leads Co",
             campaign=None, timezone="America/New_York", price=Price(fixed_micros=15_000_000))


def test_the_issue_s_example_reads_as_the_issue_says() -> None:
    assert summary(DESERT_AUTO) == (
        "Pays $45.00 for calls connected 90 s or more, Mon-Fri 8:00-18:00 Phoenix time, "
        "Arizona callers only, one call per caller per 30 days, at most 20 a day.")
    assert reads_as(DESERT_AUTO) == [
        "Desert Auto pays $45.00 for each call to Auto Insurance connected 90 s or more.",
        "Calls count when they start Mon-Fri 8:00-18:00, Phoenix time.",
        "Only callers from Arizona count.",
        "Callers whose state cannot be told from their number count.",
        "Anonymous callers and invalid numbers never count.",
        ("One call per caller per 30 days on the same campaign, counting earlier calls that "
        "connected."),
        "At most 20 a day, counted in Phoenix time.",
    ]


def test_a_publisher_contract_with_no_rules_says_so() -> None:
    assert summary(PEAK) == "Earns $15.00 a call."
    assert reads_as(PEAK) == [
        "We pay Peak Leads Co $15.00 for each call to any campaign, whatever its length.",
        "Calls count at any hour, every day.",
        "Anonymous callers and invalid numbers never count.",
        "Repeat callers count every time.",
        "No caps.",
    ]
    own_media = replace(PEAK, callers=Callers(block_anonymous=False, block_invalid=False))
    assert reads_as(own_media)[2] == "Anonymous callers and invalid numbers count too."
    assert summary(own_media) == ("Earns $15.00 a call, anonymous callers count, invalid "
                                  "numbers count.")


@pytest.mark.parametrize(("price", "buffer_s", "basis", "sentence", "clause"), [
    (Price(tiers=(Tier(60, 20_000_000), Tier(120, 35_000_000))), 0, BufferBasis.CONNECTED,
     ("Desert Auto pays for each call to Auto Insurance, whatever its length, by time connected: "
     "$20.00 from 60 s, $35.00 from 120 s; nothing below 60 s."),
     "Pays $20.00 from 60 s, $35.00 from 120 s connected"),
    (Price(tiers=(Tier(30, 10_000_000), Tier(120, 35_000_000))), 60, BufferBasis.CALL,
     ("Desert Auto pays for each call to Auto Insurance lasting 60 s or more, by call length: "
     "$10.00 from 30 s, $35.00 from 120 s."),
     "Pays $10.00 from 30 s, $35.00 from 120 s of call time, for calls lasting 60 s or more"),
    (Price(fixed_micros=8_500), 120, BufferBasis.CALL,
     "Desert Auto pays $0.0085 for each call to Auto Insurance lasting 120 s or more.",
     "Pays $0.0085 for calls lasting 120 s or more"),
])
def test_prices_and_buffers(price: Price, buffer_s: int, basis: BufferBasis, sentence: str,
                            clause: str) -> None:
    terms = replace(DESERT_AUTO, price=price, buffer_s=buffer_s, buffer_basis=basis, hours=None,
                    geography=Geography(), duplicates=None, caps=Caps())
    assert reads_as(terms)[0] == sentence
    assert summary(terms) == clause + "."


def test_a_revenue_share_is_a_share_of_what_the_buyer_paid() -> None:
    terms = replace(PEAK, price=Price(revenue_share=Decimal("0.6")), buffer_s=90)
    assert reads_as(terms)[0] == ("We pay Peak Leads Co 60% of what the buyer paid for each call "
                                  "to any campaign connected 90 s or more.")
    assert summary(terms) == "Earns 60% of what the buyer paid for calls connected 90 s or more."


@pytest.mark.parametrize(("weekly", "closed", "sentences", "clause"), [
    ((WORKDAY,) * 7, frozenset(), [("Calls count when they start every day 8:00-18:00, "
                                   "Phoenix time.")], "every day 8:00-18:00 Phoenix time"),
    ((WORKDAY,) * 5 + ((Block(540, 780),), (Block(0, 1440),)),
     frozenset({date(2026, 12, 25), date(2026, 11, 26)}),
     [("Calls count when they start Mon-Fri 8:00-18:00, Sat 9:00-13:00, Sun all day, "
      "Phoenix time."), "Closed on Nov 26, 2026 and Dec 25, 2026."],
     ("Mon-Fri 8:00-18:00, Sat 9:00-13:00, Sun all day Phoenix time, "
     "closed Nov 26, 2026 and Dec 25, 2026")),
    (((Block(480, 720), Block(780, 1080)),) + ((),) * 2 + (WORKDAY,) + ((),) * 3, frozenset(),
     [("Calls count when they start Mon 8:00-12:00 and 13:00-18:00, Thu 8:00-18:00, "
      "Phoenix time.")],
     "Mon 8:00-12:00 and 13:00-18:00, Thu 8:00-18:00 Phoenix time"),
])
def test_business_hours_group_days_alike(weekly: tuple[tuple[Block, ...], ...],
                                         closed: frozenset[date], sentences: list[str],
                                         clause: str) -> None:
    terms = replace(DESERT_AUTO, hours=Hours(weekly, closed), geography=Geography(),
                    duplicates=None, caps=Caps())
    assert reads_as(terms)[1:1 + len(sentences)] == sentences
    assert summary(terms) == f"Pays $45.00 for calls connected 90 s or more, {clause}."


def test_geography_and_callers_name_states_in_full() -> None:
    terms = replace(PEAK, geography=Geography(
        allowed_states=frozenset({"NV", "AZ", "ON"}), blocked_states=frozenset({"DC"}),
        allowed_area_codes=frozenset({"702"}), blocked_area_codes=frozenset({"480", "520"}),
        unknown_state=UnknownState.BLOCK),
        callers=Callers(block_anonymous=False, us_ca_only=True,
                        blocklist=frozenset(f"+1602555010{i}" for i in range(7))))
    assert reads_as(terms)[2:8] == [
        "Only callers from Arizona, Nevada and Ontario count.",
        "Callers from District of Columbia never count.",
        "Only callers from area code 702 count.",
        "Callers from area codes 480 and 520 never count.",
        "Callers whose state cannot be told from their number never count.",
        "Invalid numbers and callers outside the US and Canada never count.",
    ]
    assert reads_as(terms)[8] == ("7 blocked numbers never count: +16025550100, +16025550101, "
                                  "+16025550102, +16025550103, +16025550104 and 2 more.")
    assert summary(terms) == (
        "Earns $15.00 a call, Arizona, Nevada and Ontario callers only, no District of Columbia "
        "callers, area codes 702 only, no area code 480 or 520, known states only, US and "
        "Canadian callers only, anonymous callers count, 7 numbers blocked.")


@pytest.mark.parametrize(("duplicates", "counterparty", "sentence", "clause"), [
    (Duplicates(DAY_S, DuplicateScope.BUYER), Counterparty.BUYER,
     "One call per caller per day to the same buyer, counting earlier calls that connected.",
     "one call per caller per day to the same buyer"),
    (Duplicates(36 * 3600, DuplicateScope.ALL, DuplicateBasis.QUALIFIED), Counterparty.BUYER,
     ("One call per caller per 36 hours across all campaigns, counting earlier calls this "
     "contract billed."), "one call per caller per 36 hours across all campaigns"),
    (Duplicates(7 * DAY_S, basis=DuplicateBasis.QUALIFIED), Counterparty.PUBLISHER,
     ("One call per caller per 7 days on the same campaign, counting earlier calls this "
     "contract paid."), "one call per caller per 7 days"),
])
def test_duplicates_say_their_window_scope_and_basis(duplicates: Duplicates,
                                                     counterparty: Counterparty, sentence: str,
                                                     clause: str) -> None:
    terms = replace(PEAK, counterparty=counterparty, duplicates=duplicates)
    assert sentence in reads_as(terms)
    assert summary(terms).endswith(f", {clause}.")


def test_caps_concurrency_effective_date_and_note() -> None:
    terms = replace(PEAK, caps=Caps(hourly=5, daily=20, weekly=90, monthly=300, concurrency=3),
                    effective_from=date(2026, 7, 1), note="Raised after the Q2 review.")
    assert reads_as(terms)[-4:] == [
        "At most 5 an hour, 20 a day, 90 a week and 300 a month, counted in New York time.",
        "At most 3 calls at once.",
        "In force for calls from Jul 1, 2026.",
        "Note: Raised after the Q2 review.",
    ]
    assert summary(terms) == ("Earns $15.00 a call, at most 5 an hour, 20 a day, 90 a week and "
                              "300 a month, at most 3 at once, from Jul 1, 2026.")


@pytest.mark.parametrize(("zone", "name"), [
    ("America/Phoenix", "Phoenix time"),
    ("America/New_York", "New York time"),
    ("America/Argentina/Buenos_Aires", "Buenos Aires time"),
    ("UTC", "UTC"),
])
def test_a_zone_is_shown_as_its_city(zone: str, name: str) -> None:
    assert zone_name(zone) == name
