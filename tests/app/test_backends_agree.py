"""The same workspace on SQLite and on PostgreSQL gives the same answers (issue 9).

One demo year is written into each back end with the same seed and end. Then every figure a
user reads must be identical: the counts, every KPI of the catalogue by campaign, the billing
outcomes and their money, the call log as exported, and a what-if over the year. One SQL
text serves both back ends through ppcdesk/storage/dialect.py; this test is what catches a
query that means something else on the other one.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from ppcdesk.app.cli import main
from ppcdesk.storage.db import Database

pytestmark = [pytest.mark.postgresql, pytest.mark.slow]
END = "2026-11-20"
FROM = "2025-11-21"


def run(capsys: pytest.CaptureFixture[str], home: Path, db: str, *args: str) -> Any:
    code = main(["--home", str(home), "--db", db, *args, "--json"])
    out = capsys.readouterr().out
    assert code == 0, out
    return json.loads(out)


def both(capsys: pytest.CaptureFixture[str], tmp_path: Path, pg_empty_url: str,
         *args: str) -> tuple[Any, Any]:
    home = tmp_path / "home"
    return (run(capsys, home, str(tmp_path / "demo.sqlite"), *args),
            run(capsys, home, pg_empty_url, *args))


def test_one_demo_year_reads_the_same_on_both_back_ends(
        capsys: pytest.CaptureFixture[str], tmp_path: Path, pg_empty_url: str) -> None:
    lite, server = both(capsys, tmp_path, pg_empty_url,
                        "demo", "--calls", "1500", "--seed", "7", "--end", END)
    for key in ("calls", "legs", "recordings", "dispositions", "notes", "spend"):
        assert lite[key] == server[key], key

    lite_info, server = both(capsys, tmp_path, pg_empty_url, "info")
    counts = {k for k, v in lite_info.items() if isinstance(v, int) and k != "size_bytes"}
    assert {k: lite_info[k] for k in counts} == {k: server[k] for k in counts}
    assert lite_info["outcomes"] > 0
    assert lite_info["dispositions"] > 0

    for by in ("campaign", "buyer", "publisher", "month"):
        lite, server = both(capsys, tmp_path, pg_empty_url, "kpi", "--from", FROM, "--to", END,
                            "--by", by)
        assert lite == server, f"KPIs by {by} differ"

    export = tmp_path / "calls-{}.csv"
    sqlite_csv, server_csv = Path(str(export).format("lite")), Path(str(export).format("pg"))
    run(capsys, tmp_path / "home", str(tmp_path / "demo.sqlite"), "calls", "export", "--csv",
        str(sqlite_csv), "--reveal")
    run(capsys, tmp_path / "home", pg_empty_url, "calls", "export", "--csv", str(server_csv),
        "--reveal")
    assert sqlite_csv.read_bytes() == server_csv.read_bytes()
    assert len(sqlite_csv.read_text("utf-8").splitlines()) == 1501

    outcomes = _outcomes(tmp_path / "demo.sqlite")
    assert len(outcomes) == lite_info["outcomes"]
    assert outcomes == _outcomes(pg_empty_url)

    draft = tmp_path / "draft.toml"
    draft.write_text(DRAFT, "utf-8")
    lite, server = both(capsys, tmp_path, pg_empty_url, "whatif", str(draft), "--from", FROM,
                        "--to", END)
    assert lite == server
    assert lite["contracts"][0]["result"]["changes"], "the draft should move some calls"


# Apex's demo terms with a 60 s buffer instead of 90 s: calls between 60 and 90 s change.
DRAFT = """
[[contract]]
name = "Apex Auto - Auto Insurance"
buyer = "Apex Auto Insurance Group"
campaign = "Auto Insurance"
timezone = "America/Chicago"
buffer = "60s"

[contract.price]
amount = "$28.00"

[contract.duplicates]
window = "30d"

[contract.hours]
weekdays = ["08:00-20:00"]
sat = ["09:00-14:00"]

[contract.caps]
daily = 120
"""


def _outcomes(target: Path | str) -> list[tuple[Any, ...]]:
    """Every stored outcome, by call and contract: verdicts, money, flags and reasons."""
    db = Database(target)
    try:
        with db.read() as conn:
            return [tuple(row) for row in conn.exec_driver_sql(
                "SELECT c.sid, k.name, o.billable, o.payable, o.revenue_micros, "
                "o.payout_micros, o.flags, o.reasons, d.sid FROM call_outcomes o "
                "JOIN calls c ON c.id = o.call_id JOIN contracts k ON k.id = o.contract_id "
                "LEFT JOIN calls d ON d.id = o.duplicate_of_call_id ORDER BY c.sid, k.name")]
    finally:
        db.dispose()
