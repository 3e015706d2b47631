"""The engine's edges: who a contract covers, how far back history must reach, odd data."""

from datetime import date
from decimal import Decimal

from ppcdesk.billing import engine, rules
from ppcdesk.billing.terms import Caps, Duplicates, Price
from ppcdesk.core import phone
from ppcdesk.core.model import Counterparty
from tests.billing.specs import terms
from tests.billing.tables import calls, check, epoch


def test_effective_from_is_a_local_date() -> None:
    # 2026-03-02 00:30 in Phoenix is 07:30 UTC: covered from that local day on, not before.
    check(terms(effective_from=date(2026, 3, 2)), """
    | id | start               | outcome |
    | 1  | 2026-03-01 23:59:59 | -       |
    | 2  | 2026-03-02 00:00:00 | ok $45  |
    | 3  | 2026-03-02 09:00    | ok $45  |
    """)


def test_campaign_and_party_decide_coverage() -> None:
    check(terms(), """
    | id | start            | campaign | buyer       | outcome |
    | 1  | 2026-03-02 09:00 | Auto     | Desert Auto | ok $45  |
    | 2  | 2026-03-02 09:05 | Home     | Desert Auto | -       |
    | 3  | 2026-03-02 09:10 | Auto     | Sunbelt     | -       |
    """)
    check(terms(campaign=None), """
    | id | start            | campaign | outcome |
    | 1  | 2026-03-02 09:05 | Home     | ok $45  |
    """)


def test_lookback_reaches_the_window_and_the_local_periods() -> None:
    start = epoch("2026-03-11 15:30", "America/New_York")  # a Wednesday, after DST began
    contract = terms(timezone="America/New_York")
    assert engine.lookback_start(contract, start) == start
    assert engine.lookback_start(terms(duplicates=Duplicates(7_200)), start) == start - 7_200
    ny = "America/New_York"
    for caps, since in ((Caps(hourly=1), "2026-03-11 15:00"),
                        (Caps(daily=1), "2026-03-11 00:00"),
                        (Caps(weekly=1), "2026-03-09 00:00"),
                        (Caps(monthly=1), "2026-03-01 00:00")):
        assert engine.lookback_start(terms(timezone=ny, caps=caps), start) == epoch(since, ny)


def test_the_same_call_given_twice_is_reported_not_raised() -> None:
    given = calls("""
    | id | start            |
    | 1  | 2026-03-02 09:00 |
    """)
    problems: list[str] = []
    outcomes = engine.evaluate(terms(), given * 2, problems=problems)
    assert len(outcomes) == 1
    assert problems == ["call CA001 (id 1) given twice: the first kept"]


def test_caller_classes_match_phonenumbers() -> None:
    import random

    rnd = random.Random(11)
    numbers = [f"+1{rnd.choice(['602', '416', '876', '800', '305', '264'])}"
               f"{rnd.randint(0, 9_999_999):07d}" for _ in range(400)]
    numbers += [f"+1{rnd.randint(0, 9_999_999_999):010d}" for _ in range(400)]
    numbers += ["+442079460000", "+12", "anonymous", "+266696687"]
    for number in numbers:
        geo = phone.geo(number)
        expected = (rules.ANONYMOUS if phone.is_anonymous(number)
                    else rules.INVALID | rules.FOREIGN if not geo.valid
                    else 0 if geo.region in {"US", "CA"} else rules.FOREIGN)
        assert rules.caller_class(number) == expected, number


def test_publishers_share_what_every_buyer_contract_billed() -> None:
    # Desert Auto has two contracts that both cover call 1: the publisher's 50% share is of
    # the $55 billed in all; call 2 was too short for any buyer, so its share is of nothing.
    given = calls("""
    | id | start            | talk |
    | 1  | 2026-03-02 09:00 | 120  |
    | 2  | 2026-03-02 09:05 | 30   |
    """)
    extra = terms(name="Desert Auto bonus", campaign=None, price=Price(fixed_micros=10_000_000))
    publisher = terms(name="Acme share", counterparty=Counterparty.PUBLISHER, party="Acme Media",
                      buffer_s=0, price=Price(revenue_share=Decimal("0.5")))
    results = engine.evaluate_many([publisher, terms(), extra], given)
    assert [(o.call_id, o.amount_micros) for o in results[0]] == [(1, 27_500_000), (2, 0)]
    assert [o.qualified for o in results[0]] == [True, True]


def test_compiled_rules_follow_the_terms_even_when_ids_are_reused() -> None:
    # Terms are compiled once per object (looked up by identity); a new object at a freed
    # address must still get its own rules.
    for buffer_s in [*range(300), *range(300)]:
        contract = terms(buffer_s=buffer_s)
        assert rules.compile_terms(contract).buffer_s == buffer_s
        del contract
