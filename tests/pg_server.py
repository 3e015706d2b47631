"""A throwaway PostgreSQL server for the tests and benchmarks: Debian's binaries, loopback only.

``TempServer`` runs ``initdb`` into a temporary folder and starts ``postgres`` on 127.0.0.1 at a
free port, with durability off (fsync, synchronous commit: a test server loses nothing it needs
on a crash) and trust authentication (loopback only). PostgreSQL refuses to run as root, so under
root the server runs as the ``postgres`` user Debian's package creates. ``stop()`` removes it all.

Run it by hand: ``python tests/pg_server.py`` prints a URL and serves until Enter.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import uuid
from pathlib import Path

ENV_SKIP = "PPCDESK_TEST_PG"  # "0": no PostgreSQL tests; "require": fail when missing


def find_bindir() -> Path | None:
    """The folder holding ``initdb`` and ``pg_ctl``: PATH, then Debian's versioned folders."""
    found = shutil.which("pg_ctl")
    if found and shutil.which("initdb"):
        return Path(os.path.realpath(found)).parent
    versions = sorted(Path("/usr/lib/postgresql").glob("*/bin/pg_ctl"),
                      key=lambda p: int(p.parent.parent.name))
    return versions[-1].parent if versions else None


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class TempServer:
    """A PostgreSQL server in a temporary folder (see the module's docstring)."""

    def __init__(self, bindir: Path) -> None:
        self.bindir = bindir
        self.folder = Path(tempfile.mkdtemp(prefix="ppcdesk-pg-"))
        self.data = self.folder / "data"
        self.port = _free_port()
        self._as: list[str] = []
        if os.geteuid() == 0:  # postgres will not run as root
            self._as = ["runuser", "-u", "postgres", "--"]
            shutil.chown(self.folder, "postgres", "postgres")
        self.user = "postgres"

    def _run(self, *args: str) -> None:
        result = subprocess.run([*self._as, *args], capture_output=True, text=True, check=False)
        if result.returncode:
            raise RuntimeError(f"{' '.join(args[:2])} failed ({result.returncode}): "
                               f"{result.stderr.strip() or result.stdout.strip()}")

    def start(self) -> TempServer:
        self._run(str(self.bindir / "initdb"), "-D", str(self.data), "-U", self.user,
                  "-A", "trust", "-E", "UTF8", "--locale=C", "--no-sync")
        options = (f"-c listen_addresses=127.0.0.1 -p {self.port} -k {self.folder} "
                   "-c fsync=off -c synchronous_commit=off -c full_page_writes=off "
                   "-c max_connections=200 -c shared_buffers=128MB")
        self._run(str(self.bindir / "pg_ctl"), "-D", str(self.data), "-o", options,
                  "-l", str(self.folder / "server.log"), "-w", "-t", "60", "start")
        return self

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://{self.user}@127.0.0.1:{self.port}/{database}"

    def admin(self, sql: str) -> None:
        """Run one statement outside a transaction (CREATE/DROP DATABASE) as the superuser."""
        import psycopg

        with psycopg.connect(self.url().replace("postgresql://", "postgresql://", 1),
                             autocommit=True) as conn:
            conn.execute(sql)  # type: ignore[arg-type]  # our own fixed statements

    def create_database(self, template: str | None = None) -> str:
        """A new empty (or copied from ``template``) database; its URL."""
        name = f"t_{uuid.uuid4().hex[:12]}"
        self.admin(f'CREATE DATABASE "{name}"' + (f' TEMPLATE "{template}"' if template else ""))
        return self.url(name)

    def drop_database(self, url: str) -> None:
        name = url.rsplit("/", 1)[1]
        self.admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def stop(self) -> None:
        if self.data.exists():
            subprocess.run([*self._as, str(self.bindir / "pg_ctl"), "-D", str(self.data),
                            "-m", "immediate", "-w", "stop"], capture_output=True, check=False)
        shutil.rmtree(self.folder, ignore_errors=True)


if __name__ == "__main__":  # pragma: no cover - a tool for people
    bindir = find_bindir()
    if bindir is None:
        raise SystemExit("no PostgreSQL binaries (Debian: apt-get install postgresql)")
    server = TempServer(bindir).start()
    try:
        print(server.url(), flush=True)  # noqa: T201 - the tool's output
        input("serving; press Enter to stop ")
    finally:
        server.stop()
