"""Reviewer-only mode (Settings): contracts are read here, never changed."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from ppcdesk.config import paths as paths_mod
from ppcdesk.config import settings
from ppcdesk.core.clock import FixedClock
from ppcdesk.core.errors import ReadOnlyRoleError
from ppcdesk.core.progress import run_job
from ppcdesk.services.app_services import AppServices
from ppcdesk.storage import migrate
from ppcdesk.storage.db import Database

MESSAGE = ("this ppcdesk is in reviewer-only mode (Settings): contracts cannot be changed "
           "here")
CONTRACT = """\
[[campaign]]
name = "Auto Insurance"
timezone = "America/Chicago"

[[buyer]]
name = "Apex Auto Insurance Group"

[[contract]]
name = "Apex auto"
buyer = "Apex Auto Insurance Group"
campaign = "Auto Insurance"
timezone = "America/Chicago"
buffer = "{buffer}"

[contract.price]
amount = "$38.00"
"""


@pytest.fixture
def app(tmp_path: Path) -> Iterator[AppServices]:
    """A workspace holding one contract (version 1), its ppcdesk then set to reviewer-only."""
    paths = paths_mod.resolve(tmp_path / "home").ensure()
    db = Database(paths.data / "w.sqlite")
    migrate.upgrade(db)
    services = AppServices(db, paths, FixedClock(datetime(2026, 11, 21, 15, tzinfo=UTC)))
    services.billing.import_contracts(text=CONTRACT.format(buffer="90s"))
    services.save_settings(services.settings().with_changes(reviewer_only=True))
    yield services
    db.dispose()


def versions(app: AppServices) -> list[tuple[str, int]]:
    return [(c.name, c.version) for c in app.billing.contracts()]


def test_every_contract_change_is_refused_with_the_reason(app: AppServices,
                                                          tmp_path: Path) -> None:
    changed = CONTRACT.format(buffer="30s")
    path = tmp_path / "new.toml"
    path.write_text(changed, encoding="utf-8")
    attempts = {
        "import a file": lambda: app.billing.import_contracts(path),
        "import text": lambda: app.billing.import_file(changed, "editor"),
        "save in the editor": lambda: run_job(app.billing.import_job(changed, "editor")),
        "adjust an outcome": lambda: app.billing.adjust(
            "CA1", "Apex auto", "billable", "yes", "buyer agreed", "kim"),
    }
    for what, attempt in attempts.items():
        with pytest.raises(ReadOnlyRoleError) as refused:
            attempt()
        assert str(refused.value) == MESSAGE, what
    assert versions(app) == [("Apex auto", 1)]


def test_reading_contracts_still_works(app: AppServices) -> None:
    assert app.billing.reviewer_only()
    assert len(app.billing.contract("Apex auto").versions) == 1
    assert 'buffer = "90s"' in app.billing.export_contracts()
    assert app.billing.check(CONTRACT.format(buffer="30s")).ok


def test_switching_it_off_allows_changes_again(app: AppServices) -> None:
    app.save_settings(app.settings().with_changes(reviewer_only=False))
    app.billing.import_contracts(text=CONTRACT.format(buffer="30s"))
    assert versions(app) == [("Apex auto", 2)]
    assert settings.load(app.paths.config).reviewer_only is False
