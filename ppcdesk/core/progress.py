"""Long work as generator jobs: ``Job = Generator[Progress, None, R]``.

A job yields Progress between units of work and returns its result. Whoever runs it (the GUI's
job runner, the CLI's progress bar, a test) may stop it at any yield by calling ``close()``:
Python raises GeneratorExit at that yield, so ``with`` blocks inside the job (transactions) roll
back and nothing is half written. Cancel is therefore cooperative and only happens between units.

Recipe for a new job::

    def import_things(db: Database, rows: list[Row]) -> Job[ChangeSet]:
        with db.write() as conn:
            for i, chunk in enumerate(chunks(rows, 1000)):
                yield Progress(i * 1000, len(rows), "Importing things")
                store(conn, chunk)
        return ChangeSet.of("things", added=len(rows))
"""

from __future__ import annotations

from collections.abc import Callable, Generator
from dataclasses import dataclass
from typing import TypeVar

R = TypeVar("R")


@dataclass(frozen=True, slots=True)
class Progress:
    """How far a job is: ``done`` of ``total`` units (``total`` None when unknown)."""

    done: int
    total: int | None
    message: str

    @property
    def fraction(self) -> float | None:
        if not self.total:
            return None
        return min(1.0, self.done / self.total)


Job = Generator[Progress, None, R]


class CancelledError(Exception):
    """The job was stopped before it finished; what it had not committed was rolled back."""


def run_job(
    job: Job[R],
    on_progress: Callable[[Progress], None] | None = None,
    should_cancel: Callable[[], bool] | None = None,
) -> R:
    """Drive ``job`` to its end on this thread, reporting progress and honouring cancel.

    However this ends (cancel, an error in ``on_progress``, Ctrl+C), the job is closed before
    this returns, so its open transaction rolls back here and now, not whenever the garbage
    collector gets to the suspended generator (which would hold the write lane until then).
    """
    try:
        while True:
            progress = next(job)
            if should_cancel is not None and should_cancel():
                job.close()
                raise CancelledError
            if on_progress is not None:
                on_progress(progress)
    except StopIteration as stop:
        result: R = stop.value
        return result
    finally:
        job.close()
