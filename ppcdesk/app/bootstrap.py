"""Open a workspace: folders, logging, the one-instance lock, migrations, services."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path

from ppcdesk.config import paths as paths_mod
from ppcdesk.config.logging_setup import configure
from ppcdesk.config.paths import Paths
from ppcdesk.core.clock import Clock
from ppcdesk.core.errors import PpcdeskError
from ppcdesk.services import server_login
from ppcdesk.services.app_services import AppServices
from ppcdesk.storage import dialect, ingest, migrate
from ppcdesk.storage.db import Database
from ppcdesk.storage.lock import InstanceLock

log = logging.getLogger(__name__)


class NoDatabaseError(PpcdeskError):
    """A read-only command was pointed at a database that does not exist."""


@dataclass
class OpenWorkspace:
    services: AppServices
    lock: InstanceLock | None
    backup: str | None = None
    _closed: bool = field(default=False, repr=False)

    @property
    def db(self) -> Database:
        return self.services.db

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        self.services.db.dispose()
        if self.lock is not None:
            self.lock.release()


def setup(home: str | None = None, *, stderr_level: int | None = None) -> Paths:
    """Resolve and create ppcdesk's folders and start the log file."""
    paths = paths_mod.resolve(home).ensure()
    configure(paths.log_file, stderr_level=stderr_level)
    return paths


def workspace_target(value: str | Path) -> Path | str:
    """A --db value: a ``postgresql://`` URL as typed, or a file path (``~`` expanded)."""
    if dialect.is_url(value):
        dialect.parse_url(str(value))  # refuse a malformed URL here, with its reason
        return str(value)
    return Path(value).expanduser().resolve()


def open_database(target: Path | str) -> Database:
    """A Database for ``target``, with its PostgreSQL password from the keyring."""
    if isinstance(target, str) and dialect.is_url(target):
        return Database(target, password=server_login.stored_password(target))
    return Database(Path(target))


def open_workspace(db_path: Path | str, paths: Paths, *, purpose: str, writable: bool = True,
                   clock: Clock | None = None) -> OpenWorkspace:
    """Open (and, when writable, create and migrate) the workspace at ``db_path``.

    ``db_path`` is a SQLite file or a ``postgresql://`` URL. Writable opens of a file take the
    one-instance lock first, so a second ppcdesk on the same file learns where the first one is
    before anything is touched; a server's workspace is shared by design and takes none.
    """
    if isinstance(db_path, str) and dialect.is_url(db_path):
        return _open_server(db_path, paths, purpose=purpose, writable=writable, clock=clock)
    db_path = Path(db_path).expanduser().resolve()
    if not writable and not db_path.exists():
        raise NoDatabaseError(f"{db_path} does not exist (open ppcdesk, or run `ppcdesk demo`, "
                              "to create a workspace)")
    lock = InstanceLock(db_path, purpose).acquire() if writable else None
    db: Database | None = None
    try:
        db_path.parent.mkdir(parents=True, exist_ok=True)
        db = Database(db_path)
        if writable:
            taken = migrate.upgrade(db, paths.backups)
            _restore_indexes(db)
        else:  # read-only: refuse what this ppcdesk cannot read, change nothing
            migrate.check(db)
            taken = None
    except BaseException:
        if db is not None:
            db.dispose()  # a refused or failed file keeps no connection open
        if lock is not None:
            lock.release()
        raise
    log.info("opened %s for %s", db_path, purpose)
    return OpenWorkspace(AppServices(db, paths, clock), lock, taken)


def _restore_indexes(db: Database) -> None:
    """Build the call log's indexes if a killed first sync left them unbuilt (it drops them
    while loading and builds them at the end); one look at the catalogue when none is missing.
    """
    with db.write() as conn:
        built = ingest.restore_call_indexes(conn)
    if built:
        log.info("built %d missing indexes of calls in %s", built, db.display)


class ServerUnreachableError(PpcdeskError):
    """A PostgreSQL workspace that could not be reached or refused us."""


def _open_server(url: str, paths: Paths, *, purpose: str, writable: bool,
                 clock: Clock | None) -> OpenWorkspace:
    from sqlalchemy.exc import OperationalError

    db = open_database(url)
    try:
        if writable:
            migrate.upgrade(db)
        else:
            migrate.check(db)
    except BaseException as exc:
        db.dispose()
        cause = exc.__cause__ if isinstance(exc, PpcdeskError) else exc
        if isinstance(cause, OperationalError):
            raise ServerUnreachableError(server_login.plain_reason(
                db.display, cause, point_at_login=True)) from exc
        raise
    log.info("opened %s for %s", db.display, purpose)
    return OpenWorkspace(AppServices(db, paths, clock), None, None)


def last_database(paths: Paths) -> Path | str | None:
    """The workspace the window had open last time, if it still exists (a URL: if it parses)."""
    from ppcdesk.config import settings

    try:
        last = settings.load(paths.config).last_database
    except PpcdeskError:
        return None
    if last and dialect.is_url(last):
        return last
    return Path(last) if last and Path(last).exists() else None
