"""``ppcdesk self-test``: prove this installation works, one line per check.

The database, migrations, phone metadata and bundled audio are checked without Qt; charts and
audio playback (``gui=True``) load Qt in this one command, on purpose, offscreen.
"""

from __future__ import annotations

import os
import tempfile
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from ppcdesk.config.paths import Paths, resources_dir
from ppcdesk.config.secrets import KeyringSecretStore


@dataclass(frozen=True)
class Check:
    name: str
    status: str  # pass | fail | skip
    detail: str
    seconds: float


class SkipCheck(Exception):  # noqa: N818 - a signal, not an error
    """The check cannot run on this machine (said plainly, not failed)."""


def _run(name: str, fn: Callable[[], str]) -> Check:
    started = time.perf_counter()
    try:
        detail = fn()
        status = "pass"
    except SkipCheck as skip:
        detail, status = str(skip), "skip"
    except Exception as exc:  # noqa: BLE001 - a self-test reports every failure
        detail, status = f"{type(exc).__name__}: {exc}", "fail"
    return Check(name, status, detail, round(time.perf_counter() - started, 3))


def check_database(folder: Path) -> str:
    from ppcdesk.storage import ingest, migrate
    from ppcdesk.storage.db import Database

    db = Database(folder / "selftest.sqlite")
    try:
        migrate.upgrade(db)
        row = ("CAselftest", None, None, None, None, "+16025550123", "AZ", "+18005550100",
               "completed", "inbound", 1_700_000_000, 1_700_000_120, 120, 17_000, 95, 12, None,
               14_000, 1_700_000_200)
        with db.write() as conn:
            ingest.upsert_calls(conn, [row])
        with db.read() as conn:
            got = conn.exec_driver_sql(
                "SELECT caller, connected_s, cost_micros FROM calls WHERE sid = 'CAselftest'"
            ).one()
        if tuple(got) != ("+16025550123", 95, 17_000):
            raise AssertionError(f"read back {tuple(got)}")
        revision, head = migrate.current_revision(db), migrate.head_revision()
        if revision != head:
            raise AssertionError(f"migrated to {revision}, but this ppcdesk's head is {head}")
        count = len(migrate.known_revisions())
        return f"ran {count} migrations to {head}; wrote and read a call"
    finally:
        db.dispose()


def check_installation() -> str:
    """Say what is being tested: the version, frozen or not, and where the data would go."""
    import sys

    from ppcdesk import __version__
    from ppcdesk.config.paths import HOME_ENV, resolve

    kind = "frozen bundle" if getattr(sys, "frozen", False) else f"Python {sys.version.split()[0]}"
    home = os.environ.get(HOME_ENV)
    where = f"portable/override data in {home}" if home else f"data in {resolve().data}"
    if __version__.startswith("0.0.0"):
        raise AssertionError("no package metadata: the version is unknown (a broken bundle?)")
    return f"ppcdesk {__version__}, {kind}, {where}"


def check_phone() -> str:
    from ppcdesk.core.phone import normalize, state_of

    e164 = normalize("(602) 555-0123")
    if state_of(e164) != "AZ":
        raise AssertionError(f"{e164} should be in AZ")
    return f"{e164} is in AZ"


def check_resources() -> str:
    folder = resources_dir() / "demo_audio"
    clips = sorted(p.name for p in folder.glob("clip_*"))
    if len(clips) < 4:
        raise AssertionError(f"demo audio missing in {folder}: found {clips}")
    # The demo workspace sets itself up from this file: a bundle without it has no demo.
    from ppcdesk.billing.contract_file import load

    contracts = load(resources_dir() / "demo" / "contracts.toml").contracts
    return f"{len(clips)} demo clips and {len(contracts)} demo contracts in {folder.parent}"


def check_postgresql_driver() -> str:
    """The driver of shared workspaces loads, with its own libpq (a bundle could miss it)."""
    import psycopg
    from sqlalchemy.dialects import postgresql

    from ppcdesk.storage.dialect import translate

    impl = psycopg.pq.__impl__
    if impl not in {"binary", "c"}:
        raise AssertionError(f"psycopg runs on its {impl} libpq wrapper, not its own binary one")
    libpq = psycopg.pq.version()
    sql = translate("SELECT 1 WHERE x IS ?")
    if "%s" not in sql or postgresql.dialect.name != "postgresql":
        raise AssertionError(f"the PostgreSQL rewrite is broken: {sql!r}")
    return (f"psycopg {psycopg.__version__} ({impl}), libpq "
            f"{libpq // 10000}.{libpq % 100}")


def check_keyring() -> str:
    store = KeyringSecretStore(service="ppcdesk-selftest")
    if not store.available():
        raise SkipCheck("no OS keyring on this machine (secrets could be kept for a session only)")
    key = f"selftest-{uuid.uuid4().hex}"
    secret = uuid.uuid4().hex
    store.set(key, secret)
    try:
        if store.get(key) != secret:
            raise AssertionError("the keyring returned another value")
    finally:
        store.delete(key)
    return "stored, read and deleted a secret"


def run_checks(paths: Paths, *, gui: bool = True) -> list[Check]:
    del paths  # the self-test never touches the user's data
    with tempfile.TemporaryDirectory(prefix="ppcdesk-selftest-") as tmp:
        checks = [
            _run("installation", check_installation),
            _run("database", lambda: check_database(Path(tmp))),
            _run("phone numbers", check_phone),
            _run("bundled resources", check_resources),
            _run("postgresql driver", check_postgresql_driver),
            _run("keyring", check_keyring),
        ]
    if gui:
        from ppcdesk.app.selftest_gui import gui_checks

        checks.extend(_run(name, fn) for name, fn in gui_checks())
    return checks
