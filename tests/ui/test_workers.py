"""The job runner: off the GUI thread, cancellable, nothing half written, no stale results."""

from __future__ import annotations

from datetime import date

import pytest
from ppcdesk.app import bootstrap
from ppcdesk.core.errors import PpcdeskError
from ppcdesk.core.progress import Progress
from ppcdesk.ui.workers import JobRunner


@pytest.fixture
def runner(qtbot):  # type: ignore[no-untyped-def]
    runner = JobRunner()
    yield runner
    runner.shutdown()


def test_a_cancelled_demo_job_leaves_the_database_empty(qtbot, runner, paths, tmp_path):
    workspace = bootstrap.open_workspace(tmp_path / "empty.sqlite", paths, purpose="test")
    services = workspace.services
    seen: list[Progress] = []

    def on_progress(_job_id: int, progress: Progress) -> None:
        seen.append(progress)
        runner.cancel(job_id)

    runner.job_progress.connect(on_progress)
    with qtbot.waitSignal(runner.job_cancelled, timeout=30_000):
        job_id = runner.submit("demo", lambda: services.demo_job(
            calls=60_000, seed=1, end=date(2026, 11, 20)))
    assert seen, "the job reported progress before it was cancelled"
    assert services.count_calls() == 0
    assert services.workspace() is None
    workspace.close()


def test_a_finished_job_delivers_its_result_on_the_gui_thread(qtbot, runner):
    import threading

    main = threading.get_ident()
    where: list[int] = []

    def job():  # type: ignore[no-untyped-def]
        yield Progress(0, 1, "working")
        return threading.get_ident()

    with qtbot.waitSignal(runner.job_finished, timeout=5_000) as blocker:
        runner.submit("job", job, on_done=lambda _r: where.append(threading.get_ident()))
    assert blocker.args[1] != main  # it ran on the write lane
    assert where == [main]


def test_a_job_error_is_reported_with_its_message(qtbot, runner):
    def job():  # type: ignore[no-untyped-def]
        yield Progress(0, None, "about to fail")
        raise PpcdeskError("statement.csv, row 7, field 'amount': not a number")

    with qtbot.waitSignal(runner.job_failed, timeout=5_000) as blocker:
        runner.submit("import", job)
    assert "row 7" in blocker.args[1]


def test_a_bug_in_a_job_is_raised_to_the_error_dialog(qtbot, runner):
    def job():  # type: ignore[no-untyped-def]
        yield Progress(0, None, "x")
        raise ZeroDivisionError("oops")

    with qtbot.waitSignal(runner.unexpected_error, timeout=5_000) as blocker:
        runner.submit("job", job)
    assert isinstance(blocker.args[0], ZeroDivisionError)


def test_a_newer_query_supersedes_an_older_one(qtbot, runner):
    import threading

    release = threading.Event()
    got: list[str] = []

    def slow() -> str:
        release.wait(5)
        return "old"

    runner.query("page", slow, got.append)
    runner.query("page", lambda: "new", got.append)
    qtbot.waitUntil(lambda: got == ["new"], timeout=5_000)
    release.set()
    assert runner.wait_idle(5_000)
    qtbot.wait(50)
    assert got == ["new"]


def test_writes_run_one_at_a_time_in_submission_order(qtbot, runner):
    order: list[str] = []

    def job(name: str):  # type: ignore[no-untyped-def]
        def run():  # type: ignore[no-untyped-def]
            order.append(f"start {name}")
            yield Progress(0, None, name)
            order.append(f"end {name}")
            return name
        return run

    with qtbot.waitSignals([runner.job_finished] * 3, timeout=5_000):
        for name in "abc":
            runner.submit(name, job(name))
    assert order == ["start a", "end a", "start b", "end b", "start c", "end c"]
