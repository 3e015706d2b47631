"""Statements: the calls a partner's contracts qualified, totals per campaign, CSV and HTML."""

from __future__ import annotations

import csv
import io
from datetime import date

from ppcdesk.reports.csv_export import statement_csv
from ppcdesk.reports.statements import statement, to_html

T = 1_772_463_600  # 2026-03-02 15:00 UTC, 10:00 in New York
ROWS: list[tuple[object, ...]] = [
    ("CA1", T, "+16025550101", "Medicare", 130, 120, 25_000_000),
    ("CA2", T + 600, "+16025550102", "Auto", 95, 91, 12_500_000),
    ("CA3", T + 1200, "+16025550103", "Medicare", 400, 380, 25_000_000),
]


def make():
    return statement("Desert Desk", "Acme <Health>", "buyer", date(2026, 3, 1),
                     date(2026, 3, 31), "America/New_York", ROWS)


def test_totals_and_campaigns() -> None:
    doc = make()
    assert doc.total_micros == 62_500_000
    assert doc.by_campaign() == [("Auto", 1, 12_500_000), ("Medicare", 2, 50_000_000)]
    assert doc.title == "Revenue receivable"


def test_csv_lists_every_call_in_the_zone_and_a_total() -> None:
    rows = list(csv.reader(io.StringIO(statement_csv(make()))))
    assert rows[1] == ["2026-03-02 10:00:00", "+16025550101", "Medicare", "130", "120", "CA1",
                       "25.000000"]
    assert rows[-1] == ["total", "", "", "", "", "3 calls", "62.500000"]


def test_html_names_the_workspace_the_party_escaped_and_the_total() -> None:
    text = to_html(make())
    assert "Desert Desk" in text
    assert "Revenue receivable from Acme &lt;Health&gt;" in text
    assert "$62.50" in text
    assert text.count("<tr>") == 1 + 2 + 1 + 3  # summary header, campaigns, calls header, calls
