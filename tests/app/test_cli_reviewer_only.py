"""``ppcdesk contracts import`` on a reviewer-only ppcdesk: refused, saying why."""

from __future__ import annotations

from pathlib import Path

import pytest
from ppcdesk.app.cli import main
from ppcdesk.config import paths as paths_mod
from ppcdesk.config import settings

CONTRACT = """\
[[campaign]]
name = "Auto Insurance"
timezone = "America/Chicago"

[[buyer]]
name = "Apex Auto Insurance Group"

[[contract]]
name = "Apex auto"
buyer = "Apex Auto Insurance Group"
timezone = "America/Chicago"

[contract.price]
amount = "$38.00"
"""


def test_contracts_import_exits_with_the_reason_and_imports_nothing(
        capsys: pytest.CaptureFixture[str], tmp_path: Path, ppcdesk_home: Path) -> None:
    contract, db = tmp_path / "apex.toml", tmp_path / "w.sqlite"
    contract.write_text(CONTRACT, encoding="utf-8")
    config = paths_mod.resolve(str(ppcdesk_home)).ensure().config
    settings.save(config, settings.Settings(reviewer_only=True))
    assert main(["--db", str(db), "contracts", "import", str(contract)]) == 1
    assert capsys.readouterr().err == (
        "ppcdesk: error: this ppcdesk is in reviewer-only mode (Settings): contracts cannot be "
        "changed here\n")
    assert main(["--db", str(db), "contracts", "list", "--json"]) == 0
    assert '"contracts": []' in capsys.readouterr().out
    settings.save(config, settings.Settings(reviewer_only=False))
    assert main(["--db", str(db), "contracts", "import", str(contract)]) == 0
