"""Generator jobs: progress between units, a result at the end, cancel at any yield."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from ppcdesk.core.progress import CancelledError, Job, Progress, run_job


class Transaction:
    """Stands in for ``db.write()``: records whether it committed or saw which exception."""

    def __init__(self) -> None:
        self.outcome: str | None = None

    @contextmanager
    def begin(self) -> Iterator[None]:
        try:
            yield
        except BaseException as exc:
            self.outcome = f"rolled back ({type(exc).__name__})"
            raise
        self.outcome = "committed"


def count_to(n: int, tx: Transaction, done: list[int]) -> Job[str]:
    with tx.begin():
        for i in range(n):
            yield Progress(i, n, f"unit {i}")
            done.append(i)
    return f"counted {n}"


def test_run_job_returns_the_result_and_reports_each_step() -> None:
    tx, done, seen = Transaction(), [], []
    result = run_job(count_to(3, tx, done), on_progress=seen.append)
    assert result == "counted 3"
    assert done == [0, 1, 2]
    assert [p.done for p in seen] == [0, 1, 2]
    assert tx.outcome == "committed"


def test_cancel_stops_at_the_next_yield_and_rolls_the_with_block_back() -> None:
    tx, done = Transaction(), []
    asked = 0

    def should_cancel() -> bool:
        nonlocal asked
        asked += 1
        return asked == 3  # cancel when the third progress arrives

    job = count_to(10, tx, done)
    with pytest.raises(CancelledError):
        run_job(job, should_cancel=should_cancel)
    assert done == [0, 1]  # the third unit never ran
    assert tx.outcome == "rolled back (GeneratorExit)"
    assert job.gi_frame is None  # closed, not merely abandoned


def test_a_failing_progress_callback_closes_the_job_at_once() -> None:
    tx, done = Transaction(), []

    def explode(progress: Progress) -> None:
        raise RuntimeError("the progress bar broke")

    with pytest.raises(RuntimeError):
        run_job(count_to(5, tx, done), on_progress=explode)
    # Closed here, not when the garbage collector gets to it: the write lane is free again.
    assert tx.outcome == "rolled back (GeneratorExit)"


def test_an_error_inside_the_job_propagates_after_rolling_back() -> None:
    tx = Transaction()

    def failing() -> Job[None]:
        with tx.begin():
            yield Progress(0, None, "starting")
            raise ValueError("bad row 7")

    with pytest.raises(ValueError, match="bad row 7"):
        run_job(failing())
    assert tx.outcome == "rolled back (ValueError)"


def test_a_job_that_never_yields_still_returns() -> None:
    def instant() -> Job[int]:
        return 42
        yield Progress(0, 0, "unreachable")  # makes this a generator

    assert run_job(instant()) == 42


@pytest.mark.parametrize(("done", "total", "fraction"), [
    (0, 10, 0.0),
    (5, 10, 0.5),
    (12, 10, 1.0),  # never more than everything
    (5, None, None),  # unknown total
    (0, 0, None),
])
def test_progress_fraction(done: int, total: int | None, fraction: float | None) -> None:
    assert Progress(done, total, "").fraction == fraction
