"""The rollups agree with the calls, stay right after a refresh, and spend files fail clearly."""

from __future__ import annotations

from pathlib import Path

import pytest
from kpi_support import NOON, ONE_DAY, Workspace
from ppcdesk.kpi import catalog, spend
from ppcdesk.kpi.rollups import refresh_rollups, source_sql
from ppcdesk.storage.models import KPI_MEASURE_COLUMNS


def test_the_catalogue_measures_are_the_rollup_columns_in_order() -> None:
    assert tuple(m.key for m in catalog.MEASURES) == KPI_MEASURE_COLUMNS
    assert len(catalog.BY_KEY) == len(catalog.KPIS)  # every key once


def test_hourly_and_daily_rollups_sum_to_what_the_calls_say(ws: Workspace) -> None:
    for i in range(30):
        ws.call(at=NOON + i * 2_000, answered=i % 3 > 0, billable=i % 2 == 0,
                revenue=1_000_000 * i, recorded=i % 5 == 0, connected_s=20 * i)
    ws.build()
    with ws.db.read() as conn:
        raw = conn.exec_driver_sql(source_sql([], "1 = 1")).one()
        hourly = conn.exec_driver_sql(
            "SELECT " + ", ".join(f"SUM({c})" for c in KPI_MEASURE_COLUMNS)
            + " FROM kpi_hourly").one()
        daily = conn.exec_driver_sql(
            "SELECT " + ", ".join(f"SUM({c})" for c in KPI_MEASURE_COLUMNS)
            + " FROM kpi_daily").one()
    assert tuple(raw) == tuple(hourly) == tuple(daily)


def test_a_refresh_brings_new_calls_and_outcomes_in(ws: Workspace) -> None:
    ws.calls(3)
    ws.build()
    ws.call(at=NOON + 60, billable=True, revenue=7_000_000)
    stale = ws.kpi.report(ONE_DAY).rows[0].values
    assert stale["total_calls"] == 3  # not refreshed yet
    with ws.db.write() as conn:
        refresh_rollups(conn, NOON, NOON + 61)
    fresh = ws.kpi.report(ONE_DAY).rows[0].values
    assert fresh["total_calls"] == 4
    assert fresh["revenue"] == 7_000_000


CAST = ({"Auto": 1}, {"Alpha": 1})


def test_a_spend_csv_reads_into_rows() -> None:
    rows = spend.parse_spend("date,campaign,publisher,amount,source\n"
                             "2026-03-10,Auto,Alpha,\"$1,250.50\",Google\n"
                             "2026-03-11,,,12\n", "s.csv", *CAST)
    assert [(r.day.isoformat(), r.campaign_id, r.publisher_id, r.amount_micros, r.source)
            for r in rows] == [("2026-03-10", 1, 1, 1_250_500_000, "Google"),
                               ("2026-03-11", None, None, 12_000_000, "")]


@pytest.mark.parametrize(("text", "message"), [
    ("day,amount\n", "s.csv, row 1: the header lacks date, campaign, publisher"),
    ("date,campaign,publisher,amount\n2026-03-10,Auto,Alpha,1\n2026-13-01,Auto,Alpha,1\n",
     "s.csv, row 3, field 'date': '2026-13-01' is not a date"),
    ("date,campaign,publisher,amount\n2026-03-10,Home,Alpha,1\n",
     "s.csv, row 2, field 'campaign': no campaign named 'Home'"),
    ("date,campaign,publisher,amount\n2026-03-10,Auto,Zed,1\n",
     "s.csv, row 2, field 'publisher': no publisher named 'Zed'"),
    ("date,campaign,publisher,amount\n2026-03-10,Auto,Alpha,ten\n",
     "s.csv, row 2, field 'amount': 'ten' is not an amount"),
    ("date,campaign,publisher,amount\n2026-03-10,Auto,Alpha,-5\n",
     "s.csv, row 2, field 'amount': a spend cannot be negative"),
])
def test_a_bad_spend_csv_names_file_row_and_field(text: str, message: str) -> None:
    with pytest.raises(spend.SpendFileError) as info:
        spend.parse_spend(text, "s.csv", *CAST)
    assert str(info.value).startswith(message)


def test_importing_spend_twice_replaces_the_days(ws: Workspace, tmp_path: Path) -> None:
    file = tmp_path / "spend.csv"
    file.write_text("date,campaign,publisher,amount\n2026-03-10,Auto,Alpha,100\n")
    for _ in range(2):
        for _progress in ws.kpi.import_spend_job(file):
            pass
    ws.calls(4)
    assert ws.figures()["media_cost"] == 100_000_000
    assert ws.figures()["cost_per_call"] == 25_000_000
