"""Telephony fixtures: a stateful fake Twilio server, and Twilio's own spec served by Prism.

``fake_twilio`` is a started FakeTwilio (ppcdesk/telephony/fake_twilio.py), one per test.
``prism`` is Prism serving ../shared/twilio's spec behind its fault proxy, one per session:
installed by ``python3 installers/dev.py test`` under .cache/prism. Where Prism or shared/ is
missing it skips with the reason, except under CI=true, where a skipped peer would hide a gap,
so it fails. No fixture here imports Qt.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import pytest
from ppcdesk.telephony.fake_twilio import FakeTwilio

ROOT = Path(__file__).resolve().parents[2]
SHARED = ROOT.parent / "shared" / "twilio"
CACHE = ROOT / ".cache"
PRISM_BIN = CACHE / "prism" / "node_modules" / ".bin" / "prism"
PRISM_ACCOUNT = "AC" + "a" * 32  # the account the spec's examples (and their links) name
START_TIMEOUT = 30.0


@pytest.fixture(autouse=True)
def _loopback_bypasses_proxies(monkeypatch: pytest.MonkeyPatch) -> None:
    """Send loopback traffic directly even where HTTP(S)_PROXY is set, as on some CI hosts."""
    for name in ("NO_PROXY", "no_proxy"):
        monkeypatch.setenv(name, "127.0.0.1,localhost")


@pytest.fixture
def fake_twilio() -> Iterator[FakeTwilio]:
    """A fake Twilio account on a free loopback port, empty until the test fills it."""
    with FakeTwilio() as fake:
        yield fake


@dataclass
class PrismPeer:
    """Prism behind the fault proxy: ``url`` is the proxy, the one the SDK talks to."""

    url: str
    account_sid: str = PRISM_ACCOUNT

    def set_faults(self, plan: list[int | str], retry_after: str | None = None) -> None:
        """Queue answers: ints are error statuses, 0 forwards, text is a ``Prefer:`` header."""
        self._call("POST", {"plan": plan, "retry_after": retry_after})

    def served(self) -> list[list[Any]]:
        """What the proxy served since the last ``set_faults``: [method, path, fault]."""
        log: list[list[Any]] = self._call("GET", None)["log"]
        return log

    def _call(self, method: str, body: dict[str, Any] | None) -> dict[str, Any]:
        data = None if body is None else json.dumps(body).encode()
        # S310: the URL is the loopback proxy this fixture started, always http.
        request = urllib.request.Request(f"{self.url}/__faults", data=data,  # noqa: S310
                                         method=method)
        with urllib.request.urlopen(request, timeout=10) as answer:  # noqa: S310
            state: dict[str, Any] = json.loads(answer.read())
        return state


def _missing() -> str | None:
    if not (SHARED / "fault_proxy.py").exists():
        return f"the Twilio peer is not beside the repository ({SHARED} is missing)"
    if shutil.which("node") is None:
        return "node is not installed (Debian: apt-get install nodejs npm)"
    if not PRISM_BIN.exists():
        return (f"Prism is not installed in {PRISM_BIN.parent.parent.parent}; "
                "`python3 installers/dev.py test` installs it")
    return None


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _wait_for_port(port: int, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"{process.args!r} exited with {process.returncode}: "
                        f"{log.read_text(errors='replace')[-2000:]}")
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.5):
            return
        time.sleep(0.1)
    pytest.fail(f"{process.args!r} did not listen on {port} within {START_TIMEOUT:.0f} s: "
                f"{log.read_text(errors='replace')[-2000:]}")


def _stop(process: subprocess.Popen[bytes]) -> None:
    """Stop one process we started, by its pid."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


@pytest.fixture(scope="session")
def prism(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PrismPeer]:
    """Start Prism on the patched spec and the fault proxy before it, on free ports."""
    reason = _missing()
    if reason is not None:
        if os.environ.get("CI", "").lower() in {"1", "true", "yes"}:
            pytest.fail(f"the Prism tests cannot run in CI: {reason}")
        pytest.skip(reason)
    workdir = tmp_path_factory.mktemp("prism")
    spec = workdir / "twilio_api_v2010.patched.json"
    subprocess.run([sys.executable, str(SHARED / "patch_spec.py"), str(spec)], check=True,
                   capture_output=True)
    prism_port, proxy_port = _free_port(), _free_port()
    started: list[tuple[subprocess.Popen[bytes], IO[bytes]]] = []
    try:
        for name, command, port in (
                ("prism", ["node", str(PRISM_BIN), "mock", "-h", "127.0.0.1", "-p",
                           str(prism_port), "--seed", "ppcdesk", str(spec)], prism_port),
                ("proxy", [sys.executable, str(SHARED / "fault_proxy.py"), str(proxy_port),
                           f"http://127.0.0.1:{prism_port}"], proxy_port)):
            log = workdir / f"{name}.log"
            out: IO[bytes] = log.open("wb")
            started.append((subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT,
                                             stdin=subprocess.DEVNULL), out))
            _wait_for_port(port, started[-1][0], log)
        yield PrismPeer(f"http://127.0.0.1:{proxy_port}")
    finally:
        for process, out in reversed(started):
            _stop(process)
            out.close()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgresql)])
def backend(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """Run the test once on SQLite and once on PostgreSQL (issue 9): every workspace it opens
    through test_sync_support.workspace_database is a fresh migrated database on that back end.

    A module opts in with ``pytestmark = pytest.mark.usefixtures("backend")``.
    """
    import test_sync_support

    if request.param == "sqlite":
        yield "sqlite"
        return
    server: Any = request.getfixturevalue("pg_server")
    template = request.getfixturevalue("_pg_template")
    made: list[str] = []

    def database_of(_folder: Path) -> str:
        made.append(server.create_database(template=template))
        return made[-1]

    factory: Callable[[Path], str] = database_of
    monkeypatch.setattr(test_sync_support, "database_of", factory)
    yield "postgresql"
    monkeypatch.undo()
    for url in made:
        server.drop_database(url)

