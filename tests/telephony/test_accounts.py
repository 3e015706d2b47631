"""Twilio accounts: formats checked up front, secrets only in the keyring (or this session, or
the environment), never in the database, the settings, the log or any output."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import keyring
import pytest
from ppcdesk.config import paths as paths_mod
from ppcdesk.config.logging_setup import configure
from ppcdesk.config.paths import Paths
from ppcdesk.config.secrets import SERVICE
from ppcdesk.core.clock import FixedClock
from ppcdesk.core.errors import NoSecretBackendError
from ppcdesk.core.model import AuthKind
from ppcdesk.core.progress import run_job
from ppcdesk.services.app_services import AppServices
from ppcdesk.storage import migrate
from ppcdesk.storage.db import Database
from ppcdesk.telephony.accounts import (
    Credentials,
    CredentialsFormatError,
    MissingSecretError,
    NoAccountError,
)
from ppcdesk.telephony.memory_provider import MemoryProvider
from test_sync_support import ACCOUNT, NOW, TOKEN, open_desk, provider

KEY_SID = "SK" + "5e" * 16
KEY_SECRET = "sec_9b8c7d6e5f4a3b2c1d0e"  # noqa: S105 - made up, searched for below


class Factory:
    """A provider factory that remembers the credentials it was given."""

    def __init__(self, fake: MemoryProvider | None = None) -> None:
        self.fake = fake or provider()
        self.given: list[Credentials] = []

    def __call__(self, credentials: Credentials) -> MemoryProvider:
        self.given.append(credentials)
        return self.fake


@pytest.fixture
def paths(tmp_path: Path) -> Paths:
    return paths_mod.resolve(tmp_path / "home").ensure()


@pytest.fixture
def db(paths: Paths) -> Iterator[Database]:
    database = Database(paths.data / "w.sqlite")
    migrate.upgrade(database)
    yield database
    database.dispose()


def services(db: Database, paths: Paths, factory: Factory | None = None,
             environ: dict[str, str] | None = None) -> AppServices:
    """Services with the OS keyring (the test's memory backend, or none) as secret store."""
    return AppServices(db, paths, FixedClock(NOW), provider_factory=factory or Factory(),
                       environ=environ or {})


@pytest.mark.parametrize(("sid", "problem"), [
    ("", "got nothing"),
    ("SK" + "0" * 32, "starts with 'SK'"),
    ("AC" + "0" * 31, "33 characters"),
    ("AC" + "g" * 32, "not hexadecimal"),
])
def test_an_account_sid_that_cannot_be_right_is_refused_before_anything_is_saved(
        db: Database, paths: Paths, memory_keyring: object, sid: str, problem: str) -> None:
    app = services(db, paths)
    with pytest.raises(CredentialsFormatError, match=problem) as caught:
        app.add_account(sid, auth_token=TOKEN)
    assert "AC followed by 32 hexadecimal characters" in str(caught.value)
    assert app.accounts() == []
    assert memory_keyring.values == {}  # type: ignore[attr-defined]


@pytest.mark.parametrize(("kwargs", "problem"), [
    ({"auth_token": ""}, "auth token is empty"),
    ({"auth_token": "abc def"}, "contains blanks"),
    ({"api_key_sid": "SK123", "api_key_secret": KEY_SECRET}, "SK followed by 32 hexadecimal"),
    ({"api_key_sid": KEY_SID}, "API key secret is empty"),
    ({"auth_token": TOKEN, "api_key_sid": KEY_SID, "api_key_secret": KEY_SECRET}, "not both"),
])
def test_credentials_that_cannot_be_right_say_which_field_is_wrong(
        db: Database, paths: Paths, memory_keyring: object, kwargs: dict[str, str],
        problem: str) -> None:
    with pytest.raises(CredentialsFormatError, match=problem) as caught:
        services(db, paths).add_account(ACCOUNT, **kwargs)
    for secret in (TOKEN, KEY_SECRET, "abc def"):
        assert secret not in str(caught.value)


def test_an_auth_token_goes_to_the_keyring_and_only_its_name_to_the_database(
        db: Database, paths: Paths, memory_keyring: object) -> None:
    row = services(db, paths).add_account(f"  {ACCOUNT} ", auth_token=TOKEN, label="Main")
    assert (row.account_sid, row.label, row.auth_kind, row.secret_available) == (
        ACCOUNT, "Main", AuthKind.AUTH_TOKEN, True)
    assert keyring.get_password(SERVICE, f"twilio:{ACCOUNT}") == TOKEN
    with db.read() as conn:
        assert conn.exec_driver_sql("SELECT keyring_key FROM telephony_accounts").all() == [
            (f"twilio:{ACCOUNT}",)]


def test_an_api_key_is_stored_under_its_own_name_and_replaces_the_token(
        db: Database, paths: Paths, memory_keyring: object) -> None:
    app = services(db, paths)
    app.add_account(ACCOUNT, auth_token=TOKEN, label="Main")
    row = app.add_account(ACCOUNT, api_key_sid=KEY_SID, api_key_secret=KEY_SECRET)
    assert (row.auth_kind, row.api_key_sid, row.label) == (AuthKind.API_KEY, KEY_SID, "Main")
    assert memory_keyring.values == {  # type: ignore[attr-defined]
        (SERVICE, f"twilio:{ACCOUNT}:{KEY_SID}"): KEY_SECRET}  # the old token is gone
    assert len(app.accounts()) == 1


def test_without_a_keyring_nothing_is_saved_until_the_user_chooses_this_session_only(
        db: Database, paths: Paths) -> None:
    factory = Factory()
    app = services(db, paths, factory)
    assert not app.keyring_available()
    with pytest.raises(NoSecretBackendError, match="no OS keyring"):
        app.add_account(ACCOUNT, auth_token=TOKEN)
    assert app.accounts() == []
    row = app.add_account(ACCOUNT, auth_token=TOKEN, session_only=True)
    assert row.secret_available
    assert app.test_connection().sid == ACCOUNT
    assert factory.given[-1].secret == TOKEN
    assert TOKEN not in repr(factory.given[-1])
    restarted = services(db, paths, factory)  # ppcdesk quit: the session's secret is gone
    assert [a.secret_available for a in restarted.accounts()] == [False]
    with pytest.raises(MissingSecretError, match="enter it again"):
        run_job(restarted.sync_job())


def test_removing_an_account_forgets_its_secret_and_keeps_its_calls(tmp_path: Path) -> None:
    with open_desk(tmp_path) as desk:
        desk.provider.calls_list = provider("""
        sid  parent  from          to            status     start  end  dur  cost
        CA1  -       +12125550123  +18005550100  completed  0      5    300  8500
        """).calls_list
        desk.sync()
        changes = desk.services.remove_account(desk.account_id)
        assert changes.counts == {"accounts": 1}
        assert desk.services.accounts() == []
        assert desk.rows("SELECT sid, account_id FROM calls") == [("CA1", None)]
        assert desk.rows("SELECT COUNT(*) FROM sync_runs WHERE account_id IS NULL") == [(1,)]
        assert desk.services.secret_store.get(f"twilio:{ACCOUNT}") is None
        with pytest.raises(NoAccountError, match="no account 99"):
            desk.services.remove_account(99)


def test_twilio_variables_in_the_environment_sync_without_adding_an_account(
        db: Database, paths: Paths) -> None:
    factory = Factory()
    environ = {"TWILIO_ACCOUNT_SID": ACCOUNT, "TWILIO_AUTH_TOKEN": TOKEN}
    app = services(db, paths, factory, environ)
    assert app.environment_account_sid() == ACCOUNT
    assert app.test_connection().sid == ACCOUNT
    run_job(app.sync_job())
    [row] = app.accounts()
    assert (row.account_sid, row.secret_available) == (ACCOUNT, True)
    assert row.label == "from TWILIO_* environment variables"
    assert {(c.account_sid, c.auth_kind, c.secret) for c in factory.given} == {
        (ACCOUNT, AuthKind.AUTH_TOKEN, TOKEN)}
    with db.read() as conn:  # the row keeps the checkpoint, never the secret
        assert conn.exec_driver_sql("SELECT keyring_key, checkpoint_at IS NOT NULL FROM "
                                    "telephony_accounts").all() == [("", 1)]


def test_an_api_key_in_the_environment_wins_over_the_auth_token(
        db: Database, paths: Paths) -> None:
    factory = Factory()
    app = services(db, paths, factory, {
        "TWILIO_ACCOUNT_SID": ACCOUNT, "TWILIO_AUTH_TOKEN": TOKEN,
        "TWILIO_API_KEY": KEY_SID, "TWILIO_API_SECRET": KEY_SECRET})
    app.test_connection()
    assert (factory.given[0].auth_kind, factory.given[0].api_key_sid,
            factory.given[0].secret) == (AuthKind.API_KEY, KEY_SID, KEY_SECRET)


def test_half_set_environment_variables_say_what_is_missing(db: Database, paths: Paths) -> None:
    app = services(db, paths, environ={"TWILIO_ACCOUNT_SID": ACCOUNT})
    assert app.environment_account_sid() is None
    with pytest.raises(CredentialsFormatError, match="TWILIO_AUTH_TOKEN"):
        run_job(app.sync_job())


def test_with_no_account_anywhere_the_sync_says_how_to_add_one(
        db: Database, paths: Paths) -> None:
    with pytest.raises(NoAccountError, match="ppcdesk account add"):
        run_job(services(db, paths).sync_job())
    with pytest.raises(NoAccountError, match="TWILIO_ACCOUNT_SID"):
        services(db, paths).test_connection()


def test_no_secret_reaches_the_database_the_settings_the_log_or_the_output(
        db: Database, paths: Paths, memory_keyring: object,
        capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture) -> None:
    configure(paths.log_file, level=logging.DEBUG)
    caplog.set_level(logging.DEBUG)
    factory = Factory()
    factory.fake.calls_list = provider("""
    sid  parent  from          to            status     start  end  dur  cost
    CA1  -       +12125550123  +18005550100  completed  0      5    300  8500
    """).calls_list
    app = services(db, paths, factory)
    app.add_account(ACCOUNT, auth_token=TOKEN)
    app.add_account(ACCOUNT, api_key_sid=KEY_SID, api_key_secret=KEY_SECRET, label="key")
    app.test_connection()
    run_job(app.sync_job())
    print(app.accounts(), app.last_sync_summary(), factory.given)  # noqa: T201
    logging.getLogger("ppcdesk").info("credentials in use: %r", factory.given)
    db.dispose()  # flush the WAL into the file
    files = [p for p in paths.data.parent.rglob("*") if p.is_file()]
    assert paths.log_file in files
    assert any(p.suffix == ".sqlite" for p in files)
    for path in files:
        content = path.read_bytes()
        for secret in (TOKEN, KEY_SECRET):
            assert secret.encode() not in content, f"{secret} found in {path}"
    output = capsys.readouterr()
    for secret in (TOKEN, KEY_SECRET):
        assert secret not in output.out + output.err + caplog.text
