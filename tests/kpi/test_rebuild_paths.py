"""A whole rebuild (one ordered pass over callers and outcomes) equals the per-call probes.

A refresh of a few days probes each call's caller history; a rebuild reads the same facts from
one window pass. Both must count the same first calls and repeat calls, ties in the same
second included (ordered by start, then id).
"""

from __future__ import annotations

from kpi_support import NOON, Workspace
from ppcdesk.kpi import rollups
from ppcdesk.storage.models import KPI_MEASURE_COLUMNS

DAY_S = 86_400
GROUPS = ["f.started_at / 3600", "f.publisher_id"]


def _both(ws: Workspace) -> tuple[list[tuple[int, ...]], list[tuple[int, ...]]]:
    with ws.db.write() as conn:
        probed = conn.exec_driver_sql(rollups.source_sql(GROUPS, "1 = 1") + " ORDER BY 1, 2").all()
        rollups.make_passes(conn)  # the rebuild's path, compared directly
        passed = conn.exec_driver_sql(rollups.source_sql(GROUPS, "1 = 1", passes=True)
                                      + " ORDER BY 1, 2").all()
    return [tuple(r) for r in probed], [tuple(r) for r in passed]


def test_first_and_repeat_calls_agree_between_rebuild_and_probes(ws: Workspace) -> None:
    # caller            | start                  | answered
    # +12125550001      | noon, noon (same s)    | yes, yes    -> a first, a repeat; the
    #                   |                        |             second is resolved
    # +12125550001      | noon + 8 days          | yes         -> a repeat
    # +12125550002      | noon, noon + 6 days    | yes, no     -> first not resolved
    # anonymous         | noon x 2               | yes         -> never first, never resolved
    one, two = "+12125550001", "+12125550002"
    ws.call(caller=one, billable=True, revenue=5_000_000, payout=1_000_000)
    ws.call(caller=one, billable=False, flags=1)
    ws.call(caller=one, at=NOON + 8 * DAY_S)
    ws.call(caller=two, publisher=2)
    ws.call(caller=two, at=NOON + 6 * DAY_S, answered=False)
    ws.calls(2, caller="anonymous")
    probed, passed = _both(ws)
    assert probed == passed
    totals = {key: sum(row[2 + i] for row in probed)
              for i, key in enumerate(("calls", "answered"))}
    assert totals == {"calls": 7, "answered": 6}
    ws.build()
    noon = ws.figures()
    assert noon["first_time_callers"] == 2  # one's first call and two's
    # Answered from a known caller that day: one's two calls and two's. Resolved: only one's
    # second call (its next is 8 days on); one's first was followed in the same second, two's
    # six days later.
    assert noon["first_call_resolution"] == 1 / 3


def test_a_refresh_without_new_calls_sums_only_their_hours_and_agrees(ws: Workspace) -> None:
    one = "+12125550001"
    first = ws.call(caller=one, at=NOON - 3 * DAY_S)
    ws.call(caller=one, at=NOON)  # makes the first call "called again"
    ws.build()
    with ws.db.write() as conn:  # a reviewer marks the first call converted
        conn.exec_driver_sql("INSERT INTO dispositions (call_id, code, author, created_at) "
                             "VALUES (?, 'converted', 'me', 0)", (first,))
        rollups.refresh_rollups(conn, NOON - 3 * DAY_S, NOON - 3 * DAY_S + 1,
                                calls_added=False)
        refreshed = conn.exec_driver_sql("SELECT * FROM kpi_hourly ORDER BY 1, 2, 3, 4, 5"
                                         ).all()
        daily = conn.exec_driver_sql("SELECT * FROM kpi_daily ORDER BY 1, 2, 3, 4, 5").all()
    ws.build()
    with ws.db.read() as conn:
        assert conn.exec_driver_sql("SELECT * FROM kpi_hourly ORDER BY 1, 2, 3, 4, 5"
                                    ).all() == refreshed
        assert conn.exec_driver_sql("SELECT * FROM kpi_daily ORDER BY 1, 2, 3, 4, 5"
                                    ).all() == daily
    conversions = 5 + KPI_MEASURE_COLUMNS.index("conversions")  # after hour and 4 dimensions
    assert sum(row[conversions] for row in refreshed) == 1
