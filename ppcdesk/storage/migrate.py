"""Alembic migrations run in-process: back up first, refuse a newer schema, then upgrade."""

from __future__ import annotations

import logging
import sqlite3
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, inspect, text

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


# One key for every ppcdesk on the server: two machines opening a workspace at once migrate it
# one after the other, and the second finds it done (PostgreSQL's DDL is transactional).
_MIGRATION_LOCK = 0x70706364  # "ppcd"


def _peek_server(conn: Connection) -> tuple[str | None, bool]:
    """The revision and whether any table exists, on a PostgreSQL workspace."""
    tables = set(inspect(conn).get_table_names())
    revision = None
    if "alembic_version" in tables:
        revision = conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
    return (None if revision is None else str(revision)), bool(tables - {"alembic_version"})


def _peek_db(db: Database) -> tuple[str | None, bool]:
    if db.path is not None:
        return _peek(db.path)
    with db.engine.connect() as conn:
        return _peek_server(conn)


def _too_new(db: Database, current: str) -> SchemaTooNewError:
    return SchemaTooNewError(
        f"{db.display} was written by a newer ppcdesk (schema {current}); this is ppcdesk "
        f"{__version__} (schema {head_revision()}). Install the newer ppcdesk to open it."
    )


def check(db: Database) -> str:
    """The schema revision of an existing ppcdesk database, read without changing the file.

    For read-only opens (``ppcdesk info``): a file this ppcdesk cannot read (newer, someone
    else's, not SQLite, empty) is refused with the same errors ``upgrade`` gives.
    """
    current, _has_tables = _peek_db(db)
    if current is None:
        raise MigrationError(f"{db.display} is not a ppcdesk database (it has no schema revision)")
    if current not in known_revisions():
        raise _too_new(db, current)
    return current


def upgrade(db: Database, backups: Path | None = None) -> str | None:
    """Bring ``db`` to the newest schema. Returns the backup taken, if one was needed.

    A database written by a newer ppcdesk (a revision this build does not know), and a file that
    is not a ppcdesk database, are refused untouched; a failed upgrade is rolled back and names
    the backup.
    """
    if db.path is None:
        _upgrade_server(db)
        return None
    current, has_tables = _peek(db.path)
    head = head_revision()
    if current == head:
        return None
    _refuse(db, current, has_tables)
    taken = backup(db.path, backups, f"before-{head}") if backups and current else None
    log.info("migrating %s from %s to %s", db.display, current, head)
    try:
        with db._write_lock, db.engine.begin() as conn:
            _run(db, conn)
    except Exception as exc:
        where = f"; the database before it is kept at {taken}" if taken else ""
        raise MigrationError(f"upgrading {db.display} to schema {head} failed: {exc}{where}"
                             ) from exc
    return str(taken) if taken else None


def _refuse(db: Database, current: str | None, has_tables: bool) -> None:
    if current is not None and current not in known_revisions():
        raise _too_new(db, current)
    if current is None and has_tables:
        raise MigrationError(f"{db.display} is not a ppcdesk database (it has tables but no "
                             "schema revision)")


def _run(db: Database, conn: Connection) -> None:
    cfg = alembic_config(db)
    cfg.attributes["connection"] = conn
    command.upgrade(cfg, "head")


def _upgrade_server(db: Database) -> None:
    """Upgrade a PostgreSQL workspace under the server-wide migration lock.

    No backup file: the server's own tools (pg_dump, its base backups) own that, and a failed
    upgrade rolls back whole, DDL included.
    """
    head = head_revision()
    try:
        with db._write_lock, db.engine.begin() as conn:
            conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _MIGRATION_LOCK})
            current, has_tables = _peek_server(conn)
            if current == head:
                return
            _refuse(db, current, has_tables)
            log.info("migrating %s from %s to %s", db.display, current, head)
            _run(db, conn)
    except MigrationError:
        raise
    except Exception as exc:
        raise MigrationError(f"upgrading {db.display} to schema {head} failed: {exc}") from exc
