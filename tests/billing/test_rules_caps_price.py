"""Caps in the contract's calendar, concurrency, and what a qualified call is worth."""

from decimal import Decimal

from ppcdesk.billing.terms import Caps, Price, Tier
from ppcdesk.core.model import Counterparty
from tests.billing.specs import terms
from tests.billing.tables import check


def test_daily_cap_counts_qualified_calls_in_call_order() -> None:
    check(terms(caps=Caps(daily=2)), """
    | id | start            | talk | outcome  |
    | 1  | 2026-03-02 09:00 | 95   | ok $45   |
    | 2  | 2026-03-02 09:05 | 30   | short    |
    | 3  | 2026-03-02 09:10 | 95   | ok $45   |
    | 4  | 2026-03-02 09:15 | 95   | over_cap |
    | 5  | 2026-03-02 23:59 | 95   | over_cap |
    | 6  | 2026-03-03 00:00 | 95   | ok $45   |
    """)


def test_hourly_weekly_and_monthly_caps() -> None:
    check(terms(caps=Caps(hourly=1, weekly=3, monthly=4)), """
    | id | start            | outcome  |
    | 1  | 2026-03-27 09:00 | ok $45   |
    | 2  | 2026-03-27 09:59 | over_cap |
    | 3  | 2026-03-27 10:00 | ok $45   |
    | 4  | 2026-03-28 10:00 | ok $45   |
    | 5  | 2026-03-29 10:00 | over_cap |
    | 6  | 2026-03-30 10:00 | ok $45   |
    | 7  | 2026-03-31 10:00 | over_cap |
    | 8  | 2026-04-01 10:00 | ok $45   |
    """)


def test_concurrency_counts_calls_connected_at_the_same_moment() -> None:
    # ring 10 s: call 1 is connected 09:00:10-09:05:10, call 2 09:01:10-09:03:10.
    check(terms(caps=Caps(concurrency=2)), """
    | id | start               | talk | outcome          |
    | 1  | 2026-03-02 09:00:00 | 300  | ok $45           |
    | 2  | 2026-03-02 09:01:00 | 120  | ok $45           |
    | 3  | 2026-03-02 09:02:00 | 120  | over_concurrency |
    | 4  | 2026-03-02 09:03:00 | 120  | ok $45           |
    | 5  | 2026-03-02 09:05:00 | 120  | ok $45           |
    """)


def test_tiers_pay_the_highest_tier_reached_and_the_lowest_is_the_buffer() -> None:
    tiers = Price(tiers=(Tier(120, 30_000_000), Tier(300, 60_000_000)))
    check(terms(price=tiers, buffer_s=60), """
    | id | start            | talk | outcome |
    | 1  | 2026-03-02 09:00 | 119  | short   |
    | 2  | 2026-03-02 09:05 | 120  | ok $30  |
    | 3  | 2026-03-02 09:10 | 299  | ok $30  |
    | 4  | 2026-03-02 09:15 | 300  | ok $60  |
    """)


def test_revenue_share_rounds_half_to_even_to_the_micro() -> None:
    share = terms(counterparty=Counterparty.PUBLISHER, party="Acme Media",
                  price=Price(revenue_share=Decimal("0.5")))
    check(share, """
    | id | start            | outcome     |
    | 1  | 2026-03-02 09:00 | ok $22.50   |
    | 2  | 2026-03-02 09:05 | ok $0.000002 |
    | 3  | 2026-03-02 09:10 | ok $0.000004 |
    | 4  | 2026-03-02 09:15 | ok $0        |
    """, revenue={1: 45_000_000, 2: 5, 3: 7})
