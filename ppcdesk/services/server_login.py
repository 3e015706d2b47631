"""A PostgreSQL workspace's address and password: built, kept in the keyring, tried.

The window's "Open a shared workspace" dialog and ``ppcdesk workspace login`` both come here,
so the keyring entry they write is the one ``stored_password`` reads when the
workspace opens (service ``dialect.KEYRING_SERVICE``, user ``dialect.keyring_user(url)``). The
password is never put in a URL that is shown or saved, and never written to a file.
"""

from __future__ import annotations

from sqlalchemy.engine import URL

from ppcdesk.config.secrets import KeyringSecretStore
from ppcdesk.core.errors import PpcdeskError
from ppcdesk.storage import dialect
from ppcdesk.storage.db import Database

DEFAULT_PORT = 5432


class LoginError(PpcdeskError):
    """The server could not be reached with that password; the message says why."""


def server_url(host: str, port: int, database: str, user: str) -> str:
    """``postgresql://USER@HOST:PORT/DATABASE``, quoted where a name needs it; no password."""
    host, database, user = host.strip() or "localhost", database.strip(), user.strip()
    if not database:
        raise dialect.BadTargetError("name the database on the server")
    if not user:
        raise dialect.BadTargetError("name the user to sign in as")
    return dialect.display(URL.create(dialect.DRIVER, username=user, host=host,
                                      port=port or DEFAULT_PORT, database=database))


def _store() -> KeyringSecretStore:
    return KeyringSecretStore(dialect.KEYRING_SERVICE)


def keyring_available() -> bool:
    return KeyringSecretStore.available()


def stored_password(url: str) -> str | None:
    """The keyring's password for ``url``; None when none is kept, the URL carries its own, or
    no keyring exists (libpq then tries PGPASSWORD and ~/.pgpass)."""
    parsed = dialect.parse_url(url)
    if parsed.password is not None or not keyring_available():
        return None
    return _store().get(dialect.keyring_user(parsed))


def remember_password(url: str, password: str) -> None:
    """Keep ``password`` for ``url`` in the OS keyring (NoSecretBackendError without one)."""
    _store().set(dialect.keyring_user(dialect.parse_url(url)), password)


def forget_password(url: str) -> bool:
    """Remove ``url``'s password from the keyring; whether one was there."""
    store, key = _store(), dialect.keyring_user(dialect.parse_url(url))
    had = store.get(key) is not None
    store.delete(key)
    return had


def check_login(url: str, password: str | None) -> str:
    """Connect to ``url`` with ``password``: the schema revision it holds ("" for none yet).

    Raises LoginError saying plainly what is wrong (the password, the server, the database).
    """
    from sqlalchemy import inspect, text
    from sqlalchemy.exc import OperationalError

    db = Database(url, password=password)
    try:
        with db.engine.connect() as conn:
            if "alembic_version" not in inspect(conn).get_table_names():
                return ""
            return str(conn.execute(text("SELECT version_num FROM alembic_version")).scalar())
    except OperationalError as exc:
        raise LoginError(plain_reason(db.display, exc)) from exc
    finally:
        db.dispose()


def plain_reason(display: str, exc: Exception, *, point_at_login: bool = False) -> str:
    """libpq's complaint about ``display`` in the words a user acts on.

    ``point_at_login``: a refused or missing password also says how to keep one (for opening
    a workspace; not for ``workspace login`` itself).
    """
    reason = str(getattr(exc, "orig", exc)).strip().splitlines()[0]
    user = dialect.parse_url(display).username
    login = (f". Keep it with `ppcdesk workspace login {display}` (in the OS keyring), or set "
             "PGPASSWORD." if point_at_login else "")
    if "password authentication failed" in reason:
        return f"the server refused the password for user {user} ({display}){login}"
    if "no password supplied" in reason:
        return f"the server wants a password for user {user} ({display}){login}"
    if "Connection refused" in reason or "could not translate host" in reason:
        return f"no PostgreSQL server answers at {display} ({reason})"
    if "does not exist" in reason:
        return f"{reason}: create it on the server first (createdb), or fix the URL"
    return f"cannot connect to {display}: {reason}"
