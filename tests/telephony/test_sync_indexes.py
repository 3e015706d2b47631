"""A first sync builds the calls table's indexes once its calls are in, and never loses them.

A first sync into an empty workspace drops the secondary indexes of ``calls`` and builds them
when its calls phase ends (cheaper than keeping 13 indexes up to date row by row). Whatever
stops it (the end, Cancel, an error, a SIGKILL), the workspace ends up with every index the
schema defines, and the same rows as a sync that was never stopped.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path

import pytest
from ppcdesk.config import paths as paths_mod
from ppcdesk.config.secrets import MemorySecretStore
from ppcdesk.core.clock import FixedClock
from ppcdesk.core.progress import Progress, run_job
from ppcdesk.services.app_services import AppServices
from ppcdesk.storage.db import Database
from ppcdesk.storage.models import Base
from ppcdesk.telephony.memory_provider import MemoryProvider
from ppcdesk.telephony.provider import NetworkDownError
from test_sync_support import ACCOUNT, NOW, T0, TOKEN, Desk, open_desk

SCHEMA = sorted(str(index.name) for index in Base.metadata.tables["calls"].indexes)
HERE = Path(__file__).parent


def generated() -> MemoryProvider:
    fake = MemoryProvider.generated(calls=300, seed=5, start=T0, days=2, page_size=25)
    fake.account_sid = ACCOUNT
    return fake


def indexes(desk: Desk) -> list[str]:
    return [name for (name,) in desk.rows(
        "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'calls' "
        "AND sql IS NOT NULL ORDER BY name")]


def indexes_at_page(desk: Desk, page: int, since: date | None = None) -> list[str]:
    """The calls indexes a reader sees while the sync stores calls page ``page``."""
    seen: list[str] = []

    def look(progress: Progress) -> None:
        if progress.message.startswith(f"Calls: page {page} "):
            seen.extend(indexes(desk) or ["(none)"])

    run_job(desk.services.sync_job(since=since), on_progress=look)
    return seen


def test_a_first_sync_builds_the_indexes_after_its_calls(tmp_path: Path) -> None:
    with open_desk(tmp_path, generated()) as desk:
        assert indexes(desk) == SCHEMA
        assert indexes_at_page(desk, 2) == ["(none)"]
        assert indexes(desk) == SCHEMA
        assert desk.rows("SELECT COUNT(*) FROM calls")[0][0] > 0


def test_a_sync_into_a_workspace_with_calls_keeps_them_all_along(tmp_path: Path) -> None:
    with open_desk(tmp_path, generated()) as desk:
        desk.sync()
        assert indexes_at_page(desk, 2, since=date(2026, 1, 1)) == SCHEMA
        assert indexes(desk) == SCHEMA


def test_a_first_sync_that_stops_builds_them_before_it_stops(tmp_path: Path) -> None:
    with open_desk(tmp_path, generated()) as desk:
        desk.provider.fail_at("calls", 4, NetworkDownError("offline"))
        with pytest.raises(NetworkDownError):
            desk.sync()
        assert desk.rows("SELECT phase FROM sync_runs") == [("calls",)]
        assert indexes(desk) == SCHEMA


@contextmanager
def reopened(tmp_path: Path, fake: MemoryProvider, name: str) -> Iterator[Desk]:
    """The workspace another process left, opened again (the secret from the environment)."""
    paths = paths_mod.resolve(tmp_path / name)
    db = Database(paths.data / "workspace.sqlite")
    services = AppServices(db, paths, FixedClock(NOW), provider_factory=lambda _c: fake,
                           secret_store=MemorySecretStore(),
                           environ={"TWILIO_ACCOUNT_SID": ACCOUNT, "TWILIO_AUTH_TOKEN": TOKEN})
    try:
        yield Desk(services, db, FixedClock(NOW), fake, paths, 1)
    finally:
        db.dispose()


KILLED_CHILD = """
    import os, signal, sys
    from pathlib import Path
    from ppcdesk.core.progress import run_job
    from ppcdesk.telephony import sync
    from test_sync_indexes import generated
    from test_sync_support import open_desk

    sync.BATCH_PAGES = 1  # every page committed: the kill loses nothing but the process

    def kill_at_page_3(progress):
        if progress.message.startswith("Calls: page 3 "):
            os.kill(os.getpid(), signal.SIGKILL)

    with open_desk(Path(sys.argv[1]), generated(), name="killed") as desk:
        run_job(desk.services.sync_job(), on_progress=kill_at_page_3)
"""


@pytest.mark.slow
def test_a_first_sync_killed_half_way_gets_them_from_the_next_sync(tmp_path: Path) -> None:
    with open_desk(tmp_path, generated(), name="reference") as desk:
        desk.sync()
        reference = desk.dump()
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(
        [str(HERE), *filter(None, [os.environ.get("PYTHONPATH")])])}
    child = subprocess.run([sys.executable, "-c", textwrap.dedent(KILLED_CHILD), str(tmp_path)],
                           env=env, capture_output=True, text=True, timeout=120, check=False)
    assert child.returncode == -signal.SIGKILL, child.stderr
    with reopened(tmp_path, generated(), "killed") as desk:
        assert desk.rows("SELECT status, phase FROM sync_runs") == [("running", "calls")]
        assert desk.rows("SELECT COUNT(*) FROM calls")[0][0] > 0  # three pages kept...
        assert indexes(desk) == []  # ...without their indexes: nobody built them
        desk.sync()
        assert indexes(desk) == SCHEMA
        assert desk.dump() == reference
        assert desk.rows("SELECT COUNT(*), MIN(status) FROM sync_runs") == [(1, "ok")]
