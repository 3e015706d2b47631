"""Business hours: weekly blocks in the contract's zone, end excluded, and closed dates."""

from datetime import date

from ppcdesk.billing.terms import Block, Hours
from tests.billing.specs import MON_FRI, terms
from tests.billing.tables import check


def test_weekday_blocks_in_phoenix_time() -> None:
    # 2026-03-02 is a Monday; Phoenix keeps no daylight time.
    check(terms(hours=MON_FRI), """
    | id | start               | outcome     |
    | 1  | 2026-03-02 07:59:59 | after_hours |
    | 2  | 2026-03-02 08:00    | ok $45      |
    | 3  | 2026-03-02 17:59:59 | ok $45      |
    | 4  | 2026-03-02 18:00    | after_hours |
    | 5  | 2026-03-07 10:00    | after_hours |
    | 6  | 2026-03-09 10:00    | ok $45      |
    """)


def test_several_blocks_a_day_and_closed_dates() -> None:
    lunch_break = (Block(8 * 60, 12 * 60), Block(13 * 60, 18 * 60))
    hours = Hours((lunch_break,) * 5 + ((Block(9 * 60, 13 * 60),), ()),
                  frozenset({date(2026, 3, 3)}))
    check(terms(hours=hours), """
    | id | start            | outcome     |
    | 1  | 2026-03-02 11:59 | ok $45      |
    | 2  | 2026-03-02 12:30 | after_hours |
    | 3  | 2026-03-02 13:00 | ok $45      |
    | 4  | 2026-03-03 10:00 | after_hours |
    | 5  | 2026-03-07 12:59 | ok $45      |
    | 6  | 2026-03-08 10:00 | after_hours |
    """)


def test_hours_follow_daylight_saving_in_the_contract_zone() -> None:
    # New York moves to EDT on Sunday 2026-03-08: 08:00 local is 13:00 UTC before, 12:00 after.
    check(terms(hours=MON_FRI, timezone="America/New_York"), """
    | id | start            | outcome     |
    | 1  | 2026-03-06 08:00 | ok $45      |
    | 2  | 2026-03-09 08:00 | ok $45      |
    | 3  | 2026-03-09 07:59 | after_hours |
    """, zone="America/New_York")


def test_a_block_to_midnight_includes_the_last_minute() -> None:
    late = Hours(((Block(20 * 60, 24 * 60),),) * 7)
    check(terms(hours=late), """
    | id | start               | outcome     |
    | 1  | 2026-03-02 23:59:59 | ok $45      |
    | 2  | 2026-03-03 00:00    | after_hours |
    """)
