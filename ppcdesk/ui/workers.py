"""The job runner: generator jobs and queries off the GUI thread, results back as signals.

Two lanes. The write lane is one thread: every write job (demo, sync, import, evaluation) runs
there in submission order, so SQLite never sees two writers. The read lane runs queries beside
it (WAL). A query submitted under a key supersedes the older one under the same key: its late
result is dropped, so a page never paints stale data over fresh. Jobs are cancelled between
yields (``generator.close()``, so their transactions roll back); signals of a cancelled job
that arrive late are dropped. ``shutdown()`` cancels everything and waits for the threads.
"""

from __future__ import annotations

import itertools
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal

from ppcdesk.core.errors import PpcdeskError
from ppcdesk.core.progress import Job, Progress

log = logging.getLogger(__name__)
PROGRESS_INTERVAL_S = 0.05  # at most 20 progress repaints a second


@dataclass
class _Ticket:
    id: int
    title: str
    cancel: threading.Event
    on_done: Callable[[Any], None] | None
    on_error: Callable[[str], None] | None


class _Task(QRunnable):
    def __init__(self, fn: Callable[[], None]) -> None:
        super().__init__()
        self._fn = fn
        self.setAutoDelete(True)

    def run(self) -> None:
        self._fn()


class JobRunner(QObject):
    """Runs jobs (write lane) and queries (read lane); emits in the GUI thread."""

    job_started = Signal(int, str)  # id, title
    job_progress = Signal(int, object)  # id, Progress
    job_finished = Signal(int, object)  # id, result
    job_failed = Signal(int, str)  # id, message
    job_cancelled = Signal(int)
    unexpected_error = Signal(object)  # an exception that is a bug, for the error dialog
    _deliver = Signal(object)  # internal: a callable to run in the GUI thread

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._write = QThreadPool(self)
        self._write.setMaxThreadCount(1)
        self._read = QThreadPool(self)
        self._read.setMaxThreadCount(2)
        self._ids = itertools.count(1)
        self._jobs: dict[int, _Ticket] = {}
        self._latest_query: dict[str, int] = {}
        self._closing = False
        self._deliver.connect(self._on_deliver)

    # ------------------------------------------------------------------ jobs
    def submit(self, title: str, make_job: Callable[[], Job[Any]], *,
               on_done: Callable[[Any], None] | None = None,
               on_error: Callable[[str], None] | None = None) -> int:
        """Queue a write job; returns its id (for cancel)."""
        ticket = _Ticket(next(self._ids), title, threading.Event(), on_done, on_error)
        self._jobs[ticket.id] = ticket
        self._write.start(_Task(lambda: self._run_job(ticket, make_job)))
        return ticket.id

    def cancel(self, job_id: int) -> None:
        ticket = self._jobs.get(job_id)
        if ticket is not None:
            ticket.cancel.set()

    def running(self) -> list[int]:
        return list(self._jobs)

    def _run_job(self, ticket: _Ticket, make_job: Callable[[], Job[Any]]) -> None:
        self._post(lambda: self._emit_if_live(ticket, self.job_started, ticket.title))
        last = 0.0
        job: Job[Any] | None = None
        try:
            job = make_job()
            while True:
                progress: Progress = next(job)
                if ticket.cancel.is_set():
                    job.close()
                    self._post(lambda: self._finish(ticket, "cancelled", None))
                    return
                now = time.monotonic()
                if now - last >= PROGRESS_INTERVAL_S:
                    last = now
                    self._post(lambda p=progress: self._emit_if_live(  # type: ignore[misc]
                        ticket, self.job_progress, p))
        except StopIteration as stop:
            result = stop.value
            self._post(lambda: self._finish(ticket, "done", result))
        except PpcdeskError as exc:
            log.warning("%s failed: %s", ticket.title, exc)
            message = str(exc)
            self._post(lambda: self._finish(ticket, "failed", message))
        except Exception as exc:
            log.exception("%s failed unexpectedly", ticket.title)
            error = exc  # ``exc`` is unbound when the except block ends
            self._post(lambda: self._finish(ticket, "bug", error))
        finally:
            if job is not None:
                job.close()

    def _emit_if_live(self, ticket: _Ticket, signal: Any, payload: Any) -> None:
        if ticket.id in self._jobs and not ticket.cancel.is_set():
            signal.emit(ticket.id, payload)

    def _finish(self, ticket: _Ticket, outcome: str, payload: Any) -> None:
        self._jobs.pop(ticket.id, None)
        if outcome == "cancelled" or (ticket.cancel.is_set() and outcome != "done"):
            self.job_cancelled.emit(ticket.id)
        elif outcome == "done":
            self.job_finished.emit(ticket.id, payload)
            if ticket.on_done is not None:
                ticket.on_done(payload)
        else:
            message = str(payload) if outcome == "failed" else f"unexpected error: {payload!r}"
            self.job_failed.emit(ticket.id, message)
            if ticket.on_error is not None:
                ticket.on_error(message)
            if outcome == "bug":
                self.unexpected_error.emit(payload)

    # ------------------------------------------------------------------ queries
    def query(self, key: str, fn: Callable[[], Any], on_done: Callable[[Any], None],
              on_error: Callable[[str], None] | None = None) -> None:
        """Run ``fn`` on the read lane; deliver its result unless a newer ``key`` query came."""
        token = next(self._ids)
        self._latest_query[key] = token

        def work() -> None:
            try:
                result = fn()
            except PpcdeskError as exc:
                message = str(exc)
                self._post(lambda: self._query_failed(key, token, message, on_error))
                return
            except Exception as exc:
                log.exception("query %s failed", key)
                error = exc  # ``exc`` is unbound when the except block ends
                self._post(lambda: self._query_bug(key, token, error, on_error))
                return
            self._post(lambda: self._query_done(key, token, result, on_done))

        self._read.start(_Task(work))

    def _current(self, key: str, token: int) -> bool:
        return not self._closing and self._latest_query.get(key) == token

    def _query_done(self, key: str, token: int, result: Any,
                    on_done: Callable[[Any], None]) -> None:
        if self._current(key, token):
            on_done(result)

    def _query_failed(self, key: str, token: int, message: str,
                      on_error: Callable[[str], None] | None) -> None:
        if self._current(key, token) and on_error is not None:
            on_error(message)

    def _query_bug(self, key: str, token: int, exc: Exception,
                   on_error: Callable[[str], None] | None) -> None:
        if self._current(key, token):
            if on_error is not None:
                on_error(f"unexpected error: {exc!r}")
            self.unexpected_error.emit(exc)

    # ------------------------------------------------------------------ plumbing
    def _post(self, fn: Callable[[], None]) -> None:
        if not self._closing:
            self._deliver.emit(fn)

    def _on_deliver(self, fn: Callable[[], None]) -> None:
        fn()

    def wait_idle(self, timeout_ms: int = 30_000) -> bool:
        return self._write.waitForDone(timeout_ms) and self._read.waitForDone(timeout_ms)

    def shutdown(self, timeout_ms: int = 30_000) -> None:
        """Cancel every job and wait for both lanes to finish (call before closing the db)."""
        for ticket in self._jobs.values():
            ticket.cancel.set()
        self._closing = True
        if self.wait_idle(timeout_ms):
            # Both lanes are idle: every job has ended. Their _finish callbacks may still sit
            # in the event queue; without this, running() would go on listing them and a
            # window closed right after (switching workspaces, tests) would ask "A job is
            # still running. Cancel it and quit?" about jobs that are gone.
            self._jobs.clear()
