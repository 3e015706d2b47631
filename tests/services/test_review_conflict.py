"""Two reviewers, one call (issue 9): an edit based on a review someone else changed since it
was shown is refused with what changed and who did it, and nothing anyone wrote is lost.

Each reviewer is a ``ReviewService`` over its own ``Database`` handle on one workspace (two
desks on one PostgreSQL server, or two processes on one SQLite file); every test runs on both.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from ppcdesk.config import paths as paths_mod
from ppcdesk.core.clock import FixedClock
from ppcdesk.core.model import DispositionCode
from ppcdesk.core.progress import run_job
from ppcdesk.services.review_service import (
    EditConflictError,
    ReviewService,
    ShownReview,
    conflict_text,
)
from ppcdesk.storage.db import Database
from ppcdesk.storage.review_state import ReviewState

NOW = datetime(2026, 11, 21, 19, 2, tzinfo=UTC)  # 14:02 in New York
CALL_AT = 1_795_000_000


@pytest.fixture
def desks(tmp_path: Path, db_target: str) -> Iterator[tuple[ReviewService, ReviewService]]:
    """Ann's and Bob's review services on one workspace holding one call (id 1)."""
    setup = Database(db_target)
    with setup.write() as conn:
        conn.exec_driver_sql(
            "INSERT INTO calls (id, sid, caller, called, status, direction, started_at, "
            "duration_s, connected_s, updated_at) VALUES (1, 'CA1', '+12125550123', "
            "'+18005550100', 'completed', 'inbound', ?, 60, 0, ?)", (CALL_AT, CALL_AT))
    setup.dispose()
    handles = [Database(db_target) for _ in range(2)]
    paths = paths_mod.resolve(tmp_path / "home").ensure()
    yield ReviewService(handles[0], paths, FixedClock(NOW)), ReviewService(
        handles[1], paths, FixedClock(NOW))
    for handle in handles:
        handle.dispose()


def history(desk: ReviewService) -> list[tuple[str, str]]:
    return [(d.code, d.author) for d in desk.detail(1).dispositions]


def test_the_second_disposition_from_the_same_screen_is_refused_and_names_the_first(
        desks: tuple[ReviewService, ReviewService]) -> None:
    ann, bob = desks
    ann_sees, bob_sees = ShownReview(ann.detail(1).review), ShownReview(bob.detail(1).review)

    run_job(ann.dispose_job(1, DispositionCode.NOT_QUALIFIED, author="ann", shown=ann_sees))
    with pytest.raises(EditConflictError) as caught:
        run_job(bob.dispose_job(1, DispositionCode.QUALIFIED, author="bob", shown=bob_sees))

    conflict = caught.value
    assert (conflict.current.disposition, conflict.current.disposition_by) == (
        "not_qualified", "ann")
    assert conflict_text(conflict.shown, conflict.current, "America/New_York", NOW) == (
        "Ann marked this call 'not qualified' at 14:02 since you opened it.")
    assert history(bob) == [("not_qualified", "ann")]  # Bob's verdict was not written
    # Bob overwrites, knowing: his verdict is the latest, Ann's stays in the history.
    run_job(bob.dispose_job(1, DispositionCode.QUALIFIED, author="bob",
                            shown=ShownReview(conflict.current)))
    assert history(ann) == [("qualified", "bob"), ("not_qualified", "ann")]
    assert ann.detail(1).row.disposition == "qualified"


def test_a_reviewer_s_own_edits_one_after_another_never_conflict(
        desks: tuple[ReviewService, ReviewService]) -> None:
    ann, _bob = desks
    seen = ShownReview(ann.detail(1).review)
    run_job(ann.dispose_job(1, DispositionCode.SPAM, author="ann", shown=seen))
    run_job(ann.dispute_job(1, True, "caller never spoke", shown=seen))
    run_job(ann.note_job(1, "robocall", author="ann"))  # notes add: they never conflict
    run_job(ann.dispose_job(1, DispositionCode.WRONG_NUMBER, author="ann", shown=seen))
    assert seen.state == ann.review_state(1)
    assert history(ann) == [("wrong_number", "ann"), ("spam", "ann")]


def test_a_dispute_over_someone_else_s_change_is_refused_too(
        desks: tuple[ReviewService, ReviewService]) -> None:
    ann, bob = desks
    bob_sees = ShownReview(bob.review_state(1))
    run_job(ann.dispute_job(1, True, "buyer never answered", shown=ShownReview(
        ann.review_state(1))))
    with pytest.raises(EditConflictError, match="flagged it disputed"):
        run_job(bob.dispute_job(1, False, shown=bob_sees))
    assert bob.detail(1).row.disputed
    assert bob.detail(1).dispute_reason == "buyer never answered"


_DESK = """
import sys, time
from datetime import UTC, datetime
from pathlib import Path
from ppcdesk.config import paths as paths_mod
from ppcdesk.core.clock import FixedClock
from ppcdesk.core.model import DispositionCode
from ppcdesk.core.progress import run_job
from ppcdesk.services.review_service import EditConflictError, ReviewService, ShownReview
from ppcdesk.storage import review_state
from ppcdesk.storage.db import Database

