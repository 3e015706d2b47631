"""The contracts page over a small demo: list with reads-as, live checks, save, what-if, flag."""

from __future__ import annotations

from datetime import date

from ppcdesk.services.app_services import AppServices
from ppcdesk.ui.main_window import PAGE_KEYS, MainWindow
from ppcdesk.ui.pages.contracts_page import ContractsPage

APEX = "Apex Auto - Auto Insurance"  # resources/demo/contracts.toml, which the demo imports


def _open(qtbot, window: MainWindow) -> ContractsPage:  # type: ignore[no-untyped-def]
    page = window.pages["contracts"]
    assert isinstance(page, ContractsPage)
    window.nav.setCurrentRow(PAGE_KEYS.index("contracts"))
    qtbot.waitUntil(lambda: page.loads >= 1 and page.editor.checks >= 1, timeout=10_000)
    assert page.selected == APEX  # the first by name
    return page


def test_the_list_shows_each_contract_with_its_price_and_reads_as(
        qtbot, window: MainWindow, services: AppServices) -> None:  # type: ignore[no-untyped-def]
    page = _open(qtbot, window)
    names = [c.name for c in services.billing.contracts()]
    assert [c.name for c in page.model.records] == names
    assert len(names) >= 10
    assert all(c.price and c.summary for c in page.model.records)
    assert APEX in page.editor.reads_as.text()
    # The demo's Apex hangs up just under 90 s: the page says so, with the figures.
    qtbot.waitUntil(page.behaviour.isVisible, timeout=5_000)
    assert "Apex Auto Insurance Group" in page.behaviour.text()
    assert "in the 15 s before its 90 s buffer" in page.behaviour.text()


def test_a_mistake_is_named_by_line_and_key_and_cannot_be_saved(
        qtbot, window: MainWindow) -> None:  # type: ignore[no-untyped-def]
    page = _open(qtbot, window)
    checks = page.editor.checks
    text = page.editor.text.toPlainText().replace('buffer = "90s"', 'buffer = "ninety"')
    page.editor.text.setPlainText(text)
    qtbot.waitUntil(lambda: page.editor.checks > checks, timeout=5_000)
    line = text.splitlines().index('buffer = "ninety"') + 1
    assert f"line {line}: contract '{APEX}' buffer:" in page.editor.problems.text()
    assert not page.editor.save.isEnabled()
    # The line is tinted in the text, so the eye finds it without counting.
    marked = [m.cursor.blockNumber() + 1 for m in page.editor.text.extraSelections()]
    assert marked == [line]


def test_saving_adds_a_version_and_history_shows_both(
        qtbot, window: MainWindow) -> None:  # type: ignore[no-untyped-def]
    page = _open(qtbot, window)
    checks = page.editor.checks
    before = page.model.records[0].price
    text = page.editor.text.toPlainText()
    page.editor.text.setPlainText(text.replace(f'amount = "{before}"', 'amount = "$99.00"', 1))
    qtbot.waitUntil(lambda: page.editor.checks > checks and page.editor.save.isEnabled(),
                    timeout=5_000)
    loads = page.loads
    page.editor.save.click()
    qtbot.waitUntil(lambda: page.loads > loads and page.history.model.rowCount() == 2,
                    timeout=30_000)
    assert page.model.records[0].price == "$99.00"
    assert [v.version for v in page.history.model.records] == [2, 1]
    assert [v.in_force for v in page.history.model.records] == [True, False]


def test_what_if_lists_the_calls_that_change_and_the_money(
        qtbot, window: MainWindow) -> None:  # type: ignore[no-untyped-def]
    page = _open(qtbot, window)
    page.whatif.set_text(page.editor.text.toPlainText().replace('buffer = "90s"',
                                                                'buffer = "75s"'))
    page.whatif.set_days(date(2026, 10, 1), date(2026, 11, 20))
    page.whatif.start_run()
    qtbot.waitUntil(lambda: page.whatif.runs == 1, timeout=30_000)
    rows = page.whatif.model.records
    assert rows, "a lower buffer bills Apex's calls that ended between 75 and 90 s"
    assert {r[0] for r in rows} == {APEX}
    assert "calls change" in page.whatif.summary.text()
