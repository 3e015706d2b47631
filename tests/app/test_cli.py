"""The command line, end to end: ``python -m ppcdesk`` in a subprocess, as a user or script runs it.

Every error is one line on stderr with a meaningful exit code (1: ppcdesk refused, 2: bad usage);
no command but ``self-test`` (without --no-gui) ever loads Qt.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from ppcdesk import __version__
from ppcdesk.app import cli
from ppcdesk.config import paths as paths_mod
from ppcdesk.config import settings
from ppcdesk.storage import migrate

TIMEOUT = 120  # seconds; only reached when something hangs
DEMO = ("demo", "--seed", "7", "--end", "2026-11-20")


def ppcdesk(*args: str | Path) -> subprocess.CompletedProcess[str]:
    """Run ``python -m ppcdesk ARGS`` with this test's PPCDESK_HOME (set by the conftest)."""
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", PYTHONDONTWRITEBYTECODE="1")
    return subprocess.run(
        [sys.executable, "-m", "ppcdesk", *map(str, args)],
        capture_output=True, text=True, timeout=TIMEOUT, env=env, check=False)


def one_line(text: str) -> str:
    lines = text.strip().splitlines()
    assert len(lines) == 1, f"expected one line, got: {text!r}"
    return lines[0]


def test_demo_then_info_reports_the_calls_and_the_schema(tmp_path: Path) -> None:
    db = tmp_path / "x.sqlite"
    made = ppcdesk("--db", db, *DEMO, "--calls", "2000")
    assert made.returncode == 0, made.stderr
    assert "2,000 calls" in made.stdout
    info = ppcdesk("--db", db, "info", "--json")
    assert info.returncode == 0, info.stderr
    data = json.loads(info.stdout)
    assert data["calls"] == 2000
    assert data["schema_revision"] == migrate.head_revision()
    assert data["schema_head"] == migrate.head_revision()
    assert data["workspace"]["is_demo"] is True
    assert data["database"] == str(db.resolve())


