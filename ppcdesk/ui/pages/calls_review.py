"""The calls page's review edits, each based on what the page showed of the call.

Every disposition, dispute or reviewed mark carries the ``ShownReview`` of its call: the state
the reviewer saw. If someone else (another desk on a shared workspace) changed the call's
review since, the write is refused and the reviewer is asked: keep theirs, or overwrite with
yours. A reviewer's own quick edits never trip over each other: a successful edit moves the
shown state on, and a freshly read detail replaces it only while no edit of the call is
queued (a read may have been taken before that edit landed).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtWidgets import QWidget

from ppcdesk.core.changes import ChangeSet
from ppcdesk.core.progress import Job
from ppcdesk.services.app_services import AppServices
from ppcdesk.services.review_service import (
    CallDetail,
    EditConflictError,
    ShownReview,
    conflict_text,
)
from ppcdesk.ui import format as fmt
from ppcdesk.ui.views.review_conflict import ConflictQuestion
from ppcdesk.ui.workers import JobRunner

# (call id, what the edit is based on) -> the edit's write job
MakeEdit = Callable[[int, ShownReview], Job[ChangeSet]]


class ReviewEdits:
    """Runs review edits on the write lane and asks when one meets someone else's change."""

    def __init__(self, parent: QWidget, services: AppServices, runner: JobRunner, *,
                 zone: Callable[[], str], masked: Callable[[], bool],
                 refreshed: Callable[[CallDetail], None],
                 failed: Callable[[str], None]) -> None:
        self.parent = parent
        self.services = services
        self.runner = runner
        self.zone = zone
        self.masked = masked
        self.refreshed = refreshed
        self.failed = failed
        self.shown: dict[int, ShownReview] = {}
        self.pending: dict[int, int] = {}
        self.question: ConflictQuestion | None = None  # the one open now (tests answer it)

    def seen(self, detail: CallDetail) -> None:
        """The page shows ``detail``: the next edit of its call is based on it.

        Not while an edit of the call is queued, nor when the read is older than the base
        (a detail read before this page's own edit landed, delivered after it): basing the
        next edit on that would report the reviewer's own edit as someone else's.
        """
        call_id = detail.row.call.id
        if self.pending.get(call_id, 0):
            return
        base, new = self.shown.get(call_id), detail.review
        if base is None:
            self.shown[call_id] = ShownReview(new)
        elif ((new.last_disposition_id or 0) >= (base.state.last_disposition_id or 0)
              and (new.updated_at or 0) >= (base.state.updated_at or 0)):
            base.state = new

    def submit(self, title: str, detail: CallDetail, make: MakeEdit, yours: str) -> None:
        """Run ``make`` for the call of ``detail`` (``yours`` words the edit for a question)."""
        call_id = detail.row.call.id
        base = self.shown.setdefault(call_id, ShownReview(detail.review))
        self.pending[call_id] = self.pending.get(call_id, 0) + 1

        def job() -> Job[Any]:
            try:
                return (yield from make(call_id, base))
            except EditConflictError as conflict:  # a result, not a failure: the user decides
                return conflict

        def done(result: object) -> None:
            self._settled(call_id)
            if isinstance(result, EditConflictError):
                self._ask(title, detail, make, yours, base, result)
            else:
                self.reload(call_id)

        def failed(message: str) -> None:
            self._settled(call_id)
            self.failed(message)

        self.runner.submit(title, job, on_done=done, on_error=failed)

    def reload(self, call_id: int) -> None:
        """Read the call again (its row in the table, and the detail if it is shown)."""
        review = self.services.review
        self.runner.query(f"calls:row{call_id}", lambda: review.detail(call_id), self.refreshed)

    def _settled(self, call_id: int) -> None:
        self.pending[call_id] = max(0, self.pending.get(call_id, 0) - 1)

    def _ask(self, title: str, detail: CallDetail, make: MakeEdit, yours: str,
             base: ShownReview, conflict: EditConflictError) -> None:
        zone, call = self.zone(), detail.row.call
        change = conflict_text(conflict.shown, conflict.current, zone,
                               self.services.clock.now())
        which = (f"The call from {fmt.phone(call.caller, masked=self.masked())} on "
                 f"{fmt.when(call.started_at, zone)}.")
        question = ConflictQuestion(self.parent, which, change, yours)
        self.question = question

        def answered() -> None:
            # Either way theirs is now what the reviewer has seen: an overwrite is made on
            # top of it (a third change meanwhile still asks), keeping it reloads the call.
            self.shown.setdefault(call.id, base).state = conflict.current
            if question.clickedButton() is question.overwrite:
                self.submit(title, detail, make, yours)
            else:
                self.reload(call.id)
            question.deleteLater()
            if self.question is question:
                self.question = None

        question.finished.connect(answered)
        question.open()
