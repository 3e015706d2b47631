"""Alembic migrations run in-process: back up first, refuse a newer schema, then upgrade."""

from __future__ import annotations

import logging
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect

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


def upgrade(db: Database, backups: Path | None = None) -> str | None:
    """Bring ``db`` to the newest schema. Returns the backup taken, if one was needed.

    A database written by a newer ppcdesk (a revision this build does not know) is refused
    untouched; a failed upgrade is rolled back and names the backup.
    """
    current = current_revision(db)
    head = head_revision()
    if current == head:
        return None
    if current is not None and current not in known_revisions():
        raise SchemaTooNewError(
            f"{db.path} was written by a newer ppcdesk (schema {current}); this is ppcdesk "
            f"{__version__} (schema {head}). Install the newer ppcdesk to open it."
        )
    with db.engine.connect() as conn:
        has_tables = bool(inspect(conn).get_table_names())
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
