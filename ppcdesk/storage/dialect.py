"""What differs between SQLite and PostgreSQL, in one place: targets, placeholders, types.

ppcdesk writes its driver-level SQL (``exec_driver_sql``, the raw cursors of the bulk paths) in
SQLite's ``?`` style, because SQLite is the default and its hot paths use the sqlite3 driver
directly. psycopg speaks ``%s`` and ``%(name)s`` and treats every ``%`` as a marker, so a
PostgreSQL engine rewrites such statements once (cached) before they reach the driver: ``?``
becomes ``%s``, ``:name`` becomes ``%(name)s``, ``%`` becomes ``%%``; quoted text is left as is.

On PostgreSQL every plain ``Integer`` column is a ``BIGINT`` (SQLite's integers are 64-bit:
epoch seconds and money in micros must not overflow at 2**31), and the yes/no columns are
``SMALLINT`` 0/1, as they are in SQLite, so that ``billable = 1`` and ``SUM(billable)`` mean the
same on both and the SQL stays one text.
"""

from __future__ import annotations

import functools
import re
import sqlite3
from pathlib import Path
from typing import Any

from sqlalchemy import Boolean, Column, Connection, SmallInteger, event
from sqlalchemy.engine import URL, Dialect, Engine, make_url
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql import sqltypes
from sqlalchemy.sql.elements import TextClause
from sqlalchemy.types import TypeDecorator, TypeEngine

from ppcdesk.core.errors import PpcdeskError

POSTGRES_SCHEMES = ("postgresql", "postgres", "postgresql+psycopg")
DRIVER = "postgresql+psycopg"
KEYRING_SERVICE = "ppcdesk-postgresql"



class Flag(TypeDecorator[bool]):
    """A yes/no column: bool in Python; 0/1 in SQLite (Boolean) and SMALLINT 0/1 in PostgreSQL.

    Raw SQL then compares and sums it the same way on both (``billable = 1``).
    """

    impl = Boolean
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        if dialect.name == "postgresql":
            return dialect.type_descriptor(SmallInteger())
        return dialect.type_descriptor(Boolean())

    def process_bind_param(self, value: Any, dialect: Dialect) -> Any:
        if value is None:
            return None
        return int(bool(value)) if dialect.name == "postgresql" else bool(value)

    def process_result_value(self, value: Any, _dialect: Dialect) -> bool | None:
        return None if value is None else bool(value)


@compiles(sqltypes.Integer, "postgresql")
def _bigint(_type: sqltypes.Integer, _compiler: Any, **kw: Any) -> str:
    # Only a table's column (CREATE TABLE, ADD COLUMN) becomes BIGINT; casts in queries, ours
    # and SQLAlchemy's own catalogue queries, keep INTEGER.
    return "BIGINT" if isinstance(kw.get("type_expression"), Column) else "INTEGER"


class BadTargetError(PpcdeskError, ValueError):
    """A --db value that is neither a file path nor a PostgreSQL URL ppcdesk can use."""


def is_url(target: str | Path) -> bool:
    """Whether ``target`` names a PostgreSQL server rather than a SQLite file."""
    text = str(target)
    return "://" in text and text.split("://", 1)[0].lower() in POSTGRES_SCHEMES


def parse_url(target: str) -> URL:
    """The psycopg URL of ``target``; a password typed into it is kept out of every display."""
    try:
        url = make_url(target)
    except Exception as exc:  # sqlalchemy raises ArgumentError with its own wording
        raise BadTargetError(f"{target!r} is not a PostgreSQL URL ({exc}); write "
                             "postgresql://USER@HOST:PORT/DATABASE") from exc
    if url.drivername.lower() not in POSTGRES_SCHEMES:
        raise BadTargetError(f"{target!r}: only postgresql:// URLs are supported")
    if not url.database:
        raise BadTargetError(f"{target!r} names no database: postgresql://USER@HOST/DATABASE")
    return url.set(drivername=DRIVER)


def display(url: URL) -> str:
    """The URL as shown to the user and stored in settings: never with a password."""
    # URL.set(password=None) means "unchanged"; the tuple's own _replace really drops it.
    return url._replace(drivername="postgresql", password=None).render_as_string(
        hide_password=False)


def keyring_user(url: URL) -> str:
    """The keyring entry's user name for this server and database."""
    return f"{url.username or ''}@{url.host or 'localhost'}:{url.port or 5432}/{url.database}"


def translate(sql: str) -> str:
    """``sql`` in SQLite's placeholder style rewritten for psycopg (see the module's docstring)."""
    return _translate(sql)


