"""Alembic migrations run in-process: back up first, refuse a newer schema, then upgrade."""

from __future__ import annotations

import logging
import sqlite3
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from ppcdesk import __version__
from ppcdesk.core.errors import MigrationError, SchemaTooNewError
from ppcdesk.storage.backup import backup
from ppcdesk.storage.db import Database

log = logging.getLogger(__name__)
SCRIPTS = Path(__file__).resolve().parent / "migrations"


def alembic_config(db: Database) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(SCRIPTS))
    cfg.set_main_option("sqlalchemy.url", db.url)
    return cfg


def head_revision() -> str:
    head = ScriptDirectory(str(SCRIPTS)).get_current_head()
    if head is None:  # pragma: no cover - the package always ships its revisions
        raise MigrationError("no migration scripts found in the installed package")
    return head


def known_revisions() -> list[str]:
    """Every shipped revision, oldest first."""
    script = ScriptDirectory(str(SCRIPTS))
    return [rev.revision for rev in reversed(list(script.walk_revisions()))]


def current_revision(db: Database) -> str | None:
    with db.engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def _peek(path: Path) -> tuple[str | None, bool]:
    """The file's schema revision and whether it holds any table, read without changing it.

    A plain sqlite3 connection without ppcdesk's pragmas: the engine's first connection would
    switch the file to WAL mode, which rewrites its header, and a file we are about to refuse
    (someone else's database, one from a newer ppcdesk) must be left exactly as it was.
    """
    if not path.exists() or path.stat().st_size == 0:
        return None, False
    try:
        conn = sqlite3.connect(path)
        try:
            tables = {name for (name,) in conn.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' "
                "AND name NOT LIKE 'sqlite%'")}
            revision = None
            if "alembic_version" in tables:
                row = conn.execute("SELECT version_num FROM alembic_version").fetchone()
                revision = None if row is None else str(row[0])
        finally:
            conn.close()
    except sqlite3.DatabaseError as exc:
        raise MigrationError(f"{path} is not a ppcdesk database (SQLite cannot read it: "
                             f"{exc})") from exc
    return revision, bool(tables - {"alembic_version"})


def _too_new(db: Database, current: str) -> SchemaTooNewError:
    return SchemaTooNewError(
        f"{db.path} was written by a newer ppcdesk (schema {current}); this is ppcdesk "
        f"{__version__} (schema {head_revision()}). Install the newer ppcdesk to open it."
    )


def check(db: Database) -> str:
    """The schema revision of an existing ppcdesk database, read without changing the file.

    For read-only opens (``ppcdesk info``): a file this ppcdesk cannot read (newer, someone
    else's, not SQLite, empty) is refused with the same errors ``upgrade`` gives.
    """
    current, _has_tables = _peek(db.path)
    if current is None:
        raise MigrationError(f"{db.path} is not a ppcdesk database (it has no schema revision)")
    if current not in known_revisions():
        raise _too_new(db, current)
    return current


def upgrade(db: Database, backups: Path | None = None) -> str | None:
    """Bring ``db`` to the newest schema. Returns the backup taken, if one was needed.

    A database written by a newer ppcdesk (a revision this build does not know), and a file that
    is not a ppcdesk database, are refused untouched; a failed upgrade is rolled back and names
    the backup.
    """
    current, has_tables = _peek(db.path)
    head = head_revision()
    if current == head:
        return None
    if current is not None and current not in known_revisions():
        raise _too_new(db, current)
    if current is None and has_tables:
        raise MigrationError(f"{db.path} is not a ppcdesk database (it has tables but no schema "
                             "revision)")
    taken = backup(db.path, backups, f"before-{head}") if backups and current else None
    log.info("migrating %s from %s to %s", db.path, current, head)
    cfg = alembic_config(db)
    try:
        with db._write_lock, db.engine.begin() as conn:
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, "head")
    except Exception as exc:
        where = f"; the database before it is kept at {taken}" if taken else ""
        raise MigrationError(f"upgrading {db.path} to schema {head} failed: {exc}{where}") from exc
    return str(taken) if taken else None
