"""``ppcdesk kpi`` and ``ppcdesk spend``, run as a user runs them, on a small demo year."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from ppcdesk.storage.db import Database

TIMEOUT = 180
END = "2026-11-20"


def ppcdesk(*args: str | Path) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, PYTHONDONTWRITEBYTECODE="1")
    return subprocess.run([sys.executable, "-m", "ppcdesk", *map(str, args)],
                          capture_output=True, text=True, timeout=TIMEOUT, env=env, check=False)


def as_json(*args: str | Path) -> Any:
    result = ppcdesk(*args, "--json")
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


@pytest.fixture(scope="module")
def demo_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("kpi-cli")
    db = folder / "demo.sqlite"
    made = ppcdesk("--home", folder / "home", "--db", db, "demo", "--calls", "2000", "--seed",
                   "3", "--end", END)
    assert made.returncode == 0, made.stderr
    return db


@pytest.fixture(scope="module",
                params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgresql)])
def demo(request: pytest.FixtureRequest, demo_file: Path) -> Iterator[str]:
    """The demo's ``--db``: the file, or a PostgreSQL database it was copied into."""
    if request.param == "sqlite":
        yield str(demo_file)
        return
    from ppcdesk.core.progress import run_job
    from ppcdesk.storage.copy import copy_job

    server = request.getfixturevalue("pg_server")
    url = server.create_database(template=request.getfixturevalue("_pg_template"))
    source, destination = Database(demo_file), Database(url)
    try:
        assert run_job(copy_job(source, destination)).committed
    finally:
        source.dispose()
        destination.dispose()  # a template for each test's copy: no connection may stay
    yield url
    server.drop_database(url)


@pytest.fixture
def workspace(request: pytest.FixtureRequest, demo: str, tmp_path: Path) -> Iterator[str]:
    """A copy of the demo a test may write to (spend)."""
    if "://" not in demo:
        copy = tmp_path / "w.sqlite"
        shutil.copy(demo, copy)
        yield str(copy)
        return
    server = request.getfixturevalue("pg_server")
    url = server.create_database(template=demo.rsplit("/", 1)[1])
    yield url
    server.drop_database(url)


def scalar(db: str, sql: str, *params: object) -> int:
    """One number read straight from the workspace's tables."""
    database = Database(db)
    try:
        with database.read() as conn:
            return int(conn.exec_driver_sql(sql, params).scalar_one())
    finally:
        database.dispose()


def calls_on(db: str, day: date, zone: str) -> int:
    """Calls that started on ``day`` in ``zone``, counted straight from the table."""
    start = datetime(day.year, day.month, day.day, tzinfo=ZoneInfo(zone))
    lo, hi = int(start.timestamp()), int((start + timedelta(days=1)).timestamp())
    return scalar(db, "SELECT COUNT(*) FROM calls WHERE started_at >= ? AND started_at < ?",
                  lo, hi)


def test_kpi_defaults_to_the_30_days_up_to_the_newest_call(demo: str) -> None:
    data = as_json("--db", demo, "kpi")
    assert (data["from"], data["to"], data["by"]) == ("2026-10-22", END, None)
    (row,) = data["rows"]
    assert row["total_calls"] > 0
    assert 0 < row["answer_rate"] < 1
    assert isinstance(row["revenue"], int)  # micros: the demo's contracts were evaluated
    text = ppcdesk("--db", demo, "kpi")
    assert text.returncode == 0, text.stderr
    assert f"KPIs 2026-10-22 to {END} (America/New_York)" in text.stdout
    assert "Answer rate" in text.stdout
    assert f"{row['total_calls']:,}" in text.stdout


