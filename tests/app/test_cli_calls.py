"""``ppcdesk calls export/import`` and ``recordings policy/prune`` through the CLI's main()."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from ppcdesk.app.cli import main
from ppcdesk.storage.db import Database

DEMO = ["demo", "--calls", "400", "--seed", "5", "--end", "2026-11-20"]


def run(capsys: pytest.CaptureFixture[str], home: Path, db: str, *args: str) -> dict:  # type: ignore[type-arg]
    code = main(["--home", str(home), "--db", db, *args, "--json"])
    out = capsys.readouterr().out
    assert code == 0, out
    return json.loads(out)  # type: ignore[no-any-return]


def test_export_with_filters_then_import_into_another_workspace(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], db_target: str,
        other_target: str) -> None:
    home, db, other = tmp_path / "home", db_target, other_target
    run(capsys, home, db, *DEMO)
    everything = run(capsys, home, db, "calls", "export", "--csv", str(tmp_path / "all.csv"))
    answered = run(capsys, home, db, "calls", "export", "--csv", str(tmp_path / "c.csv"),
                   "--status", "completed", "--recording")
    assert 0 < answered["rows"] < everything["rows"] == 400
    lines = (tmp_path / "c.csv").read_text().splitlines()
    assert all(",completed," in line for line in lines[1:])
    assert run(capsys, home, other, "calls", "import", str(tmp_path / "c.csv"))["rows"] == \
        answered["rows"]
    run(capsys, home, other, "calls", "export", "--csv", str(tmp_path / "again.csv"))
    assert (tmp_path / "again.csv").read_text() == (tmp_path / "c.csv").read_text()


def test_a_bad_file_fails_naming_row_and_column(tmp_path: Path,
                                                capsys: pytest.CaptureFixture[str],
                                                db_target: str) -> None:
    home, db = tmp_path / "home", db_target
    run(capsys, home, db, *DEMO)
    run(capsys, home, db, "calls", "export", "--csv", str(tmp_path / "all.csv"))
    lines = (tmp_path / "all.csv").read_text().splitlines()
    lines[2] = lines[2].replace("Z,", "Z+,", 1)
    (tmp_path / "bad.csv").write_text("\n".join(lines) + "\n")
    code = main(["--home", str(home), "--db", db, "calls", "import",
                 str(tmp_path / "bad.csv")])
    err = capsys.readouterr().err
    assert code == 1
    assert "bad.csv, row 3, field 'started_at'" in err


def test_the_recordings_policy_is_kept(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                       db_target: str) -> None:
    home, db = tmp_path / "home", db_target
    run(capsys, home, db, *DEMO)
    set_ = run(capsys, home, db, "recordings", "policy", "--max-mb", "250", "--keep-days", "60")
    assert (set_["max_megabytes"], set_["keep_days"]) == (250, 60)
    shown = run(capsys, home, db, "recordings", "policy")
    assert (shown["max_megabytes"], shown["keep_days"]) == (250, 60)
    assert run(capsys, home, db, "recordings", "prune")["expired"] == 0  # demo audio is bundled


def test_delete_on_twilio_needs_yes_and_says_what_it_would_delete(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], db_target: str) -> None:
    home, db = tmp_path / "home", db_target
    run(capsys, home, db, *DEMO)
    database = Database(db)
    try:
        with database.write() as conn:  # three recordings still only on Twilio
            conn.exec_driver_sql(
                "UPDATE recordings SET file_state = 'remote', duration_s = 120 WHERE id IN "
                "(SELECT id FROM recordings ORDER BY id LIMIT 3)")
    finally:
        database.dispose()
    code = main(["--home", str(home), "--db", db, "recordings", "fetch",
                 "--delete-on-twilio"])
    err = capsys.readouterr().err
    assert code == 1
    assert "This deletes 3 recordings (6 minutes) on Twilio" in err
    assert "beyond 10,000 minutes" in err
    assert "--yes" in err
