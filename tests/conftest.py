"""Fixtures for every test: an isolated profile, no real keyring, and (on demand) no Qt at all.

``PPCDESK_BLOCK_QT=1`` makes PySide6, shiboken6 and pyqtgraph unimportable for the whole run
and checks at the end that none of them was loaded: the proof that everything but the UI works
without Qt (``pytest -p no:pytest-qt --ignore=tests/ui``; pytest-qt is switched off here
anyway). This module never imports Qt itself.
"""

from __future__ import annotations

import functools
import importlib.abc
import logging
import os
import subprocess
import sys
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from types import ModuleType

import pytest

QT_MODULES = ("PySide6", "shiboken6", "pyqtgraph")
BLOCK_QT = os.environ.get("PPCDESK_BLOCK_QT") == "1"


class _QtBlocker(importlib.abc.MetaPathFinder):
    """Answer every import of a Qt module as if the package were not installed."""

    def find_spec(self, fullname: str, path: Sequence[str] | None,  # noqa: ARG002 - protocol
                  target: ModuleType | None = None) -> None:  # noqa: ARG002
        if fullname.partition(".")[0] in QT_MODULES:
            raise ModuleNotFoundError(
                f"{fullname} is blocked: PPCDESK_BLOCK_QT=1 runs the tests without Qt",
                name=fullname)


if BLOCK_QT:
    _loaded = [name for name in QT_MODULES if name in sys.modules]
    if _loaded:  # something got there first: the run would prove nothing
        raise RuntimeError(f"PPCDESK_BLOCK_QT=1 but {_loaded} already imported; "
                           "run pytest with -p no:pytest-qt --ignore=tests/ui")
    sys.meta_path.insert(0, _QtBlocker())

# pytest-qt registers itself as "pytest-qt", so "-p no:pytestqt" does not switch it off, and it
# imports Qt when pytest configures. With Qt blocked, this conftest switches it off itself.
PYTEST_QT = "pytest-qt"


def pytest_addoption(parser: pytest.Parser, pluginmanager: pytest.PytestPluginManager) -> None:
    """Without pytest-qt, still accept its settings in pyproject.toml (--strict-config)."""
    if pluginmanager.has_plugin(PYTEST_QT) and not BLOCK_QT:
        return
    parser.addini("qt_api", "pytest-qt's Qt binding (pytest-qt is off in this run)")
    parser.addini("qt_log_level_fail", "pytest-qt's log level (pytest-qt is off in this run)")
    parser.addini("qt_log_ignore", "pytest-qt's ignored messages (pytest-qt is off in this run)",
                  type="linelist")


@pytest.hookimpl(tryfirst=True)
def pytest_cmdline_main(config: pytest.Config) -> None:
    """Under PPCDESK_BLOCK_QT=1, unregister pytest-qt before it configures (imports Qt)."""
    if BLOCK_QT:
        plugin = config.pluginmanager.get_plugin(PYTEST_QT)
        if plugin is not None:
            config.pluginmanager.unregister(plugin)


def qt_modules_loaded() -> list[str]:
    return sorted(name for name in sys.modules if name.partition(".")[0] in QT_MODULES)


@pytest.fixture(scope="session", autouse=True)
def _qt_stays_out() -> Iterator[None]:
    """With Qt blocked, fail the run if any Qt module got into sys.modules anyway."""
    yield
    if BLOCK_QT:
        loaded = qt_modules_loaded()
        assert not loaded, f"Qt was imported during a headless run: {loaded}"


@pytest.fixture(autouse=True)
def ppcdesk_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Every test gets its own PPCDESK_HOME, so no test reads or writes the real profile."""
    home = tmp_path / "ppcdesk-home"
    monkeypatch.setenv("PPCDESK_HOME", str(home))
    # Subprocesses inherit this too: no test may reach the developer's real keychain.
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.fail.Keyring")
    return home


@pytest.fixture(autouse=True)
def _no_ppcdesk_log_handlers() -> Iterator[None]:
    """Close the log files that bootstrap/configure opened in a test's temporary home."""
    yield
    root = logging.getLogger()
    for handler in list(root.handlers):
        if getattr(handler, "_ppcdesk", False):
            root.removeHandler(handler)
            handler.close()


@pytest.fixture(autouse=True)
def _no_real_keyring() -> Iterator[None]:
    """Every test starts with keyring's "no backend": only ``memory_keyring`` stores secrets."""
    import keyring
    from keyring.backends import fail

    keyring.set_keyring(fail.Keyring())
    yield
    keyring.set_keyring(fail.Keyring())


@functools.cache  # one class: keyring registers every backend subclass it sees
def _memory_backend_class() -> type:
    from keyring.backend import KeyringBackend
    from keyring.errors import PasswordDeleteError

    class MemoryKeyring(KeyringBackend):
        """An in-memory keyring backend for tests; ``values`` shows what was stored."""

        priority = 1

        def __init__(self) -> None:
            super().__init__()
            self.values: dict[tuple[str, str], str] = {}

        def get_password(self, service: str, username: str) -> str | None:
            return self.values.get((service, username))

        def set_password(self, service: str, username: str, password: str) -> None:
            self.values[(service, username)] = password

        def delete_password(self, service: str, username: str) -> None:
            if self.values.pop((service, username), None) is None:
                raise PasswordDeleteError(f"no secret {username!r} in {service!r}")

    return MemoryKeyring


@pytest.fixture
def memory_keyring() -> object:
    """Install an in-memory keyring backend for one test (``_no_real_keyring`` removes it)."""
    import keyring

    backend = _memory_backend_class()()
    keyring.set_keyring(backend)
    return backend


