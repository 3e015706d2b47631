"""Callers and geography: who may call, judged from the number and its state."""

from ppcdesk.billing.terms import Callers, Geography, UnknownState
from tests.billing.specs import MON_FRI, terms
from tests.billing.tables import check


def test_anonymous_invalid_and_blocklisted_callers_are_blocked() -> None:
    check(terms(callers=Callers(blocklist=frozenset({"+16025550199"}))), """
    | id | start            | caller        | state | outcome        |
    | 1  | 2026-03-02 09:00 | +16025550101  | AZ    | ok $45         |
    | 2  | 2026-03-02 09:01 | anonymous     | -     | caller_blocked |
    | 3  | 2026-03-02 09:02 | +266696687    | -     | caller_blocked |
    | 4  | 2026-03-02 09:03 | +10255501234  | -     | caller_blocked |
    | 5  | 2026-03-02 09:04 | +16025550199  | AZ    | caller_blocked |
    | 6  | 2026-03-02 09:05 | +442079460000 | -     | ok $45         |
    """)


def test_us_ca_only_refuses_other_countries_but_not_canada() -> None:
    check(terms(callers=Callers(us_ca_only=True, block_anonymous=False)), """
    | id | start            | caller        | state | outcome        |
    | 1  | 2026-03-02 09:00 | +14165550101  | ON    | ok $45         |
    | 2  | 2026-03-02 09:01 | +442079460000 | -     | caller_blocked |
    | 3  | 2026-03-02 09:02 | +18765550101  | -     | caller_blocked |
    | 4  | 2026-03-02 09:03 | anonymous     | -     | ok $45         |
    """)


def test_allowed_and_blocked_states() -> None:
    check(terms(geography=Geography(allowed_states=frozenset({"AZ", "NM"}),
                                    blocked_states=frozenset({"NM"}))), """
    | id | start            | caller       | state | outcome     |
    | 1  | 2026-03-02 09:00 | +16025550101 | AZ    | ok $45      |
    | 2  | 2026-03-02 09:01 | +15055550101 | NM    | geo_blocked |
    | 3  | 2026-03-02 09:02 | +12125550101 | NY    | geo_blocked |
    | 4  | 2026-03-02 09:03 | +18005550101 | -     | ok $45      |
    """)


def test_unknown_state_refused_when_the_contract_says_so() -> None:
    check(terms(geography=Geography(unknown_state=UnknownState.BLOCK)), """
    | id | start            | caller       | state | outcome     |
    | 1  | 2026-03-02 09:00 | +18005550101 | -     | geo_unknown |
    | 2  | 2026-03-02 09:01 | +12125550101 | NY    | ok $45      |
    """)


def test_area_codes_come_from_the_number() -> None:
    check(terms(geography=Geography(allowed_area_codes=frozenset({"602", "480"}),
                                    blocked_area_codes=frozenset({"480"}))), """
    | id | start            | caller        | state | outcome     |
    | 1  | 2026-03-02 09:00 | +16025550101  | AZ    | ok $45      |
    | 2  | 2026-03-02 09:01 | +14805550101  | AZ    | geo_blocked |
    | 3  | 2026-03-02 09:02 | +15205550101  | AZ    | geo_blocked |
    | 4  | 2026-03-02 09:03 | +442079460000 | -     | geo_blocked |
    """)


def test_every_failing_rule_is_listed_in_order() -> None:
    check(terms(geography=Geography(allowed_states=frozenset({"AZ"})), hours=MON_FRI), """
    | id | start            | caller       | state | talk | outcome                         |
    | 1  | 2026-03-02 07:00 | +12125550101 | NY    | 30   | geo_blocked, after_hours, short |
    | 2  | 2026-03-02 07:00 | anonymous    | -     | 95   | caller_blocked, after_hours     |
    """)
