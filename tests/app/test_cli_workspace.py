"""``ppcdesk workspace copy|login|logout`` as a user runs them (in-process, real servers)."""

from __future__ import annotations

import io
import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from ppcdesk.app.cli import main
from ppcdesk.services import server_login
from ppcdesk.storage import copy, dialect
from ppcdesk.storage.db import Database

pytestmark = pytest.mark.postgresql
ROLE = "alice"
PASSWORD = "v9-Quokka-ridge-41"  # noqa: S105 - made up; searched for in every output below


@pytest.fixture(scope="module")
def demo_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 2,000-call demo workspace written by ``ppcdesk demo``, as a user would make one."""
    folder = tmp_path_factory.mktemp("workspace-cli")
    path = folder / "demo.sqlite"
    code = main(["--home", str(folder / "home"), "--db", str(path), "demo", "--calls", "2000",
                 "--end", "2026-11-20"])
    assert code == 0
    return path


def run(capsys: pytest.CaptureFixture[str], *args: str | Path) -> tuple[int, Any, str]:
    """Exit code, the JSON printed (or the text), and stderr of ``ppcdesk ARGS``."""
    code = main([str(a) for a in args])
    out, err = capsys.readouterr()
    try:
        return code, json.loads(out), err
    except ValueError:
        return code, out, err


def test_copy_to_postgresql_and_back_prints_matching_counts_and_checksums(
        capsys: pytest.CaptureFixture[str], demo_file: Path, pg_empty_url: str,
        tmp_path: Path) -> None:
    back = tmp_path / "back.sqlite"
    code, there, _ = run(capsys, "workspace", "copy", "--from", demo_file, "--to",
                         pg_empty_url, "--json")
    assert code == 0, there
    code, text, _ = run(capsys, "workspace", "copy", "--from", pg_empty_url, "--to", back)
    assert code == 0, text
    assert there["committed"] is True
    assert there["mismatched"] == []
    calls = next(t for t in there["tables"] if t["table"] == "calls")
    assert calls["source_rows"] == calls["destination_rows"] == 2000
    assert calls["source_sha256"] == calls["destination_sha256"]
    # The text: one line per table with both checksums, then the verdict.
    line = next(t for t in text.splitlines() if t.startswith("calls "))
    assert line.split() == ["calls", "2,000", "2,000", calls["source_sha256"][:16],
                            calls["source_sha256"][:16]]
    assert "every table's rows and checksum match" in text
    # The file that came back holds what the first one held, table by table.
    original, returned = Database(demo_file), Database(back)
    try:
        assert copy.checksums(returned) == copy.checksums(original)
    finally:
        original.dispose()
        returned.dispose()


def test_copy_into_a_workspace_that_holds_rows_is_refused(
        capsys: pytest.CaptureFixture[str], demo_file: Path, tmp_path: Path) -> None:
    target = tmp_path / "copy.sqlite"
    assert run(capsys, "workspace", "copy", "--from", demo_file, "--to", target)[0] == 0
    before = target.stat().st_mtime_ns
    code, _, err = run(capsys, "workspace", "copy", "--from", demo_file, "--to", target)
    assert code == 1
    assert f"{target} is not empty: it holds " in err
    assert "2,000 calls" in err
    assert "--replace" in err
    assert target.stat().st_mtime_ns == before  # refused before it was even opened
    code, report, _ = run(capsys, "workspace", "copy", "--from", demo_file, "--to", target,
                          "--replace", "--json")
    assert code == 0
    assert report["committed"] is True


def test_copy_from_a_missing_file_says_so(capsys: pytest.CaptureFixture[str],
                                          tmp_path: Path) -> None:
    code, _, err = run(capsys, "workspace", "copy", "--from", tmp_path / "nope.sqlite",
                       "--to", tmp_path / "new.sqlite")
    assert code == 1
    assert "nope.sqlite does not exist" in err


# ---------------------------------------------------------------- login / logout
@pytest.fixture(scope="module")
def password_server() -> Iterator[Any]:
    """A server of our own where ROLE must give PASSWORD (the shared one trusts everyone)."""
    from tests.pg_server import ENV_SKIP, TempServer, find_bindir

    if os.environ.get(ENV_SKIP) == "0":
        pytest.skip(f"{ENV_SKIP}=0: PostgreSQL tests switched off")
    bindir = find_bindir()
    if bindir is None:
        pytest.skip("PostgreSQL binaries not found")
    server = TempServer(bindir).start()
    try:
        server.admin(f"CREATE ROLE {ROLE} LOGIN PASSWORD '{PASSWORD}'")
        server.admin(f"CREATE DATABASE shared OWNER {ROLE}")
        hba = server.data / "pg_hba.conf"
        # Checked first: ROLE over TCP needs its password; the superuser stays trusted.
        hba.write_text(f"host all {ROLE} 127.0.0.1/32 scram-sha-256\n" + hba.read_text())
        server.admin("SELECT pg_reload_conf()")
        yield server
    finally:
        server.stop()


def url_of(server: Any) -> str:
    return f"postgresql://{ROLE}@127.0.0.1:{server.port}/shared"


def login(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, url: str,
          password: str) -> tuple[int, Any, str]:
    monkeypatch.setattr("sys.stdin", io.StringIO(password + "\n"))
    return run(capsys, "workspace", "login", url, "--password-stdin")


def no_password_in(*texts: str) -> bool:
    return all(PASSWORD not in t for t in texts)


def test_login_stores_the_password_where_opening_the_workspace_finds_it(
        capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
        memory_keyring: Any, password_server: Any, ppcdesk_home: Path,
        demo_file: Path) -> None:
    url = url_of(password_server)
    # Without the password the server refuses, and the error says what to do.
    code, _, err = run(capsys, "--db", url, "info")
    assert code == 1
    assert f"ppcdesk workspace login {url}" in err

    code, text, err = login(capsys, monkeypatch, url, PASSWORD)
    assert code == 0, err
    assert f"Connected to {url}: an empty database" in text
    key = (dialect.KEYRING_SERVICE, f"{ROLE}@127.0.0.1:{password_server.port}/shared")
    assert memory_keyring.values == {key: PASSWORD}

    # Now every command (and the window: the same bootstrap) opens it with that password.
    assert server_login.stored_password(url) == PASSWORD
    code, info, err = run(capsys, "--db", url, "info", "--json")
    assert code == 1  # a read-only command on an empty database: not a workspace yet
    code, moved, err = run(capsys, "workspace", "copy", "--from", demo_file, "--to", url,
                           "--json")
    assert code == 0, err
    code, info, err = run(capsys, "--db", url, "info", "--json")
    assert code == 0, err
    assert info["calls"] == 2000

    code, text, err = login(capsys, monkeypatch, url, PASSWORD)  # again: a workspace now
    assert "a ppcdesk workspace (schema " in text
    code, text, _ = run(capsys, "workspace", "logout", url)
    assert code == 0
    assert text.strip() == f"Removed the password for {url} from the OS keyring."
    assert memory_keyring.values == {}
    logs = "".join(p.read_text() for p in ppcdesk_home.rglob("*.log"))
    assert no_password_in(text, err, logs, json.dumps(info), json.dumps(moved))


def test_a_wrong_password_is_named_and_not_stored(
        capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
        memory_keyring: Any, password_server: Any, ppcdesk_home: Path) -> None:
    url = url_of(password_server)
    code, out, err = login(capsys, monkeypatch, url, "not-it")
    assert code == 1
    assert err.strip() == (f"ppcdesk: error: the server refused the password for user {ROLE} "
                           f"({url}); nothing was stored")
    assert memory_keyring.values == {}
    logs = "".join(p.read_text() for p in ppcdesk_home.rglob("*.log"))
    assert "not-it" not in out + err + logs


def test_an_unreachable_server_is_said_plainly(
        capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
        memory_keyring: Any, password_server: Any) -> None:
    url = f"postgresql://{ROLE}@127.0.0.1:1/shared"  # nothing listens on port 1
    code, out, err = login(capsys, monkeypatch, url, PASSWORD)
    assert code == 1
    assert f"no PostgreSQL server answers at {url}" in out
    assert "Stored the password" in out  # kept for when the server is back
    assert no_password_in(out, err)
    assert list(memory_keyring.values.values()) == [PASSWORD]


def test_without_a_keyring_login_points_at_pgpassword_and_writes_no_file(
        capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
        password_server: Any, tmp_path: Path) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    code, _, err = login(capsys, monkeypatch, url_of(password_server), PASSWORD)
    assert code == 1
    assert "no OS keyring is available on this machine, so the password was not stored" in err
    assert "PGPASSWORD" in err
    assert "~/.pgpass" in err
    assert "the password itself works" in err
    assert not (tmp_path / ".pgpass").exists()
    assert no_password_in(err)


def test_a_password_in_the_url_is_refused(capsys: pytest.CaptureFixture[str],
                                          memory_keyring: Any) -> None:
    code, _, err = run(capsys, "workspace", "login", "postgresql://bob:secret@db.example/x")
    assert code == 1
    assert "leave the password out of the URL" in err
    assert memory_keyring.values == {}


def test_a_copy_that_arrives_changed_exits_1_naming_the_table_and_keeps_nothing(
        capsys: pytest.CaptureFixture[str], demo_file: Path, pg_url: str) -> None:
    server = Database(pg_url)
    try:  # a trigger on the server rewrites every caller on the way in
        with server.write() as conn:
            conn.exec_driver_sql(
                "CREATE FUNCTION mangle() RETURNS trigger LANGUAGE plpgsql AS "
                "$$ BEGIN NEW.caller := 'anonymous'; RETURN NEW; END $$")
            conn.exec_driver_sql("CREATE TRIGGER mangle BEFORE INSERT ON calls "
                                 "FOR EACH ROW EXECUTE FUNCTION mangle()")
        code, text, _ = run(capsys, "workspace", "copy", "--from", demo_file, "--to", pg_url)
        assert copy.holdings(server) == {}
    finally:
        server.dispose()
    assert code == 1
    differing = [line.split()[0] for line in text.splitlines() if line.endswith("DIFFERS")]
    assert differing == ["calls"]
    assert text.rstrip().endswith(f"The copy differs from {demo_file} in calls: nothing was "
                                  f"written to {pg_url}.")