def test_by_a_dimension_the_rows_add_up_to_the_whole(demo: str) -> None:
    whole = as_json("--db", demo, "kpi")["rows"][0]
    by = as_json("--db", demo, "kpi", "--by", "publisher")
    assert by["by"] == "publisher"
    assert len(by["rows"]) > 1
    assert sum(r["total_calls"] for r in by["rows"]) == whole["total_calls"]
    assert sum(r["revenue"] for r in by["rows"]) == whole["revenue"]
    text = ppcdesk("--db", demo, "kpi", "--by", "publisher").stdout
    assert "Peak Leads Co" in text
    assert "(--json gives every KPI)" in text


def test_days_are_counted_in_the_zone_asked_for(demo: str) -> None:
    day = date(2026, 11, 18)
    for zone in ("America/Los_Angeles", "Asia/Tokyo"):
        data = as_json("--db", demo, "kpi", "--from", day.isoformat(), "--to",
                       day.isoformat(), "--tz", zone)
        assert data["zone"] == zone
        assert data["rows"][0]["total_calls"] == calls_on(demo, day, zone)
    by_day = as_json("--db", demo, "kpi", "--from", "2026-11-16", "--to", "2026-11-18",
                     "--by", "day", "--tz", "Asia/Tokyo")
    assert [r["label"] for r in by_day["rows"]] == ["2026-11-16", "2026-11-17", "2026-11-18"]
    assert by_day["rows"][-1]["total_calls"] == calls_on(demo, day, "Asia/Tokyo")


def test_a_bad_dimension_is_a_usage_error(demo: str) -> None:
    result = ppcdesk("--db", demo, "kpi", "--by", "colour")
    assert result.returncode == 2
    assert "invalid choice: 'colour'" in result.stderr


def test_a_bad_spend_file_names_file_row_and_field_and_imports_nothing(
        workspace: str, tmp_path: Path) -> None:
    bad = tmp_path / "spend.csv"
    bad.write_text("date,campaign,publisher,amount\n"
                   "2026-11-18,Auto Insurance,Peak Leads Co,120.00\n"
                   "2026-11-19,Auto Insurance,Peak Leads Co,ten\n")
    result = ppcdesk("--db", workspace, "spend", "import", bad)
    assert result.returncode == 1
    assert result.stderr.strip() == (
        "ppcdesk: error: spend.csv, row 3, field 'amount': 'ten' is not an amount")
    unknown = tmp_path / "who.csv"
    unknown.write_text("date,campaign,publisher,amount\n2026-11-18,Auto Insurance,Nobody,1\n")
    result = ppcdesk("--db", workspace, "spend", "import", unknown)
    assert result.stderr.strip() == (
        "ppcdesk: error: who.csv, row 2, field 'publisher': no publisher named 'Nobody'")
    assert scalar(workspace, "SELECT COUNT(*) FROM imports WHERE kind = 'spend'") == 0


def test_spend_imported_and_added_shows_in_media_cost(workspace: str, tmp_path: Path) -> None:
    day = ["--from", "2019-06-03", "--to", "2019-06-03"]  # no demo spend that day
    assert as_json("--db", workspace, "kpi", *day)["rows"][0]["media_cost"] == 0
    good = tmp_path / "spend.csv"
    good.write_text("date,campaign,publisher,amount,source\n"
                    "2019-06-03,Auto Insurance,Peak Leads Co,\"$1,200.50\",radio\n")
    imported = as_json("--db", workspace, "spend", "import", good)
    assert imported["rows"] == 1
    assert as_json("--db", workspace, "kpi", *day)["rows"][0]["media_cost"] == 1_200_500_000
    added = as_json("--db", workspace, "spend", "add", "--date", "2019-06-03", "--amount",
                    "99.50", "--campaign", "auto insurance", "--source", "billboard")
    assert added["amount_micros"] == 99_500_000
    assert as_json("--db", workspace, "kpi", *day)["rows"][0]["media_cost"] == 1_300_000_000
    missing = ppcdesk("--db", workspace, "spend", "add", "--date", "2019-06-03", "--amount",
                      "5", "--campaign", "Roofing")
    assert missing.returncode == 1
    assert "no campaign named 'Roofing'" in missing.stderr

