"""Buffer and connection: talk time against the buffer; exactly the buffer qualifies."""

from ppcdesk.billing.terms import BufferBasis
from ppcdesk.core.model import Counterparty
from tests.billing.specs import terms
from tests.billing.tables import check


def test_connected_time_against_the_buffer() -> None:
    check(terms(), """
    | id | start            | ring | talk | outcome       |
    | 1  | 2026-03-02 09:00 | 10   | 95   | ok $45        |
    | 2  | 2026-03-02 09:05 | 10   | 90   | ok $45        |
    | 3  | 2026-03-02 09:10 | 10   | 89   | short         |
    | 4  | 2026-03-02 09:15 | 40   | 84   | short         |
    | 5  | 2026-03-02 09:20 | 30   | -    | -             |
    """)


def test_a_publisher_is_not_paid_for_calls_nobody_answered() -> None:
    # A buyer contract never sees these (no buyer); the publisher's says why it does not pay.
    check(terms(counterparty=Counterparty.PUBLISHER, party="Acme Media"), """
    | id | start            | ring | talk | outcome       |
    | 1  | 2026-03-02 09:00 | 30   | -    | not_connected |
    | 2  | 2026-03-02 09:05 | 10   | 90   | ok $45        |
    """)


def test_buffer_from_call_start_counts_ringing_and_pays_unanswered_calls() -> None:
    # A publisher paid on the caller's whole call: ringing counts, answering is not needed.
    check(terms(buffer_basis=BufferBasis.CALL), """
    | id | start            | ring | talk | duration | outcome |
    | 1  | 2026-03-02 09:00 | 30   | 60   | 90       | ok $45  |
    | 2  | 2026-03-02 09:05 | 30   | 59   | 89       | short   |
    | 3  | 2026-03-02 09:10 | 10   | -    | 95       | -       |
    """)


def test_zero_buffer_takes_every_connected_call() -> None:
    check(terms(buffer_s=0), """
    | id | start            | talk | outcome       |
    | 1  | 2026-03-02 09:00 | 0    | ok $45        |
    | 2  | 2026-03-02 09:05 | -    | -             |
    """)


def test_a_call_still_in_progress_is_decided_later() -> None:
    check(terms(), """
    | id | start            | talk | final | caller    | outcome   |
    | 1  | 2026-03-02 09:00 | 10   | no    | anonymous | not_final |
    | 2  | 2026-03-02 09:05 | 95   | yes   | anonymous | caller_blocked |
    """)
