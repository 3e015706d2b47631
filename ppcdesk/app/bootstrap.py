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
from ppcdesk.services.app_services import AppServices
from ppcdesk.storage import migrate
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


def open_workspace(db_path: Path, paths: Paths, *, purpose: str, writable: bool = True,
                   clock: Clock | None = None) -> OpenWorkspace:
    """Open (and, when writable, create and migrate) the database at ``db_path``.

    Writable opens take the one-instance lock first, so a second ppcdesk on the same file
    learns where the first one is before anything is touched.
    """
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


def last_database(paths: Paths) -> Path | None:
    """The workspace the window had open last time, if it still exists."""
    from ppcdesk.config import settings

    try:
        last = settings.load(paths.config).last_database
    except PpcdeskError:
        return None
    return Path(last) if last and Path(last).exists() else None