target, home, who, code = sys.argv[1:5]
locked = review_state.lock
def slow_lock(conn, call_id, now):  # widen the race: read, then let the other desk read too
    state = locked(conn, call_id, now)
    time.sleep(0.5)
    return state
review_state.lock = slow_lock
db = Database(target)
desk = ReviewService(db, paths_mod.resolve(Path(home)).ensure(),
                     FixedClock(datetime(2026, 11, 21, 19, 2, tzinfo=UTC)))
shown = ShownReview(desk.review_state(1))
print("ready", flush=True)
sys.stdin.readline()
try:
    run_job(desk.dispose_job(1, DispositionCode(code), author=who, shown=shown))
    print("written", flush=True)
except EditConflictError:
    print("asked", flush=True)
db.dispose()
"""


def test_two_desks_at_the_same_moment_one_writes_and_one_is_asked(
        desks: tuple[ReviewService, ReviewService], db_target: str, tmp_path: Path) -> None:
    """Two processes (two desks) start from the same screen at once: the row lock orders
    them and the second sees the first's verdict; never both written, never one lost."""
    ann, _bob = desks
    run_job(ann.reviewed_job(1, True, author="carl"))  # the marks' row exists already
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).parents[2])}
    procs = [subprocess.Popen(
        [sys.executable, "-c", _DESK, db_target, str(tmp_path / "home"), who, code],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env=env)
        for who, code in (("ann", "spam"), ("bob", "converted"))]
    try:
        for proc in procs:
            assert proc.stdout is not None
            line = proc.stdout.readline().strip()
            assert line == "ready", proc.stderr.read() if proc.stderr else line
        for proc in procs:  # both have read the same review: go
            assert proc.stdin is not None
            proc.stdin.write("go\n")
            proc.stdin.flush()
        results = {}
        for proc, who in zip(procs, ("ann", "bob"), strict=True):
            out, _ = proc.communicate(timeout=60)
            results[who] = out.strip()
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.kill()
                proc.wait(timeout=30)
    assert sorted(results.values()) == ["asked", "written"]
    [winner] = [who for who, result in results.items() if result == "written"]
    assert [author for _code, author in history(ann)] == [winner]


def test_the_wording_of_each_kind_of_change() -> None:
    shown = ReviewState(1)
    ten_past = int(NOW.timestamp()) - 3 * 3600  # 11:02 in New York
    cases = {
        ReviewState(1, disputed=True, dispute_reason="no answer", updated_at=ten_past):
            "Someone else flagged it disputed ('no answer') at 11:02 since you opened it.",
        ReviewState(1, reviewed_at=ten_past, reviewed_by="ann"):
            "Ann marked it reviewed at 11:02 since you opened it.",
        ReviewState(1, last_disposition_id=7, disposition="converted",
                    disposition_sale=125_500_000, disposition_by="", disposition_at=ten_past
                    - 86_400):
            "Someone else marked this call 'converted' (sale 125.50) on Nov 20 at 11:02 "
            "since you opened it.",
    }
    for current, text in cases.items():
        assert conflict_text(shown, current, "America/New_York", NOW) == text
