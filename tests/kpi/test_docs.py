"""docs/kpis.md is what the catalogue says today."""

from __future__ import annotations

from pathlib import Path

from ppcdesk.kpi import catalog, docs

DOC = Path(__file__).resolve().parents[2] / "docs" / "kpis.md"


def test_the_kpi_reference_is_generated_from_the_catalogue() -> None:
    assert DOC.read_text(encoding="utf-8") == docs.render(), (
        "docs/kpis.md is stale: run `.venv/bin/python -m ppcdesk.kpi.docs`")


def test_the_reference_names_every_kpi_the_issue_asks_for() -> None:
    text = docs.render()
    for key in ("total_calls", "unique_callers", "first_time_callers", "repeat_callers",
                "answered_calls", "missed_calls", "voicemail_calls", "after_hours_calls",
                "calls_by_day", "calls_by_hour", "calls_by_weekday", "peak_hours",
                "answer_rate", "missed_call_rate", "abandonment_rate", "avg_call_duration_s",
                "avg_time_to_answer_s", "talk_minutes", "first_call_resolution",
                "recording_capture_rate", "billable_calls", "billable_rate", "payable_calls",
                "duplicate_calls", "duplicate_rate", "short_calls", "blocked_calls",
                "conversions", "conversion_rate", "conversion_rate_by_publisher", "revenue",
                "payout", "telco_cost", "media_cost", "profit", "cost_per_call",
                "cost_per_billable_call", "revenue_per_call", "revenue_per_billable_call",
                "rpm", "cpa", "roas", "roi_pct", "missed_call_revenue_loss"):
        assert key in catalog.BY_KEY
        assert f"`{key}`" in text
