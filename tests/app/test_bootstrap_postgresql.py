"""Opening a shared workspace on PostgreSQL: created and migrated on first open (once, however
many machines open it at once), its password from the keyring, and plain words when it fails."""

from __future__ import annotations

import socket
import subprocess
import sys
from pathlib import Path

import pytest
from ppcdesk.app import bootstrap
from ppcdesk.config.paths import Paths
from ppcdesk.config.secrets import KeyringSecretStore
from ppcdesk.core.errors import PpcdeskError
from ppcdesk.storage import dialect, migrate
from ppcdesk.storage.db import Database

pytestmark = pytest.mark.postgresql


@pytest.fixture
def paths(ppcdesk_home: Path) -> Paths:
    return bootstrap.setup()


def test_a_new_server_database_is_migrated_on_first_open(paths: Paths,
                                                         pg_empty_url: str) -> None:
    workspace = bootstrap.open_workspace(pg_empty_url, paths, purpose="test")
    try:
        assert migrate.current_revision(workspace.db) == migrate.head_revision()
        assert workspace.lock is None  # shared by design: no one-instance lock
        assert workspace.services.is_empty()
        assert workspace.services.info().database == pg_empty_url
    finally:
        workspace.close()
    again = bootstrap.open_workspace(pg_empty_url, paths, purpose="info", writable=False)
    again.close()


_OPEN = """
import sys
from ppcdesk.app import bootstrap
ws = bootstrap.open_workspace(sys.argv[1], bootstrap.setup(), purpose="race")
ws.close()
print("opened")
"""


def test_machines_opening_a_new_workspace_at_once_migrate_it_once(pg_empty_url: str) -> None:
    racers = [subprocess.Popen([sys.executable, "-c", _OPEN, pg_empty_url],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
              for _ in range(4)]
    results = [racer.communicate(timeout=120) for racer in racers]
    assert [r.returncode for r in racers] == [0, 0, 0, 0], [err for _out, err in results]
    db = Database(pg_empty_url)
    try:
        assert migrate.current_revision(db) == migrate.head_revision()
    finally:
        db.dispose()


def test_the_password_comes_from_the_keyring_and_stays_out_of_view(
        memory_keyring: object, pg_url: str) -> None:
    url = dialect.parse_url(pg_url)
    secret = "pw-from-ring"  # noqa: S105 - a test value
    KeyringSecretStore(dialect.KEYRING_SERVICE).set(dialect.keyring_user(url), secret)
    db = bootstrap.open_database(pg_url)
    try:
        assert db.engine.url.password == secret  # handed to libpq
        assert secret not in f"{db.display} {db.target!r} {db!r} {db.url}"
    finally:
        db.dispose()


def test_a_server_that_is_not_there_is_named_with_the_reason(paths: Paths) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # free, and nobody listens once the socket closes
    url = f"postgresql://ann@127.0.0.1:{port}/ppcdesk"
    with pytest.raises(bootstrap.ServerUnreachableError) as caught:
        bootstrap.open_workspace(url, paths, purpose="test")
    message = str(caught.value)
    assert message.startswith(f"no PostgreSQL server answers at {url} ")
    assert "refused" in message


def test_a_missing_database_says_to_create_it(paths: Paths, pg_server: object) -> None:
    url = pg_server.url("no_such_workspace")  # type: ignore[attr-defined]
    with pytest.raises(bootstrap.ServerUnreachableError, match=r"create it on the server first"):
        bootstrap.open_workspace(url, paths, purpose="test")


@pytest.mark.parametrize("value", ["postgresql://ann@db", "postgresql://ann@db:port/x"])
def test_a_malformed_url_is_refused_before_anything_connects(value: str) -> None:
    with pytest.raises(PpcdeskError, match="postgresql://"):
        bootstrap.workspace_target(value)


def test_the_command_line_names_what_is_wrong_with_a_url(
        capsys: pytest.CaptureFixture[str]) -> None:
    from ppcdesk.app.cli import main

    with pytest.raises(SystemExit) as stopped:
        main(["--db", "postgresql://ann@db", "info"])
    assert stopped.value.code == 2
    assert "names no database: postgresql://USER@HOST/DATABASE" in capsys.readouterr().err
