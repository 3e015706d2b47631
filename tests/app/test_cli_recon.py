"""``ppcdesk reports import``, ``reconcile`` and ``disputes`` in process, as a script runs them."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import zipfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from ppcdesk.app import cli
from ppcdesk.storage.db import Database

T = int(datetime(2026, 3, 2, 15, tzinfo=UTC).timestamp())  # 10:00 in New York
sys.path.insert(0, str(Path(__file__).parents[1] / "recon"))
from recon_support import add_buyer_contract, apply_rule  # noqa: E402


@pytest.fixture
def target(db_target: str) -> str:
    """A workspace with buyer Acme Health and three billable calls, on each back end."""
    db = Database(db_target)
    with db.write() as conn:
        conn.exec_driver_sql("INSERT INTO workspace (id, name, role, timezone, currency, "
                             "is_demo, created_at) VALUES (1, 'Desk', 'publisher', "
                             "'America/New_York', 'USD', 0, 0)")
        conn.exec_driver_sql("INSERT INTO buyers (id, name, contact, created_at) VALUES "
                             "(1, 'Acme Health', '', 0)")
        for i in (1, 2, 3):
            conn.exec_driver_sql(
                "INSERT INTO calls (sid, caller, called, status, direction, started_at, "
                "duration_s, connected_s, buyer_id, updated_at) VALUES (?, ?, '+18005550100', "
                "'completed', 'inbound', ?, 130, 120, 1, 0)",
                (f"CA{i}", f"+1602555010{i}", T + i * 600))
    apply_rule(db, add_buyer_contract(db, 1), 1)  # all three billable at $25
    db.dispose()
    return db_target


def run(capsys: pytest.CaptureFixture[str], *argv: str | Path) -> tuple[int, Any]:
    code = cli.main([str(a) for a in argv])
    out = capsys.readouterr()
    try:
        return code, json.loads(out.out)
    except json.JSONDecodeError:
        return code, out.out + out.err


def _when(i: int) -> str:
    return datetime.fromtimestamp(T + i * 600, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def test_import_reconcile_dispute(target: str, tmp_path: Path,
                                  capsys: pytest.CaptureFixture[str]) -> None:
    report = tmp_path / "acme.csv"
    report.write_text("call_id,caller,started_at,duration,amount,status,campaign\n"
                      f"CA1,,{_when(1)},120,$25.00,paid,A\n"
                      f",(602) 555-0102,{_when(2)},118,$20.00,paid,A\n"
                      f",602-555-0109,{_when(2)},100,$25.00,paid,A\n"
                      f",6025550103,not a date,120,$25.00,paid,A\n", encoding="utf-8")
    db = ("--db", target)
    code, text = run(capsys, *db, "reports", "import", report, "--preset", "generic-iso",
                     "--partner", "acme health")
    assert code == 1
    assert "row 5, column 'started_at', value 'not a date'" in text
    assert "nothing was imported" in text

    code, out = run(capsys, *db, "reports", "import", report, "--preset", "generic-iso",
                    "--partner", "Acme Health", "--good-rows", "--json")
    assert (code, out["rows_ok"], out["rows_failed"], out["partner"]) == (0, 3, 1,
                                                                           "Acme Health")

    code, out = run(capsys, *db, "reconcile", "--partner", "Acme Health", "--from",
                    "2026-03-01", "--to", "2026-03-31", "--csv", tmp_path / "diff.csv",
                    "--json")
    assert code == 0
    kinds = sorted((d["kind"], d["call_sid"]) for d in out["differences"])
    assert kinds == [("amount", "CA2"), ("unpaid", "CA3"), ("unseen", None)]
    assert out["totals"]["at_stake_micros"] == 30_000_000
    assert (tmp_path / "diff.csv").read_text().count("\n") == 4

    code, out = run(capsys, *db, "disputes", "open", "--partner", "Acme Health", "--call",
                    "CA3", "--claim", "25.00", "--reason", "not paid", "--json")
    assert (code, out["dispute"]["deadline"]) == (0, "2026-04-01")  # the default 30 days
    code, text = run(capsys, *db, "disputes", "list")
    assert "Claimed $25.00, recovered $0.00; 1 open" in text


def test_reconcile_names_an_unknown_partner(target: str,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    code, text = run(capsys, "--db", target, "reconcile", "--partner", "Nobody", "--from",
                     "2026-03-01", "--to", "2026-03-31")
    assert code == 1
    assert "no buyer or publisher named 'Nobody' (there are: Acme Health)" in text


def test_disputes_evidence_needs_a_dispute_or_a_call(target: str,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    code, text = run(capsys, "--db", target, "disputes", "evidence", "--out", "x")
    assert (code, "name a dispute (ID) or a call (--call SID)" in text) == (1, True)
    code, out = run(capsys, "--db", target, "disputes", "open", "--partner", "Acme Health",
                    "--claim", "25.00", "--reason", "a line we never saw", "--json")
    code, text = run(capsys, "--db", target, "disputes", "evidence", str(out["dispute"]["id"]),
                     "--out", "x")
    assert code == 1
    assert "is about no call of ours" in text


def test_disputes_evidence_writes_a_checked_packet(target: str, tmp_path: Path,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    code, out = run(capsys, "--db", target, "disputes", "open", "--partner", "Acme Health",
                    "--call", "CA2", "--claim", "25.00", "--reason", "not paid", "--json")
    assert code == 0
    # The PDF needs Qt, which this process may have blocked: run the command as a user does.
    folder = tmp_path / "packet"
    done = subprocess.run(
        [sys.executable, "-m", "ppcdesk", "--db", str(target), "disputes", "evidence",
         str(out["dispute"]["id"]), "--out", str(folder), "--zip", "--json"],
        capture_output=True, text=True, check=False, timeout=120,
        env={**os.environ, "QT_QPA_PLATFORM": "offscreen"})
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["files"] == ["SHA256SUMS", "evidence.pdf"]  # no recording for this call
    assert result["written"] == str(folder.with_suffix(".zip"))
    manifest = (folder / "SHA256SUMS").read_text().split()
    pdf = folder / "evidence.pdf"
    assert manifest == [hashlib.sha256(pdf.read_bytes()).hexdigest(), "evidence.pdf"]
    with zipfile.ZipFile(folder.with_suffix(".zip")) as archive:
        assert sorted(archive.namelist()) == ["packet/SHA256SUMS", "packet/evidence.pdf"]
