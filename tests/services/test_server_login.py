"""A shared workspace's address built from its parts, and its password kept in the keyring."""

from __future__ import annotations

from typing import Any

import pytest
from ppcdesk.core.errors import NoSecretBackendError
from ppcdesk.services import server_login
from ppcdesk.storage import dialect


@pytest.mark.parametrize(("parts", "url"), [
    (("db.example.com", 5432, "shared", "ana"), "postgresql://ana@db.example.com:5432/shared"),
    ((" ", 0, "ppc", "ana"), "postgresql://ana@localhost:5432/ppc"),
    (("10.0.0.5", 6543, "team desk", "o'brien@corp"),
     "postgresql://o%27brien%40corp@10.0.0.5:6543/team desk"),
])
def test_the_url_is_built_from_its_parts_and_reads_back_the_same(
        parts: tuple[str, int, str, str], url: str) -> None:
    built = server_login.server_url(*parts)
    assert built == url
    parsed = dialect.parse_url(built)
    _host, _port, database, user = parts
    assert (parsed.username, parsed.database, parsed.password) == (user, database, None)


def test_a_missing_database_or_user_is_named() -> None:
    with pytest.raises(dialect.BadTargetError, match="name the database"):
        server_login.server_url("h", 5432, " ", "ana")
    with pytest.raises(dialect.BadTargetError, match="name the user"):
        server_login.server_url("h", 5432, "d", "")


def test_the_password_goes_where_opening_the_workspace_reads_it(memory_keyring: Any) -> None:

    url = server_login.server_url("db.example.com", 5432, "shared", "ana")
    server_login.remember_password(url, "pw-31")
    assert memory_keyring.values == {
        (dialect.KEYRING_SERVICE, "ana@db.example.com:5432/shared"): "pw-31"}
    assert server_login.stored_password(url) == "pw-31"
    assert server_login.forget_password(url) is True
    assert server_login.forget_password(url) is False
    assert server_login.stored_password(url) is None


def test_without_a_keyring_nothing_is_stored_anywhere() -> None:
    assert not server_login.keyring_available()
    with pytest.raises(NoSecretBackendError):
        server_login.remember_password("postgresql://ana@h/d", "pw")
