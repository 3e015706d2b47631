"""The review queue driven by the keyboard alone: what the reviewer presses is what is stored."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from ppcdesk.services.app_services import AppServices
from ppcdesk.services.review_service import CallFilter
from ppcdesk.ui.pages.calls_page import CallsPage
from ppcdesk.ui.workers import JobRunner
from PySide6.QtCore import Qt

AUDIO_NOISE = ("No audio device detected", "pipewire", "PulseAudioService")


@pytest.fixture
def page(qtbot, services: AppServices) -> Iterator[CallsPage]:  # type: ignore[no-untyped-def]
    runner = JobRunner()
    calls = CallsPage(services, runner)
    qtbot.addWidget(calls)
    calls.resize(1400, 900)
    calls.show()
    qtbot.waitUntil(lambda: calls.counted > 0 and calls.detail.detail is not None,
                    timeout=10_000)
    calls.view.setFocus()
    yield calls
    runner.shutdown()


def stored(services: AppServices, call_id: int) -> list[tuple[str, int | None]]:
    return [(d.code, d.sale_micros) for d in services.review.detail(call_id).dispositions]


def settle(qtbot, page: CallsPage, row: int) -> None:  # type: ignore[no-untyped-def]
    """Wait for the write jobs to finish and the detail of ``row`` to be shown."""
    qtbot.waitUntil(lambda: not page.runner.running(), timeout=10_000)
    want = page.model.row(row)
    assert want is not None
    qtbot.waitUntil(lambda: page.detail.detail is not None
                    and page.detail.detail.row.call.id == want.call.id, timeout=10_000)


@pytest.mark.qt_log_ignore(*AUDIO_NOISE)
def test_keys_judge_calls_one_after_another(qtbot, page: CallsPage,  # type: ignore[no-untyped-def]
                                            services: AppServices) -> None:
    first, second, third = (page.model.row(i) for i in range(3))
    assert first is not None
    assert second is not None
    assert third is not None
    unreviewed = services.review.count(CallFilter(reviewed=False))

    qtbot.keyClick(page.view, Qt.Key.Key_1)  # qualified, and on to the next call
    settle(qtbot, page, 1)
    assert stored(services, first.call.id) == [("qualified", None)]
    assert page.view.currentIndex().row() == 1

    qtbot.keyClicks(page.detail.sale, "125.50")
    qtbot.keyClick(page.detail.sale, Qt.Key.Key_Escape)  # back to the queue
    qtbot.keyClick(page.view, Qt.Key.Key_3)  # converted, with the sale typed
    settle(qtbot, page, 2)
    assert stored(services, second.call.id) == [("converted", 125_500_000)]

    qtbot.keyClick(page.view, Qt.Key.Key_5)  # spam
    settle(qtbot, page, 3)
    qtbot.keyClick(page.view, Qt.Key.Key_K)  # back to the third call: change our mind
    settle(qtbot, page, 2)
    qtbot.keyClick(page.view, Qt.Key.Key_6)  # needs follow-up
    settle(qtbot, page, 3)
    assert stored(services, third.call.id) == [("follow_up", None), ("spam", None)]

    qtbot.keyClick(page.view, Qt.Key.Key_K)
    settle(qtbot, page, 2)
    qtbot.keyClick(page.view, Qt.Key.Key_N)  # a note, typed where N put the focus
    qtbot.keyClicks(page.focusWidget(), "asked for a callback on Monday")
    qtbot.keyClick(page.focusWidget(), Qt.Key.Key_Return)
    qtbot.keyClick(page.detail.note, Qt.Key.Key_Escape)
    qtbot.keyClicks(page.detail.dispute_reason, "buyer never answered")
    qtbot.keyClick(page.detail.dispute_reason, Qt.Key.Key_Escape)
    qtbot.keyClick(page.view, Qt.Key.Key_D)  # disputed, with that reason
    qtbot.waitUntil(lambda: not page.runner.running(), timeout=10_000)
    detail = services.review.detail(third.call.id)
    assert [n.body for n in detail.notes] == ["asked for a callback on Monday"]
    assert (detail.row.disputed, detail.dispute_reason) == (True, "buyer never answered")
    assert all(d.author for d in detail.dispositions)

    assert services.review.count(CallFilter(reviewed=False)) == unreviewed - 3
    qtbot.waitUntil(lambda: "follow up" in page.model.columns[14].text(page.model.row(2)),
                    timeout=5_000)  # the row shows its verdict without a reload


@pytest.mark.qt_log_ignore(*AUDIO_NOISE)
def test_d_without_a_reason_asks_for_one(qtbot, page: CallsPage,  # type: ignore[no-untyped-def]
                                         services: AppServices) -> None:
    call = page.model.row(0)
    assert call is not None
    qtbot.keyClick(page.view, Qt.Key.Key_D)
    assert "Say why" in page.detail.review_error.text()
    assert page.focusWidget() is page.detail.dispute_reason
    assert not services.review.detail(call.call.id).row.disputed


@pytest.mark.qt_log_ignore(*AUDIO_NOISE)
def test_filters_and_sorting_reload_the_log(qtbot, page: CallsPage,  # type: ignore[no-untyped-def]
                                            services: AppServices) -> None:
    page.filters.recording.setCurrentIndex(2)  # without recording
    expected = services.review.count(CallFilter(has_recording=False))
    qtbot.waitUntil(lambda: page.model.total == expected, timeout=10_000)
    page.view.sortByColumn(8, Qt.SortOrder.DescendingOrder)  # duration, longest first
    qtbot.waitUntil(lambda: page.model.order.column == "duration", timeout=10_000)
    durations = [page.model.row(i).call.duration_s for i in range(50)]  # type: ignore[union-attr]
    assert durations == sorted(durations, reverse=True)
    last = page.model.total - 1
    page.select_row(last)  # the far end: read backwards from the end, not through the middle
    assert page.model.row(last) is not None
    page.set_column_visible("Telco cost", False)
    again = CallsPage(services, page.runner)
    qtbot.addWidget(again)
    assert again.view.isColumnHidden(11)


@pytest.mark.qt_log_ignore(*AUDIO_NOISE)
def test_a_masked_caller_stays_masked_in_the_billing_explanation(
        qtbot, services: AppServices) -> None:  # type: ignore[no-untyped-def]
    runner = JobRunner()
    masked = CallsPage(services, runner, masked=True)
    qtbot.addWidget(masked)
    masked.show()
    qtbot.waitUntil(lambda: masked.counted > 0, timeout=10_000)
    explained = ""
    for row in range(40):  # the first call a contract judged by its caller
        masked.select_row(row)
        call = masked.model.row(row)
        assert call is not None
        qtbot.waitUntil(lambda c=call: masked.detail.detail is not None
                        and masked.detail.detail.row.call.id == c.call.id
                        and "version" in masked.detail.explanation.text(), timeout=10_000)
        explained = masked.detail.explanation.text()
        if "caller" in explained:
            break
    assert "caller" in explained
    assert call.call.caller not in explained  # E.164, as the engine words it
    assert call.call.caller[-4:] in explained
    assert "•" in explained
    runner.shutdown()
