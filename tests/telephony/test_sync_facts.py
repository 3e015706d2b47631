"""A call's derived facts are the same whether read from its stored legs or from legs in hand.

The sync derives the facts of a call stored for the first time from the legs of its own page
(``derive_facts``), and those of a stored call from the database (``_derived``); both must
answer alike, ties and unknowns included. Times are minutes after T0, as in test_sync_support.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from ppcdesk.storage import ingest
from ppcdesk.telephony import sync_store
from ppcdesk.telephony.provider import CallRecord
from test_sync_support import T0, at, open_desk

# leg  call  status     start  dur  cost  buyer      (cost and start "-": not known yet)
LEGS = """
L1   CA1   completed  0.5    270  14000  1
L2   CA1   completed  0.2    100  -      2
L3   CA1   no-answer  0.1    0    0      1
L4   CA2   completed  1      60   500    1
L5   CA2   completed  1      90   700    2
L6   CA3   busy       2      0    -      1
L7   CA4   completed  -      30   100    2
L8   CA4   completed  3      40   100    1
L9   CA5   no-answer  4      0    -      -
"""
# call  connected_s  answered child's start  buyer  legs_cost_micros
FACTS = """
CA1   100  0.2  2  14000
CA2   60   1    1  1200
CA3   0    -    -  -
CA4   30   -    2  200
CA5   0    -    -  -
"""


def _leg_rows(table: str) -> list[tuple[Any, ...]]:
    rows = []
    for sid, call, status, start, dur, cost, buyer in (
            line.split() for line in table.strip().splitlines()):
        rows.append((sid, call, "+12125550123", "+13105550100", status, "outbound-dial",
                     at(start), None, int(dur), None if cost == "-" else int(cost),
                     None if buyer == "-" else int(buyer)))
    return rows


def _facts(table: str) -> dict[str, tuple[Any, ...]]:
    out = {}
    for call, connected, start, buyer, cost in (
            line.split() for line in table.strip().splitlines()):
        out[call] = (int(connected), at(start), None if buyer == "-" else int(buyer),
                     None if cost == "-" else int(cost))
    return out


@pytest.mark.parametrize("order", ["as listed", "reversed"])
def test_facts_from_legs_in_hand_equal_facts_from_stored_legs(tmp_path: Path,
                                                               order: str) -> None:
    rows = _leg_rows(LEGS)
    if order == "reversed":
        rows.reverse()
    assert sync_store.derive_facts(rows) == _facts(FACTS)
    with open_desk(tmp_path) as desk, desk.db.write() as conn:
        conn.exec_driver_sql("PRAGMA defer_foreign_keys = ON")  # no calls: only the facts
        ingest.upsert_legs(conn, rows)
        stored = sync_store._derived(conn, sorted({row[1] for row in rows}))
        conn.exec_driver_sql("DELETE FROM call_legs")
    assert stored == _facts(FACTS)


def test_a_leg_given_twice_counts_once_with_its_last_values() -> None:
    first, again = _leg_rows("""
L1   CA1   ringing    0      0    -      1
L1   CA1   completed  0      45   900    1
""")
    assert sync_store.derive_facts([first, again]) == {"CA1": (45, T0, 1, 900)}


def test_a_legs_row_holds_each_field_of_its_record_in_its_column() -> None:
    record = CallRecord("CL1", "CA1", "+12125550123", "+13105550100", "completed",
                        "outbound-dial", T0, T0 + 60, 60, 900, None)
    row = sync_store._leg_row(record, {"+13105550100": 2})
    assert dict(zip(ingest.LEG_COLUMNS, row, strict=True)) == {
        "sid": "CL1", "call_sid": "CA1", "from_number": "+12125550123",
        "to_number": "+13105550100", "status": "completed", "direction": "outbound-dial",
        "started_at": T0, "ended_at": T0 + 60, "duration_s": 60, "cost_micros": 900,
        "buyer_id": 2}
