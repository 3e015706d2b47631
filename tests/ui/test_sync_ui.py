"""Connecting an account and syncing it from the window, with a provider held in memory."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from ppcdesk.app import bootstrap
from ppcdesk.config.paths import Paths
from ppcdesk.config.secrets import MemorySecretStore
from ppcdesk.core.changes import ChangeSet, Entity
from ppcdesk.core.clock import FixedClock, to_epoch
from ppcdesk.services.app_services import AppServices
from ppcdesk.telephony.memory_provider import MemoryProvider
from ppcdesk.telephony.provider import NetworkDownError
from ppcdesk.ui.dialogs.account_dialog import AddAccountDialog
from ppcdesk.ui.main_window import PAGE_KEYS, MainWindow
from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QMessageBox

NOW = datetime(2026, 11, 21, 15, 0, tzinfo=UTC)
ACCOUNT = "AC" + "1" * 32
KEY = "SK" + "2" * 32
SECRET = "s3cret-never-shown-anywhere"  # noqa: S105 - a test secret to hunt for


@pytest.fixture
def provider() -> MemoryProvider:
    start = to_epoch(NOW) - 10 * 86_400
    return MemoryProvider.generated(calls=120, seed=5, start=start, days=9, page_size=25)


@pytest.fixture
def sync_window(qtbot, paths: Paths, tmp_path: Path,  # type: ignore[no-untyped-def]
                provider: MemoryProvider) -> Iterator[MainWindow]:
    workspace = bootstrap.open_workspace(tmp_path / "mine.sqlite", paths, purpose="test")
    services = AppServices(workspace.db, paths, FixedClock(NOW),
                           provider_factory=lambda _credentials: provider,
                           secret_store=MemorySecretStore(), environ={})
    window = MainWindow(services, QSettings(str(paths.config / "ui.ini"),
                                            QSettings.Format.IniFormat),
                        demo_db=paths.demo_db, main_db=paths.default_db, log_file=paths.log_file)
    # Not qtbot.addWidget: pytest-qt would close the window before this teardown, while a sync
    # may still run, and its "Cancel it and quit?" box would wait forever offscreen (a CI run
    # hung here). Stop the jobs first, then close (as conftest's ``window`` does).
    window.show()
    yield window
    window.runner.shutdown()
    window.close()
    window.deleteLater()
    workspace.close()


def connect_account(window: MainWindow) -> None:
    dialog = AddAccountDialog(window.services, window)
    dialog.account_sid.setText(ACCOUNT)
    dialog.key_sid.setText(KEY)
    dialog.secret.setText(SECRET)
    dialog.label.setText("My numbers")
    dialog.save()
    assert dialog.added is not None, dialog.error.text()
    dialog.deleteLater()


def test_sync_without_an_account_points_to_settings(qtbot, sync_window, monkeypatch):
    told: list[str] = []
    monkeypatch.setattr(QMessageBox, "information", lambda _p, _t, text: told.append(text))
    assert sync_window.sync_now() is None
    assert "Connect the Twilio account" in told[0]
    assert sync_window.current_page() is sync_window.pages["settings"]


def test_a_bad_account_sid_is_refused_in_the_dialog(qtbot, sync_window):
    dialog = AddAccountDialog(sync_window.services, sync_window)
    dialog.account_sid.setText("AC123")
    dialog.key_sid.setText(KEY)
    dialog.secret.setText(SECRET)
    dialog.save()
    assert dialog.added is None
    assert "AC" in dialog.error.text()
    assert sync_window.services.accounts() == []
    dialog.deleteLater()


def test_connect_then_sync_brings_the_calls_into_every_page(qtbot, sync_window, provider):
    connect_account(sync_window)
    settings = sync_window.pages["settings"]
    sync_window.nav.setCurrentRow(PAGE_KEYS.index("settings"))
    sync_window.apply_changes(ChangeSet.of(Entity.ACCOUNTS))
    qtbot.waitUntil(lambda: settings.accounts_box.model.rowCount() == 1, timeout=5_000)
    assert settings.accounts_box.model.records[0].secret_available

    with qtbot.waitSignal(sync_window.runner.job_finished, timeout=30_000):
        assert sync_window.sync_now() is not None
    inbound = sum(1 for c in provider.calls_list if c.parent_sid is None)
    assert sync_window.services.count_calls() == inbound
    assert f"(ok, {inbound:,} calls new or updated)" in sync_window.sync_label.text()
    calls = sync_window.pages["calls"]
    sync_window.nav.setCurrentRow(PAGE_KEYS.index("calls"))
    qtbot.waitUntil(lambda: calls.model.rowCount() == inbound, timeout=5_000)
    assert sync_window.sync_button.isEnabled()


def test_test_connection_says_what_is_wrong(qtbot, sync_window, provider):
    connect_account(sync_window)
    box = sync_window.pages["settings"].accounts_box
    box.show_accounts(sync_window.services.accounts(), "UTC")
    box.test()
    qtbot.waitUntil(lambda: box.result.text().startswith("✔"), timeout=5_000)
    provider.fail_at("account", 1, NetworkDownError("no connection to Twilio"))
    box.test()
    qtbot.waitUntil(lambda: box.result.text().startswith("✘"), timeout=5_000)
    assert "no connection" in box.result.text()


def test_a_failed_sync_keeps_what_it_stored_and_says_why(qtbot, sync_window, provider,
                                                        monkeypatch):
    warned: list[str] = []
    monkeypatch.setattr(QMessageBox, "warning", lambda _p, _t, text: warned.append(text))
    connect_account(sync_window)
    provider.fail_at("calls", 3, NetworkDownError("no connection to Twilio"))
    with qtbot.waitSignal(sync_window.runner.job_failed, timeout=30_000):
        sync_window.sync_now()
    assert "no connection" in warned[0]
    stored = sync_window.services.count_calls()
    assert stored > 0  # the pages before the failure are kept
    with qtbot.waitSignal(sync_window.runner.job_finished, timeout=30_000):
        sync_window.sync_now()
    inbound = sum(1 for c in provider.calls_list if c.parent_sid is None)
    assert sync_window.services.count_calls() == inbound


def test_the_secret_is_never_stored_in_settings_database_or_log(qtbot, sync_window, paths):
    connect_account(sync_window)
    sync_window.runner.shutdown()  # a job still running would ask "Cancel it and quit?"
    sync_window.close()  # flushes ui.ini and the log
    files = [p for folder in (paths.config, paths.data, paths.logs) for p in folder.rglob("*")
             if p.is_file()] + [sync_window.services.db.path]
    assert sync_window.services.db.path.exists()
    for path in files:
        assert SECRET.encode() not in path.read_bytes(), path