_HOLDER = """
import sys
from pathlib import Path
from ppcdesk.storage.lock import InstanceLock
lock = InstanceLock(Path(sys.argv[1]), sys.argv[2]).acquire()
print("locked", flush=True)
sys.stdin.read()  # hold the lock until the test closes our stdin (or kills us)
lock.release()
"""


class LockHolder:
    """Another process holding a database's InstanceLock, as a second ppcdesk would."""

    def __init__(self, db_path: Path, purpose: str) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-c", _HOLDER, str(db_path), purpose],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        assert self.process.stdout is not None
        line = self.process.stdout.readline()  # blocks until the lock is held (or it died)
        if line.strip() != "locked":
            self.process.kill()
            self.process.wait(timeout=30)
            raise RuntimeError(f"the lock holder failed to start: {line!r}")

    @property
    def pid(self) -> int:
        return self.process.pid

    def kill(self) -> None:
        """SIGKILL on POSIX (TerminateProcess on Windows): no chance to clean up."""
        self.process.kill()
        self.process.wait(timeout=30)
        self._close_pipes()

    def stop(self) -> None:
        if self.process.poll() is None:
            assert self.process.stdin is not None
            self.process.stdin.close()
            self.process.wait(timeout=30)
        self._close_pipes()

    def _close_pipes(self) -> None:
        for pipe in (self.process.stdin, self.process.stdout):
            if pipe is not None and not pipe.closed:
                pipe.close()


@pytest.fixture
def lock_holder() -> Iterator[Callable[[Path, str], LockHolder]]:
    """``lock_holder(db_path, purpose)`` starts a process that holds the lock; stopped after."""
    holders: list[LockHolder] = []

    def start(db_path: Path, purpose: str) -> LockHolder:
        holder = LockHolder(db_path, purpose)
        holders.append(holder)
        return holder

    yield start
    for holder in holders:
        holder.stop()


# ---- PostgreSQL (issue 9): a real server for the tests that run on both back ends ----------

@pytest.fixture(scope="session")
def pg_server() -> Iterator[object]:
    """A throwaway PostgreSQL server for the whole run (tests/pg_server.py), or a skip.

    ``PPCDESK_TEST_PG=0`` skips the PostgreSQL tests; ``=require`` (``.ci/run``) fails them
    when the server cannot start instead of skipping, so CI cannot go green without them.
    """
    from tests.pg_server import ENV_SKIP, TempServer, find_bindir

    mode = os.environ.get(ENV_SKIP, "")
    if mode == "0":
        pytest.skip(f"{ENV_SKIP}=0: PostgreSQL tests switched off")
    bindir = find_bindir()
    if bindir is None:
        if mode == "require":
            pytest.fail("PostgreSQL binaries not found (Debian: apt-get install postgresql)")
        pytest.skip("PostgreSQL binaries not found (Debian: apt-get install postgresql)")
    server = TempServer(bindir)
    try:
        server.start()
    except Exception as exc:
        server.stop()
        if mode == "require":
            raise
        pytest.skip(f"PostgreSQL would not start: {exc}")
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def _pg_template(pg_server: object) -> str:
    """A database migrated to the newest schema once, copied for every test that needs one."""
    from ppcdesk.storage import migrate
    from ppcdesk.storage.db import Database

    url = pg_server.create_database()  # type: ignore[attr-defined]
    db = Database(url)
    try:
        migrate.upgrade(db)
    finally:
        db.dispose()  # a template must have no connection while it is copied
    return url.rsplit("/", 1)[1]


@pytest.fixture
def pg_url(pg_server: object, _pg_template: str) -> Iterator[str]:
    """The URL of a fresh, migrated PostgreSQL workspace of this test's own; dropped after."""
    url = pg_server.create_database(template=_pg_template)  # type: ignore[attr-defined]
    yield url
    pg_server.drop_database(url)  # type: ignore[attr-defined]


@pytest.fixture
def pg_empty_url(pg_server: object) -> Iterator[str]:
    """The URL of a fresh, empty PostgreSQL database (no schema yet); dropped after."""
    url = pg_server.create_database()  # type: ignore[attr-defined]
    yield url
    pg_server.drop_database(url)  # type: ignore[attr-defined]


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgresql)])
def db_target(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A migrated workspace on each back end: a SQLite file's path, or a PostgreSQL URL."""
    if request.param == "sqlite":
        from ppcdesk.storage import migrate
        from ppcdesk.storage.db import Database

        path = tmp_path / "workspace.sqlite"
        db = Database(path)
        migrate.upgrade(db)
        db.dispose()
        return str(path)
    return str(request.getfixturevalue("pg_url"))


@pytest.fixture
def any_db(db_target: str) -> Iterator[object]:
    """A migrated ``Database`` on each back end (the test runs once for SQLite, once for PG)."""
    from ppcdesk.storage.db import Database

    db = Database(db_target)
    yield db
    db.dispose()


@pytest.fixture
def other_target(request: pytest.FixtureRequest, db_target: str,
                 tmp_path: Path) -> Iterator[str]:
    """A second workspace on the same back end as ``db_target``: a new file's path (created on
    first open), or a fresh migrated PostgreSQL database's URL (dropped after the test)."""
    if not db_target.startswith("postgresql"):
        yield str(tmp_path / "other.sqlite")
        return
    server = request.getfixturevalue("pg_server")
    url = str(server.create_database(template=request.getfixturevalue("_pg_template")))
    yield url
    server.drop_database(url)
