"""The recordings dialog: the filter's bulk download with progress, the confirmed delete on
Twilio, cancel, and the policy saved."""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from ppcdesk.core.progress import Job, Progress
from ppcdesk.services.app_services import AppServices
from ppcdesk.services.review_service import RetentionPolicy
from ppcdesk.ui.pages.calls_page import CallsPage
from ppcdesk.ui.pages.calls_recordings import Answer
from ppcdesk.ui.workers import JobRunner

AUDIO_NOISE = ("No audio device detected", "pipewire", "PulseAudioService")


@pytest.fixture
def page(qtbot, services: AppServices) -> Iterator[CallsPage]:  # type: ignore[no-untyped-def]
    runner = JobRunner()
    calls = CallsPage(services, runner)
    qtbot.addWidget(calls)
    calls.show()
    qtbot.waitUntil(lambda: calls.counted > 0, timeout=10_000)
    yield calls
    runner.shutdown()


def only_on_twilio(services: AppServices, n: int) -> list[str]:
    """Make ``n`` recordings remote (as a sync without media leaves them)."""
    with services.db.write() as conn:
        sids = [r[0] for r in conn.exec_driver_sql("SELECT sid FROM recordings ORDER BY id "
                                                   "LIMIT ?", (n,))]
        conn.exec_driver_sql(f"UPDATE recordings SET file_state = 'remote', local_path = NULL, "
                             f"duration_s = 90 WHERE sid IN ({','.join('?' * n)})", tuple(sids))
    return sids


def fake_twilio(services: AppServices, gate: threading.Semaphore | None = None
                ) -> tuple[list[str], list[str]]:
    """Downloads that write a real file in the cache, deletions that are recorded."""
    downloaded: list[str] = []
    deleted: list[str] = []

    def fetch(sid: str) -> Job[Path]:
        yield Progress(0, 1, sid)
        if gate is not None:
            gate.acquire(timeout=5)
        data = sid.encode() * 50
        relative = f"{sid[2:4].lower()}/{sid}.mp3"
        path = services.paths.recordings / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        with services.db.write() as conn:
            conn.exec_driver_sql("UPDATE recordings SET file_state = 'cached', local_path = ?, "
                                 "size_bytes = ?, sha256 = ? WHERE sid = ?",
                                 (relative, len(data), hashlib.sha256(data).hexdigest(), sid))
        downloaded.append(sid)
        return path

    services.fetch_recording_job = fetch  # type: ignore[method-assign]
    services.delete_recording_on_twilio = deleted.append  # type: ignore[method-assign]
    return downloaded, deleted


def states(services: AppServices, sids: list[str]) -> list[str]:
    with services.db.read() as conn:
        found = dict(conn.exec_driver_sql("SELECT sid, file_state FROM recordings").all())
    return [found[s] for s in sids]


@pytest.mark.qt_log_ignore(*AUDIO_NOISE)
def test_download_then_delete_on_twilio_after_saying_yes(  # type: ignore[no-untyped-def]
        qtbot, page: CallsPage, services: AppServices) -> None:
    sids = only_on_twilio(services, 3)
    downloaded, deleted = fake_twilio(services)
    controller = page.open_recordings()
    panel = controller.panel
    qtbot.addWidget(panel)
    qtbot.waitUntil(lambda: "3 recordings of these calls are not on this computer yet"
                    in panel.pending_label.text(), timeout=10_000)
    questions: list[str] = []
    controller.ask = lambda text: questions.append(text) or Answer.DELETE  # type: ignore[func-returns-value]
    panel.delete_on_twilio.setChecked(True)

    panel.download.click()
    qtbot.waitUntil(lambda: controller.result is not None, timeout=10_000)

    assert "This deletes 3 recordings (4 minutes) on Twilio" in questions[0]
    assert "beyond 10,000 minutes" in questions[0]
    assert sorted(downloaded) == sorted(deleted) == sorted(sids)
    assert states(services, sids) == ["local_only"] * 3
    assert panel.progress_label.text() == "Downloaded 3 recordings; deleted 3 on Twilio."
    assert not panel.cancel.isVisible()


@pytest.mark.qt_log_ignore(*AUDIO_NOISE)
def test_saying_no_downloads_only_and_cancel_keeps_what_was_done(  # type: ignore[no-untyped-def]
        qtbot, page: CallsPage, services: AppServices) -> None:
    sids = only_on_twilio(services, 4)
    gate = threading.Semaphore(0)
    downloaded, deleted = fake_twilio(services, gate)
    controller = page.open_recordings()
    panel = controller.panel
    qtbot.addWidget(panel)
    qtbot.waitUntil(lambda: "4 recordings" in panel.pending_label.text(), timeout=10_000)
    controller.ask = lambda _text: Answer.KEEP
    panel.delete_on_twilio.setChecked(True)

    panel.download.click()
    assert panel.cancel.isVisible()
    gate.release()  # the first download goes through, then the user cancels
    qtbot.waitUntil(lambda: len(downloaded) >= 1, timeout=10_000)
    panel.cancel.click()
    gate.release(3)  # the download under way ends; the job stops before the next one
    qtbot.waitUntil(lambda: panel.progress_label.text().startswith("Cancelled"),
                    timeout=10_000)
    assert deleted == []
    assert 1 <= len(downloaded) < 4
    assert states(services, sids).count("cached") == len(downloaded)


def test_the_policy_is_saved_from_the_dialog(qtbot, page: CallsPage,  # type: ignore[no-untyped-def]
                                             services: AppServices) -> None:
    panel = page.open_recordings().panel
    qtbot.addWidget(panel)
    qtbot.waitUntil(lambda: panel.cache_label.text().endswith("MB"), timeout=10_000)
    panel.max_mb.setValue(750)
    panel.keep_days.setValue(45)
    panel.delete_on_twilio.setChecked(True)
    panel.save_requested.emit(panel.policy())
    assert services.review.retention_policy() == RetentionPolicy(750, 45,
                                                                 delete_on_twilio=True)
    assert panel.status.text().startswith("Saved")
