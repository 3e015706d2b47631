"""What-if: draft terms against the saved ones, the calls that change and the money moved."""

from ppcdesk.billing import engine, whatif
from ppcdesk.billing.whatif import Change
from tests.billing.specs import terms
from tests.billing.tables import calls

TABLE = """
| id | start            | talk |
| 1  | 2026-03-02 09:00 | 60   |
| 2  | 2026-03-02 09:05 | 75   |
| 3  | 2026-03-02 09:10 | 95   |
| 4  | 2026-03-02 09:15 | 30   |
"""


def test_raising_the_buffer_loses_the_calls_in_between() -> None:
    given = calls(TABLE)
    saved = {o.call_id: o for o in engine.evaluate(terms(buffer_s=60), given)}
    draft = {o.call_id: o for o in engine.evaluate(terms(buffer_s=90), given)}
    result = whatif.compare(saved, draft)
    assert [(c.call_id, c.change) for c in result.changes] == [(1, Change.LOST),
                                                               (2, Change.LOST)]
    assert result.money_moved_micros == -90_000_000
    assert (result.before_qualified, result.after_qualified) == (3, 1)
    assert result.changes[0].delta_micros == -45_000_000


def test_a_new_price_changes_amounts_and_unchanged_calls_are_left_out() -> None:
    given = calls(TABLE)
    from ppcdesk.billing.terms import Price

    saved = {o.call_id: o for o in engine.evaluate(terms(), given)}
    draft = {o.call_id: o for o in engine.evaluate(
        terms(price=Price(fixed_micros=50_000_000)), given)}
    result = whatif.compare(saved, draft)
    assert [(c.call_id, c.change) for c in result.changes] == [(3, Change.AMOUNT)]
    assert result.money_moved_micros == 5_000_000
    assert whatif.compare(saved, saved).changes == ()
    assert whatif.compare({}, saved).count(Change.GAINED) == 1
