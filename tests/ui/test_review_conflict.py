"""Two reviewers on one call: the calls page asks before overwriting someone else's verdict."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace

import pytest
from ppcdesk.core.model import DispositionCode
from ppcdesk.core.progress import run_job
from ppcdesk.services.app_services import AppServices
from ppcdesk.services.review_service import ReviewService, ShownReview
from ppcdesk.storage.db import Database
from ppcdesk.ui.pages.calls_page import CallsPage
from ppcdesk.ui.views.review_conflict import ConflictQuestion
from ppcdesk.ui.workers import JobRunner
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QPushButton

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


@pytest.fixture
def ann(services: AppServices) -> Iterator[ReviewService]:
    """A second desk on the same workspace: its own Database handle, as another machine."""
    db = Database(services.db.target)
    yield ReviewService(db, services.paths, services.clock)
    db.dispose()


def history(services: AppServices, call_id: int) -> list[tuple[str, str]]:
    return [(d.code, d.author) for d in services.review.detail(call_id).dispositions]


def asked(qtbot, page: CallsPage) -> ConflictQuestion:  # type: ignore[no-untyped-def]
    qtbot.waitUntil(lambda: page.edits.question is not None
                    and page.edits.question.isVisible(), timeout=10_000)
    assert page.edits.question is not None
    return page.edits.question


@pytest.mark.qt_log_ignore(*AUDIO_NOISE)
def test_a_verdict_over_someone_else_s_asks_and_overwrites_only_when_told(
        qtbot, page: CallsPage, services: AppServices,  # type: ignore[no-untyped-def]
        ann: ReviewService) -> None:
    shown = page.detail.detail
    assert shown is not None
    call_id = shown.row.call.id
    before = history(services, call_id)
    # Ann, on her desk, judged the call after this page showed it.
    run_job(ann.dispose_job(call_id, DispositionCode.NOT_QUALIFIED, author="ann",
                            shown=ShownReview(ann.review_state(call_id))))

    qtbot.keyClick(page.view, Qt.Key.Key_1)  # qualified, from what the page showed
    question = asked(qtbot, page)
    assert question.text().startswith("Ann marked this call 'not qualified' at ")
    assert question.text().endswith(" since you opened it.")
    assert "overwrite with yours ('qualified')" in question.informativeText()
    assert history(services, call_id)[0] == ("not_qualified", "ann")  # nothing written yet

    question.labelled("Overwrite with yours").click()
    qtbot.waitUntil(lambda: len(history(services, call_id)) == len(before) + 2,
                    timeout=10_000)
    assert [code for code, _who in history(services, call_id)[:2]] == [
        "qualified", "not_qualified"]  # both verdicts kept, the reviewer's latest


@pytest.mark.qt_log_ignore(*AUDIO_NOISE)
def test_keeping_theirs_writes_nothing_and_shows_theirs(
        qtbot, page: CallsPage, services: AppServices,  # type: ignore[no-untyped-def]
        ann: ReviewService) -> None:
    shown = page.detail.detail
    assert shown is not None
    call_id = shown.row.call.id
    run_job(ann.dispute_job(call_id, True, "caller hung up at once",
                            shown=ShownReview(ann.review_state(call_id))))

    qtbot.keyClick(page.view, Qt.Key.Key_5)  # spam
    question = asked(qtbot, page)
    assert question.text().startswith("Someone else flagged it disputed "
                                      "('caller hung up at once')")
    before = history(services, call_id)
    question.labelled("Keep theirs").click()
    qtbot.waitUntil(lambda: not page.runner.running(), timeout=10_000)
    assert history(services, call_id) == before
    page.select_row(0)  # back to the call: it shows theirs, and an edit now goes through
    qtbot.waitUntil(lambda: page.detail.detail is not None
                    and page.detail.detail.row.call.id == call_id
                    and page.detail.disputed.isChecked(), timeout=10_000)
    spam = next(b for b in page.detail.findChildren(QPushButton) if b.text() == "5 Spam")
    qtbot.mouseClick(spam, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: [code for code, _who in history(services, call_id)][:1] == [
        "spam"] and not page.runner.running(), timeout=10_000)
    assert page.edits.question is None  # no second question


@pytest.mark.qt_log_ignore(*AUDIO_NOISE)
def test_a_detail_read_before_the_page_s_own_edit_never_becomes_the_base(
        page: CallsPage) -> None:
    """A detail read that left before this page's edit landed may arrive after it: basing the
    next edit on it would report the reviewer's own verdict as someone else's."""
    detail = page.detail.detail
    assert detail is not None
    after_own_edit = replace(detail, review=replace(
        detail.review, last_disposition_id=(detail.review.last_disposition_id or 0) + 1))
    page.edits.seen(after_own_edit)
    page.edits.seen(detail)  # the older read, late
    assert page.edits.shown[detail.row.call.id].state == after_own_edit.review
