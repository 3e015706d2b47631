"""Each KPI on small hand-made tables, against the figure worked out by hand.

The examples of the trade, as a buyer or publisher would check them on paper:
90 answered of 120 calls is a 75% answer rate; $2,000 of media for 400 calls is $5 a call;
20 missed calls at a 10% billable rate worth $500 each lose $1,000; $20,000 of revenue on
$5,000 of spend is a ROAS of 4.0.
"""

from __future__ import annotations

from datetime import timedelta

from kpi_support import DAY, NOON, ONE_DAY, ZONE, Workspace
from ppcdesk.core.reasons import ReasonFlag
from ppcdesk.kpi.queries import Filters, Period

DOLLAR = 1_000_000


def test_90_answered_of_120_calls_is_a_75_percent_answer_rate(ws: Workspace) -> None:
    ws.calls(90, answered=True)
    ws.calls(30, answered=False)
    f = ws.figures()
    assert f["total_calls"] == 120
    assert f["answered_calls"] == 90
    assert f["missed_calls"] == 30
    assert f["answer_rate"] == 0.75
    assert f["missed_call_rate"] == 0.25


def test_2000_dollars_of_media_for_400_calls_is_5_dollars_a_call(ws: Workspace) -> None:
    ws.calls(400)
    ws.media(DAY, 2_000 * DOLLAR)
    f = ws.figures()
    assert f["media_cost"] == 2_000 * DOLLAR
    assert f["cost_per_call"] == 5 * DOLLAR


def test_20_missed_at_10_percent_worth_500_lose_1000(ws: Workspace) -> None:
    ws.calls(10, billable=True, revenue=500 * DOLLAR)  # 10 of 100 answered bill, $500 each
    ws.calls(90, billable=False)
    ws.calls(20, answered=False, billable=False)
    f = ws.figures()
    assert f["billable_calls"] == 10
    assert f["revenue_per_billable_call"] == 500 * DOLLAR
    assert f["missed_call_revenue_loss"] == 1_000 * DOLLAR


def test_20000_of_revenue_on_5000_of_spend_is_a_roas_of_4(ws: Workspace) -> None:
    ws.calls(40, billable=True, revenue=500 * DOLLAR)
    ws.media(DAY, 5_000 * DOLLAR)
    f = ws.figures()
    assert f["revenue"] == 20_000 * DOLLAR
    assert f["roas"] == 4.0
    assert f["profit"] == 15_000 * DOLLAR
    assert f["roi_pct"] == 300.0


def test_a_zero_denominator_is_na_never_zero(ws: Workspace) -> None:
    f = ws.figures()  # no calls at all
    assert f["total_calls"] == 0
    for key in ("answer_rate", "avg_call_duration_s", "cost_per_call", "conversion_rate",
                "first_call_resolution", "recording_capture_rate", "roas", "cpa"):
        assert f[key] is None, key


def test_without_outcomes_money_and_quality_figures_are_na(ws: Workspace) -> None:
    ws.calls(5, connected_s=100, cost=10_000)
    f = ws.figures()
    for key in ("revenue", "billable_rate", "rpm", "duplicate_calls", "after_hours_calls",
                "profit", "missed_call_revenue_loss"):
        assert f[key] is None, key
    assert f["telco_cost"] == 50_000  # telco cost needs no contract
    assert f["talk_minutes"] == 500 / 60


def test_handling_figures(ws: Workspace) -> None:
    # Two callers: one calls twice within 7 days (not resolved first time), one once.
    ws.call(caller="+12125550001", connected_s=60, recorded=True)
    ws.call(caller="+12125550001", at=NOON + 3600, connected_s=180)
    ws.call(caller="+12125550002", connected_s=120, recorded=True)
    ws.call(caller="anonymous", answered=False)
    f = ws.figures()
    assert f["unique_callers"] == 2  # anonymous callers cannot be told apart
    assert f["first_time_callers"] == 2
    assert f["avg_call_duration_s"] == 120.0  # (60 + 180 + 120) / 3
    assert f["avg_time_to_answer_s"] == 10.0
    assert f["recording_capture_rate"] == 2 / 3
    # Answered calls from known callers: 3; the first of caller 1 was followed by a call.
    assert f["first_call_resolution"] == 2 / 3
    assert f["abandonment_rate"] == 0.25  # the anonymous caller hung up, no forward failed


def test_repeat_callers_are_those_seen_before_the_period(ws: Workspace) -> None:
    ws.call(caller="+12125550001", at=NOON - 86_400 * 3)
    ws.call(caller="+12125550001")
    ws.call(caller="+12125550002")
    f = ws.figures()
    assert (f["unique_callers"], f["first_time_callers"], f["repeat_callers"]) == (2, 1, 1)


def test_quality_counts_come_from_the_outcome_flags(ws: Workspace) -> None:
    ws.call(billable=False, flags=int(ReasonFlag.DUPLICATE))
    ws.call(billable=False, flags=int(ReasonFlag.SHORT), connected_s=30)
    ws.call(billable=False, flags=int(ReasonFlag.GEO_BLOCKED))
    ws.call(billable=False, flags=int(ReasonFlag.AFTER_HOURS | ReasonFlag.DUPLICATE))
    ws.call(billable=True, revenue=40 * DOLLAR, payout=15 * DOLLAR, disposition="converted")
    f = ws.figures()
    assert f["duplicate_calls"] == 2
    assert f["duplicate_rate"] == 2 / 5
    assert f["short_calls"] == 1
    assert f["blocked_calls"] == 1
    assert f["after_hours_calls"] == 1
    assert f["billable_rate"] == 1 / 5
    assert f["payable_calls"] == 1
    assert f["payout"] == 15 * DOLLAR
    assert f["conversions"] == 1
    assert f["conversion_rate"] == 1 / 5
    # rpm: $40 over (120*4 + 30) connected seconds = 8.5 minutes.
    assert f["rpm"] == round(40 * DOLLAR * 60 / 510)


def test_breakdowns_by_publisher_and_by_hour_in_the_users_zone(ws: Workspace) -> None:
    ws.calls(3, publisher=1)
    ws.calls(2, publisher=2, at=NOON + 3 * 3600)
    ws.build()
    by_pub = ws.kpi.report(ONE_DAY, by="publisher")
    assert [(r.label, r.values["total_calls"]) for r in by_pub.rows] == [
        ("Alpha", 3), ("Beta", 2)]
    by_hour = ws.kpi.report(ONE_DAY, by="hour")
    assert [(r.label, r.values["total_calls"]) for r in by_hour.rows] == [
        ("12:00", 3), ("15:00", 2)]  # noon and 3 pm in New York
    chicago = ws.kpi.report(Period(DAY, DAY, "America/Chicago"), by="hour")
    assert [r.label for r in chicago.rows] == ["11:00", "14:00"]
    only_beta = ws.kpi.report(ONE_DAY, Filters(publisher_id=2))
    assert only_beta.rows[0].values["total_calls"] == 2


def test_days_follow_the_zone_through_a_dst_change(ws: Workspace) -> None:
    # 2026-03-08 is the spring-forward Sunday in New York: 23 hours long.
    sunday = DAY - timedelta(days=2)
    late = NOON - 2 * 86_400 + 11 * 3600 + 1800  # 23:30 local on Sunday (EDT)
    ws.call(at=late)
    ws.call(at=late + 3600)  # 00:30 on Monday
    ws.build()
    rows = ws.kpi.report(Period(sunday, sunday + timedelta(days=1), ZONE), by="day").rows
    assert [(r.label, r.values["total_calls"]) for r in rows] == [
        ("2026-03-08", 1), ("2026-03-09", 1)]
