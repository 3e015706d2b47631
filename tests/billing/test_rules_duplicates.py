"""Duplicates: the same caller within the window, in scope, on either basis."""

from ppcdesk.billing.terms import DuplicateBasis, Duplicates, DuplicateScope
from tests.billing.specs import terms
from tests.billing.tables import check

DAY = 86_400


def test_one_call_per_caller_per_30_days() -> None:
    check(terms(duplicates=Duplicates(30 * DAY)), """
    | id | start               | caller       | outcome        |
    | 1  | 2026-03-01 14:02    | +16025550101 | ok $45         |
    | 2  | 2026-03-27 09:00    | +16025550101 | duplicate of 1 |
    | 3  | 2026-03-28 09:00    | +16025550102 | ok $45         |
    | 4  | 2026-04-25 09:00    | +16025550101 | duplicate of 2 |
    | 5  | 2026-05-25 09:00:00 | +16025550101 | ok $45         |
    | 6  | 2026-03-02 09:00    | anonymous    | caller_blocked |
    | 7  | 2026-03-02 09:05    | anonymous    | caller_blocked |
    """)


def test_window_is_measured_between_starts_and_excludes_its_end() -> None:
    check(terms(duplicates=Duplicates(3_600)), """
    | id | start               | caller       | outcome        |
    | 1  | 2026-03-02 09:00:00 | +16025550101 | ok $45         |
    | 2  | 2026-03-02 09:59:59 | +16025550101 | duplicate of 1 |
    | 3  | 2026-03-02 10:59:59 | +16025550101 | ok $45         |
    """)


def test_connected_basis_counts_calls_this_contract_refused() -> None:
    # Call 1 was short, so Desert Auto did not pay for it, but the caller did reach them.
    check(terms(duplicates=Duplicates(30 * DAY)), """
    | id | start            | caller       | talk | outcome        |
    | 1  | 2026-03-02 09:00 | +16025550101 | 30   | short          |
    | 2  | 2026-03-03 09:00 | +16025550101 | 120  | duplicate of 1 |
    """)


def test_qualified_basis_counts_only_calls_this_contract_billed() -> None:
    check(terms(duplicates=Duplicates(30 * DAY, basis=DuplicateBasis.QUALIFIED)), """
    | id | start            | caller       | talk | outcome        |
    | 1  | 2026-03-02 09:00 | +16025550101 | 30   | short          |
    | 2  | 2026-03-03 09:00 | +16025550101 | 120  | ok $45         |
    | 3  | 2026-03-04 09:00 | +16025550101 | 120  | duplicate of 2 |
    | 4  | 2026-03-05 09:00 | +16025550101 | 120  | duplicate of 2 |
    """)


def test_scope_campaign_buyer_or_everything() -> None:
    # Call 1 went to another campaign's buyer: the contract does not cover it, but the scope
    # decides whether it makes call 2 a duplicate.
    others = """
    | id | start            | caller       | campaign | buyer     |
    | 1  | 2026-03-02 09:00 | +16025550101 | Home     | Sunbelt   |
    | 3  | 2026-03-02 10:00 | +16025550102 | Home     | Desert Auto |
    | 5  | 2026-03-02 11:00 | +16025550103 | Auto     | Sunbelt   |
    """
    table = """
    | id | start            | caller       | outcome   |
    | 2  | 2026-03-03 09:00 | +16025550101 | {a}       |
    | 4  | 2026-03-03 10:00 | +16025550102 | {b}       |
    | 6  | 2026-03-03 11:00 | +16025550103 | {c}       |
    """
    for scope, a, b, c in (
            (DuplicateScope.CAMPAIGN, "ok", "ok", "duplicate of 5"),
            (DuplicateScope.BUYER, "ok", "duplicate of 3", "ok"),
            (DuplicateScope.ALL, "duplicate of 1", "duplicate of 3", "duplicate of 5")):
        check(terms(duplicates=Duplicates(30 * DAY, scope)), table.format(a=a, b=b, c=c),
              others=others)


def test_an_unanswered_earlier_call_is_no_duplicate_on_the_connected_basis() -> None:
    check(terms(duplicates=Duplicates(30 * DAY, DuplicateScope.ALL)), """
    | id | start            | caller       | outcome |
    | 2  | 2026-03-03 09:00 | +16025550101 | ok $45  |
    """, others="""
    | id | start            | caller       | talk |
    | 1  | 2026-03-02 09:00 | +16025550101 | -    |
    """)
