"""The main window on a demo workspace: every page shows the database's real data."""

from __future__ import annotations

from ppcdesk.core.changes import ChangeSet, Entity
from ppcdesk.ui.main_window import PAGE_KEYS, MainWindow
from ppcdesk.ui.models.calls_model import BLOCK
from ppcdesk.ui.pages.calls_page import CallsPage
from ppcdesk.ui.pages.dashboard_page import DashboardPage
from PySide6.QtCore import QSettings, Qt
from PySide6.QtWidgets import QApplication


def wait_loaded(qtbot, page, loads: int = 1) -> None:  # type: ignore[no-untyped-def]
    qtbot.waitUntil(lambda: page.loads >= loads, timeout=10_000)


def test_dashboard_tiles_show_the_period_computed_by_the_services(qtbot, window, services):
    page = window.pages["dashboard"]
    assert isinstance(page, DashboardPage)
    wait_loaded(qtbot, page)
    expected = services.kpi.dashboard(page.data.period).current["total_calls"]
    assert page.tiles["total_calls"].value.text() == f"{expected:,}"
    assert expected > 0
    assert page.welcome.isHidden()
    assert sum(row[1] for row in page.data.series) == expected
    assert "[DEMO]" in window.windowTitle()
    assert window.demo_badge.isVisible()


def test_keyboard_shortcuts_move_between_pages(qtbot, window):
    for i, key in enumerate(PAGE_KEYS):
        qtbot.keyClick(window, Qt.Key(Qt.Key.Key_1 + i), Qt.KeyboardModifier.ControlModifier)
        assert window.current_page() is window.pages[key]


def test_no_two_keys_collide_and_help_lists_them_all(qtbot, window):
    """The window's shortcuts and the review queue's keys are each bound once, and F1 says them."""
    from PySide6.QtGui import QAction, QShortcut

    window_keys = [a.shortcut().toString() for a in window.findChildren(QAction)
                   if not a.shortcut().isEmpty()]
    # An action in the Go menu is also added to the window: count each action once.
    actions = {a: a.shortcut().toString() for a in window.findChildren(QAction)
               if not a.shortcut().isEmpty()}
    assert len(set(actions.values())) == len(actions), window_keys
    calls = window.pages["calls"]
    queue = [s.key().toString() for s in calls.findChildren(QShortcut)
             if s.context() == Qt.ShortcutContext.WidgetWithChildrenShortcut]
    assert len(set(queue)) == len(queue)
    assert not set(queue) & set(actions.values())
    text = window.shortcuts_text()
    for key in [*actions.values(), *(k for k in queue if k not in ("Space", "Esc", "Left",
                                                                    "Right"))]:
        assert f"<b>{key}" in text or f"{key} /" in text or f"/ {key}" in text, key


def test_calls_page_lists_the_log_newest_first_and_reads_more_by_key(qtbot, window, services):
    window.nav.setCurrentRow(PAGE_KEYS.index("calls"))
    page = window.pages["calls"]
    assert isinstance(page, CallsPage)
    wait_loaded(qtbot, page)
    model = page.model
    qtbot.waitUntil(lambda: page.counted > 0, timeout=10_000)  # the count follows the rows
    # The model spans the whole log and reads the blocks the view shows, by key.
    assert model.rowCount() == services.count_calls()
    assert page.summary.text().startswith(f"{services.count_calls():,} calls")
    rows = [model.row(i) for i in range(model.rowCount())]
    sids = [r.call.sid for r in rows if r is not None]
    assert len(sids) == services.count_calls() == len(set(sids))
    starts = [r.call.started_at for r in rows if r is not None]
    assert starts == sorted(starts, reverse=True)
    assert model.reads == -(-len(sids) // BLOCK) - 1  # the first block came with the page


def test_numbers_and_partners_pages_show_what_the_workspace_has(qtbot, window, services):
    window.nav.setCurrentRow(PAGE_KEYS.index("numbers"))
    numbers = window.pages["numbers"]
    wait_loaded(qtbot, numbers)
    assert numbers.model.rowCount() == len(services.numbers()) == 17
    assert sum(n.calls for n in numbers.model.records) == services.count_calls()
    window.nav.setCurrentRow(PAGE_KEYS.index("partners"))
    partners = window.pages["partners"]
    wait_loaded(qtbot, partners)
    assert partners.buyers.rowCount() == 7
    assert partners.tabs.tabText(1) == "Publishers (6)"


def test_a_change_set_reloads_a_page_only_when_it_is_shown(qtbot, window):
    calls = window.pages["calls"]
    window.nav.setCurrentRow(PAGE_KEYS.index("calls"))
    wait_loaded(qtbot, calls)
    window.nav.setCurrentRow(PAGE_KEYS.index("settings"))
    before = calls.loads
    window.apply_changes(ChangeSet.of(Entity.CALLS))
    assert calls.stale
    QApplication.processEvents()
    assert calls.loads == before  # hidden: it waits
    window.apply_changes(ChangeSet.of(Entity.CONTRACTS))
    window.nav.setCurrentRow(PAGE_KEYS.index("calls"))
    wait_loaded(qtbot, calls, before + 1)
    assert not calls.stale


def test_geometry_and_last_page_are_remembered(qtbot, window, services, paths):
    window.resize(1024, 650)  # the offscreen screen clamps anything wider
    qtbot.waitUntil(lambda: window.height() == 650)
    size = (window.width(), window.height())
    window.nav.setCurrentRow(PAGE_KEYS.index("numbers"))
    window.close()
    settings = QSettings(str(paths.config / "ui.ini"), QSettings.Format.IniFormat)
    again = MainWindow(services, settings, demo_db=paths.demo_db, main_db=paths.default_db,
                       log_file=paths.log_file)
    qtbot.addWidget(again)
    again.show()
    assert again.current_page() is again.pages["numbers"]
    assert (again.width(), again.height()) == size
    again.close()