def test_info_on_a_missing_database_says_so_in_one_line(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere" / "none.sqlite"
    result = ppcdesk("--db", missing, "info")
    assert result.returncode == 1
    assert str(missing) in one_line(result.stderr)
    assert result.stdout == ""
    assert not missing.exists()  # a read-only command creates nothing


def test_info_on_a_file_that_is_not_a_workspace_is_refused_not_a_crash(tmp_path: Path) -> None:
    notes = tmp_path / "notes.sqlite"
    notes.write_text("not a database at all\n" * 100)
    result = ppcdesk("--db", notes, "info")
    assert result.returncode == 1, result.stderr  # 70 would mean "a bug in ppcdesk"
    assert "not a ppcdesk database" in one_line(result.stderr)


@pytest.mark.parametrize("args", [
    ("info", "--bogus"),
    ("frobnicate",),  # a mistyped command is an error, not a reason to open the window
    ("demo", "--calls", "lots"),
    ("demo", "--end", "20 November"),
])
def test_bad_usage_exits_2_with_one_line(args: tuple[str, ...]) -> None:
    result = ppcdesk(*args)
    assert result.returncode == 2
    assert one_line(result.stderr).startswith("ppcdesk: error:")


def test_a_second_demo_into_the_same_file_needs_replace(tmp_path: Path) -> None:
    db = tmp_path / "demo.sqlite"
    assert ppcdesk("--db", db, *DEMO, "--calls", "50").returncode == 0
    again = ppcdesk("--db", db, *DEMO, "--calls", "80")
    assert again.returncode == 1
    message = one_line(again.stderr)
    assert "already has data" in message
    assert "--replace" in message
    replaced = ppcdesk("--db", db, *DEMO, "--calls", "80", "--replace")
    assert replaced.returncode == 0, replaced.stderr
    assert json.loads(ppcdesk("--db", db, "info", "--json").stdout)["calls"] == 80


def test_demo_while_another_ppcdesk_holds_the_database_names_the_holder(
        tmp_path: Path, lock_holder: Callable[..., Any]) -> None:
    db = tmp_path / "busy.sqlite"
    holder = lock_holder(db, "gui")
    result = ppcdesk("--db", db, *DEMO, "--calls", "50")
    assert result.returncode == 1
    message = one_line(result.stderr)
    assert f"pid {holder.pid}" in message
    assert "gui" in message
    assert not db.exists()  # refused before anything was touched


_PROBE = """
import json, sys
from ppcdesk.__main__ import main
try:
    code = main(sys.argv[1:])
except SystemExit as done:  # --help and --version end through argparse
    code = done.code
qt = sorted(m for m in sys.modules if m.partition('.')[0] in {'PySide6', 'shiboken6', 'pyqtgraph'})
print('QT-MODULES=' + json.dumps(qt), file=sys.stderr)
sys.exit(code)
"""


@pytest.mark.parametrize("command", [
    (*DEMO, "--calls", "50"),
    ("info", "--json"),
    ("self-test", "--no-gui"),
    ("--help",),
])
def test_a_cli_command_never_imports_qt(tmp_path: Path, command: tuple[str, ...]) -> None:
    db = tmp_path / "q.sqlite"
    if command[0] == "info":
        assert ppcdesk("--db", db, *DEMO, "--calls", "50").returncode == 0
    result = subprocess.run(
        [sys.executable, "-c", _PROBE, "--db", str(db), *command],
        capture_output=True, text=True, timeout=TIMEOUT, check=False)
    assert result.returncode == 0, result.stderr
    probe = [line for line in result.stderr.splitlines() if line.startswith("QT-MODULES=")]
    assert probe, result.stderr
    assert json.loads(probe[0].removeprefix("QT-MODULES=")) == []


def test_self_test_without_gui_passes(tmp_path: Path) -> None:
    result = ppcdesk("self-test", "--no-gui", "--json")
    assert result.returncode == 0, result.stdout + result.stderr
    report = json.loads(result.stdout)
    assert report["ok"] is True
    statuses = {check["name"]: check["status"] for check in report["checks"]}
    assert statuses["database"] == "pass"
    assert statuses["phone numbers"] == "pass"
    assert set(statuses.values()) <= {"pass", "skip"}
    assert "chart rendering" not in statuses  # the Qt checks were left out


def test_version() -> None:
    result = ppcdesk("--version")
    assert result.returncode == 0
    assert result.stdout.strip() == f"ppcdesk {__version__}"


# ---------------------------------------------------------------- in-process details


@pytest.mark.parametrize(("argv", "gui"), [
    ([], True),
    (["--db", "work.sqlite"], True),
    (["--db=work.sqlite", "--home", "/portable"], True),
    (["info"], False),
    (["--db", "work.sqlite", "demo"], False),
    (["frobnicate"], False),
    (["--help"], False),
    (["--version"], False),
    (["--db"], False),  # argparse explains what is missing
])
def test_only_a_bare_invocation_opens_the_window(argv: list[str], gui: bool) -> None:
    assert cli.wants_gui(argv) is gui


@pytest.mark.parametrize("where", ["before", "after"])
def test_json_is_accepted_before_or_after_the_command(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], where: str) -> None:
    db = tmp_path / "j.sqlite"
    assert cli.main(["--db", str(db), *DEMO, "--calls", "20"]) == 0
    capsys.readouterr()
    argv = (["--json", "--db", str(db), "info"] if where == "before"
            else ["--db", str(db), "info", "--json"])
    assert cli.main(argv) == 0
    assert json.loads(capsys.readouterr().out)["calls"] == 20


def test_info_prints_a_human_summary_without_json(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = tmp_path / "h.sqlite"
    assert cli.main(["--db", str(db), *DEMO, "--calls", "20"]) == 0
    capsys.readouterr()
    assert cli.main(["--db", str(db), "info"]) == 0
    out = capsys.readouterr().out
    assert f"schema    {migrate.head_revision()}" in out
    assert "[DEMO]" in out
    assert not out.lstrip().startswith("{")


def test_the_demo_ends_yesterday_in_the_users_zone(ppcdesk_home: Path) -> None:
    paths = paths_mod.resolve().ensure()
    late_evening = datetime(2026, 11, 21, 2, 30, tzinfo=UTC)  # 21:30 on Nov 20 in New York
    assert cli.today_for_user(paths, late_evening) == date(2026, 11, 20)
    settings.save(paths.config, settings.Settings(timezone="Asia/Tokyo"))
    assert cli.today_for_user(paths, late_evening) == date(2026, 11, 21)
