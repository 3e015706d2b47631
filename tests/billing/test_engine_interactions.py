"""Rule interactions the issue names: each one table, read top to bottom in call order."""

from ppcdesk.billing.terms import Block, Caps, DuplicateBasis, Duplicates, Hours
from tests.billing.specs import MON_FRI, terms
from tests.billing.tables import check

MONTH = 30 * 86_400


def test_a_duplicate_of_an_over_cap_call() -> None:
    # Call 2 was over the daily cap: not billed, but the caller did reach the buyer.
    table = """
    | id | start            | caller       | outcome        |
    | 1  | 2026-03-02 09:00 | +16025550101 | ok $45         |
    | 2  | 2026-03-02 09:05 | +16025550102 | over_cap       |
    | 3  | 2026-03-03 09:00 | +16025550102 | {third}        |
    """
    check(terms(caps=Caps(daily=1), duplicates=Duplicates(MONTH)),
          table.format(third="duplicate of 2"))
    check(terms(caps=Caps(daily=1), duplicates=Duplicates(MONTH, basis=DuplicateBasis.QUALIFIED)),
          table.format(third="ok $45"))


def test_a_call_at_exactly_the_buffer() -> None:
    check(terms(buffer_s=90), """
    | id | start            | talk | outcome |
    | 1  | 2026-03-02 09:00 | 90   | ok $45  |
    | 2  | 2026-03-02 09:05 | 89   | short   |
    """)


def test_a_call_crossing_midnight_in_the_contract_zone_but_not_in_utc() -> None:
    # 23:59 in Phoenix is 06:59 UTC the next day: its day is the local Monday, for the hours
    # (Monday open until midnight, Tuesday from 08:00) and for the daily cap.
    until_midnight = Hours(((Block(8 * 60, 24 * 60),),) * 5 + ((), ()))
    late = terms(hours=until_midnight, caps=Caps(daily=1))
    check(late, """
    | id | start               | talk | outcome  |
    | 1  | 2026-03-02 23:59:00 | 95   | ok $45   |
    | 2  | 2026-03-03 00:01:00 | 95   | after_hours |
    | 3  | 2026-03-03 08:00:00 | 95   | ok $45   |
    | 4  | 2026-03-03 16:59:00 | 95   | over_cap |
    """)


def test_a_caller_whose_earlier_call_was_outside_hours() -> None:
    table = """
    | id | start            | caller       | outcome        |
    | 1  | 2026-03-02 07:00 | +16025550101 | after_hours    |
    | 2  | 2026-03-02 09:00 | +16025550101 | {second}       |
    """
    check(terms(hours=MON_FRI, duplicates=Duplicates(MONTH)),
          table.format(second="duplicate of 1"))
    check(terms(hours=MON_FRI, duplicates=Duplicates(MONTH, basis=DuplicateBasis.QUALIFIED)),
          table.format(second="ok $45"))
