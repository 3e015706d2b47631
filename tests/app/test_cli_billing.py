"""``ppcdesk contracts``, ``evaluate``, ``whatif``, ``explain``: run as a user runs them."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from ppcdesk.storage.db import Database
from tests.billing.job_support import APEX, DECLARATIONS, PEAK, add_calls, import_text

TIMEOUT = 120
MONDAY = """
CA01 | 2026-03-02 09:00 | +12145550001 | 120 | Apex
CA02 | 2026-03-02 09:10 | +12145550002 |  95 | Apex
CA03 | 2026-03-02 09:20 | +12145550003 |  84 | Apex
CA04 | 2026-03-02 09:30 | +12145550001 | 300 | Apex
"""


def ppcdesk(*args: str | Path) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, PYTHONDONTWRITEBYTECODE="1")
    return subprocess.run([sys.executable, "-m", "ppcdesk", *map(str, args)],
                          capture_output=True, text=True, timeout=TIMEOUT, env=env, check=False)


@pytest.fixture
def workspace(db_target: str) -> str:
    """A workspace with the campaign, buyers and publisher declared, calls, no contracts;
    on each back end (a SQLite file's path or a PostgreSQL URL)."""
    db = Database(db_target)
    import_text(db, DECLARATIONS)
    add_calls(db, MONDAY)
    db.dispose()
    return db_target


def test_a_bad_file_exits_1_naming_every_problem_and_imports_nothing(
        workspace: str, tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    text = DECLARATIONS + "\n" + APEX.replace('buffer = "90s"', 'buffer = "-5s"').replace(
        'amount = "$45.00"', 'amount = "$45.00"\ncolour = "red"')
    bad.write_text(text)
    buffer_line = text.splitlines().index('buffer = "-5s"') + 1
    colour_line = text.splitlines().index('colour = "red"') + 1
    result = ppcdesk("--db", workspace, "contracts", "import", bad)
    assert result.returncode == 1
    lines = result.stdout.strip().splitlines()
    assert lines[0].startswith(f"{bad}:{buffer_line}: contract 'Apex auto' buffer:")
    assert lines[1].startswith(f"{bad}:{colour_line}: contract 'Apex auto' price.colour: "
                               "unknown key")
    assert lines[-1] == "2 problems; nothing was imported."
    as_json = json.loads(ppcdesk("--db", workspace, "contracts", "import", bad,
                                 "--json").stdout)
    assert [(p["line"], p["key"]) for p in as_json["problems"]] == [
        (buffer_line, "buffer"), (colour_line, "price.colour")]
    listed = json.loads(ppcdesk("--db", workspace, "contracts", "list", "--json").stdout)
    assert listed["contracts"] == []


def test_import_evaluate_show_explain_export_and_whatif(workspace: str, tmp_path: Path) -> None:
    good = tmp_path / "contracts.toml"
    good.write_text(APEX + "\n" + PEAK)
    imported = ppcdesk("--db", workspace, "contracts", "import", good, "--json")
    assert imported.returncode == 0, imported.stderr
    data = json.loads(imported.stdout)
    assert data["created"] == ["Apex auto", "Peak payout"]
    assert data["outcomes"]["outcomes"] == 8  # 4 calls x 2 contracts, evaluated on import

    shown = ppcdesk("--db", workspace, "contracts", "show", "Apex auto")
    assert shown.returncode == 0, shown.stderr
    assert "Reads as:" in shown.stdout
    assert "v1  saved" in shown.stdout

    explained = json.loads(ppcdesk("--db", workspace, "explain", "CA03", "--json").stdout)
    apex = next(c for c in explained["contracts"] if c["contract"] == "Apex auto")
    assert apex["qualified"] is False
    assert [r[0] for r in apex["reasons"]] == ["short"]
    buffer = next(t for t in apex["trace"] if t["reason"] == "short")
    assert buffer["passed"] is False
    assert buffer["values"] == {"measured_s": 84, "buffer_s": 90}

    out = tmp_path / "out" / "exported.toml"
    out.parent.mkdir()
    assert ppcdesk("--db", workspace, "contracts", "export", "--out", out).returncode == 0
    again = json.loads(ppcdesk("--db", workspace, "contracts", "import", out, "--json").stdout)
    assert (again["created"], again["updated"]) == ([], [])

    draft = tmp_path / "draft.toml"
    draft.write_text(APEX.replace('buffer = "90s"', 'buffer = "80s"').replace("daily = 2",
                                                                              "daily = 3"))
    whatif = json.loads(ppcdesk("--db", workspace, "whatif", draft, "--from", "2026-03-01",
                                "--to", "2026-03-03", "--json").stdout)
    (apex_change,) = whatif["contracts"]
    assert [(c["sid"], c["change"]) for c in apex_change["calls"]] == [("CA03", "gained")]
    assert apex_change["result"]["after_micros"] - apex_change["result"]["before_micros"] == (
        45_000_000)

    evaluated = json.loads(ppcdesk("--db", workspace, "evaluate", "--json").stdout)
    assert evaluated["outcomes"] == 0  # nothing changed since the import evaluated