# SQLite's null-safe comparisons, "a IS b" and "a IS NOT b", are spelled IS [NOT] DISTINCT
# FROM in PostgreSQL; IS [NOT] NULL/TRUE/FALSE/DISTINCT stay as they are.
_IS_NOT = re.compile(r"\bIS\s+NOT\s+(?!NULL\b|TRUE\b|FALSE\b|DISTINCT\b)", re.IGNORECASE)
_IS = re.compile(r"\bIS\s+(?!NOT\b|NULL\b|TRUE\b|FALSE\b|DISTINCT\b)", re.IGNORECASE)
_QUOTED = re.compile(r"('(?:[^']|'')*'|\"[^\"]*\"|--[^\n]*)")
_NAMED = re.compile(r"(?<![:\w]):([A-Za-z_]\w*)")


def _comparisons(text: str) -> str:
    return _IS.sub("IS NOT DISTINCT FROM ", _IS_NOT.sub("IS DISTINCT FROM ", text))


@functools.lru_cache(maxsize=4096)
def _translate(sql: str) -> str:
    parts = _QUOTED.split(sql)
    for i in range(0, len(parts), 2):  # the even parts are outside quotes and comments
        text = _comparisons(parts[i].replace("%", "%%")).replace("?", "%s")
        parts[i] = _NAMED.sub(r"%(\1)s", text)
    for i in range(1, len(parts), 2):
        parts[i] = parts[i].replace("%", "%%")
    return "".join(parts)


@functools.lru_cache(maxsize=1024)
def _text_comparisons(sql: str) -> str:
    parts = _QUOTED.split(sql)
    parts[::2] = [_comparisons(p) for p in parts[::2]]
    return "".join(parts)


def install_translation(engine: Engine) -> None:
    """Rewrite driver-level SQL (``exec_driver_sql``) for psycopg on ``engine``."""

    @event.listens_for(engine, "before_cursor_execute", retval=True)
    def _rewrite(_conn: Connection, _cursor: Any, statement: str, parameters: Any,
                 context: Any, _executemany: bool) -> tuple[str, Any]:
        # SQLAlchemy hands psycopg an empty tuple even without parameters, and psycopg then
        # reads every % as a marker: translate all driver-level text, parameters or not.
        if context is not None and context.compiled is None:
            return _translate(statement), parameters
        if context is not None and isinstance(context.compiled.statement, TextClause):
            return _text_comparisons(statement), parameters  # text(): already %(name)s
        return statement, parameters


def is_sqlite(conn: Connection) -> bool:
    return conn.dialect.name == "sqlite"


def driver(conn: Connection) -> sqlite3.Connection | Cursorish:
    """The driver under ``conn``, for the bulk paths: tuples at C speed (SQLAlchemy's rows cost
    ~15 us each), in ``conn``'s transaction.

    The sqlite3 connection itself; on PostgreSQL, psycopg's behind :class:`Cursorish` (the
    same ``execute``/``executemany``, SQLite-style SQL translated).
    """
    if not is_sqlite(conn):
        return Cursorish(conn)
    raw: object = conn.connection.dbapi_connection
    if not isinstance(raw, sqlite3.Connection):
        raise TypeError(f"expected the sqlite3 driver, not {type(raw).__name__}")
    return raw


class Cursorish:
    """The raw psycopg connection behind ``conn``, driven with SQLite-style SQL.

    The bulk paths hold a ``sqlite3.Connection`` and call ``execute``/``executemany`` on it;
    this gives them the same two calls on PostgreSQL, translated, inside the same transaction.
    """

    def __init__(self, conn: Connection) -> None:
        raw = conn.connection.dbapi_connection
        if raw is None:  # pragma: no cover - a live Connection always has one
            raise RuntimeError("the connection is closed")
        self._raw: Any = raw

    def execute(self, sql: str, params: Any = ()) -> Any:
        cur = self._raw.cursor()
        cur.execute(_translate(sql) if params else sql, params or None)
        return cur

    def executemany(self, sql: str, rows: Any) -> Any:
        cur = self._raw.cursor()
        cur.executemany(_translate(sql), list(rows))
        return cur


def compare_type(_context: Any, _inspected_column: Any, _metadata_column: Any,
                 inspected_type: TypeEngine[Any], metadata_type: TypeEngine[Any]) -> bool | None:
    """Alembic's type comparison, told about the two PostgreSQL mappings above.

    The models say Integer and Flag; the server reports BIGINT and SMALLINT, which is what
    they are meant to be there. Anything else is left to Alembic (None).
    """
    inspected = type(inspected_type).__name__.upper()
    impl = metadata_type.impl if isinstance(metadata_type, TypeDecorator) else metadata_type
    if isinstance(metadata_type, Flag) and inspected == "SMALLINT":
        return False
    if type(impl) is sqltypes.Integer and inspected == "BIGINT":
        return False
    return None
