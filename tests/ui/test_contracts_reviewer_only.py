"""Reviewer-only mode on the contracts page: shown, not changed, and the page says why."""

from __future__ import annotations

from typing import Any

from ppcdesk.ui.main_window import PAGE_KEYS, MainWindow
from ppcdesk.ui.pages.contracts_page import REVIEWER_NOTE, ContractsPage
from ppcdesk.ui.pages.settings_page import SettingsPage


def show_page(qtbot: Any, window: MainWindow, key: str) -> Any:
    page = window.pages[key]
    loads = page.loads
    window.nav.setCurrentRow(PAGE_KEYS.index(key))
    qtbot.waitUntil(lambda: page.loads > loads, timeout=10_000)
    return page


def test_the_settings_checkbox_turns_the_contracts_editing_off_and_on(
        qtbot: Any, window: MainWindow) -> None:
    contracts = show_page(qtbot, window, "contracts")
    assert isinstance(contracts, ContractsPage)
    assert contracts.buttons["Import…"].isEnabled()
    assert not contracts.reviewer_note.isVisible()

    settings = show_page(qtbot, window, "settings")
    assert isinstance(settings, SettingsPage)
    settings.reviewer_box.setChecked(True)
    assert window.services.settings().reviewer_only

    contracts = show_page(qtbot, window, "contracts")
    assert contracts.reviewer_note.isVisible()
    assert contracts.reviewer_note.text() == REVIEWER_NOTE
    assert not contracts.buttons["Import…"].isEnabled()
    assert not contracts.buttons["New contract"].isEnabled()
    assert contracts.buttons["Export…"].isEnabled()  # reading stays
    assert contracts.buttons["Evaluate all"].isEnabled()
    assert contracts.editor.text.isReadOnly()
    assert not contracts.editor.save.isVisible()
    assert contracts.model.rowCount() >= 10  # the contracts are still all there

    show_page(qtbot, window, "settings").reviewer_box.setChecked(False)
    contracts = show_page(qtbot, window, "contracts")
    assert not contracts.reviewer_note.isVisible()
    assert contracts.buttons["New contract"].isEnabled()
    assert not contracts.editor.text.isReadOnly()
