"""Secrets live in the OS keyring or only in memory; never in a file, never in the log."""

from __future__ import annotations

import logging
from pathlib import Path

import keyring
import pytest
from keyring.backends import fail
from ppcdesk.config import secrets
from ppcdesk.config.logging_setup import configure
from ppcdesk.config.secrets import KeyringSecretStore, MemorySecretStore
from ppcdesk.core.errors import NoSecretBackendError

TOKEN = "tok_3f9a1c7e5b2d4a6f8e0c"  # noqa: S105 - a made-up auth token, found by searching


def test_the_memory_store_keeps_secrets_for_the_session() -> None:
    store = MemorySecretStore()
    assert store.get("twilio:AC1") is None
    store.set("twilio:AC1", TOKEN)
    assert store.get("twilio:AC1") == TOKEN
    store.delete("twilio:AC1")
    store.delete("twilio:AC1")  # deleting twice is fine
    assert store.get("twilio:AC1") is None


def test_the_keyring_store_round_trips_through_the_backend(memory_keyring: object) -> None:
    store = KeyringSecretStore()
    assert store.available()
    store.set("twilio:AC1", TOKEN)
    assert store.get("twilio:AC1") == TOKEN
    assert keyring.get_password(secrets.SERVICE, "twilio:AC1") == TOKEN  # really in the keyring
    store.delete("twilio:AC1")
    assert store.get("twilio:AC1") is None
    store.delete("twilio:AC1")  # a missing secret is already deleted


def test_services_keep_their_secrets_apart(memory_keyring: object) -> None:
    ours, selftest = KeyringSecretStore(), KeyringSecretStore(service="ppcdesk-selftest")
    ours.set("k", "one")
    selftest.set("k", "two")
    assert (ours.get("k"), selftest.get("k")) == ("one", "two")


def test_without_a_keyring_every_operation_says_so() -> None:
    keyring.set_keyring(fail.Keyring())
    store = KeyringSecretStore()
    assert not store.available()
    for attempt in (lambda: store.set("k", TOKEN), lambda: store.get("k"),
                    lambda: store.delete("k")):
        with pytest.raises(NoSecretBackendError, match="no OS keyring") as caught:
            attempt()
        assert TOKEN not in str(caught.value)


def test_a_secret_needs_a_name(memory_keyring: object) -> None:
    with pytest.raises(ValueError, match="non-empty key"):
        KeyringSecretStore().set("", TOKEN)


def test_the_secret_never_reaches_the_log_file(
        tmp_path: Path, memory_keyring: object) -> None:
    log_file = tmp_path / "logs" / "ppcdesk.log"
    configure(log_file, level=logging.DEBUG)
    logging.getLogger("ppcdesk.test").info("storing a token for AC1")  # the log does work
    store = KeyringSecretStore()
    store.set("twilio:AC1", TOKEN)
    assert store.get("twilio:AC1") == TOKEN
    store.delete("twilio:AC1")
    keyring.set_keyring(fail.Keyring())
    with pytest.raises(NoSecretBackendError):
        store.set("twilio:AC1", TOKEN)
    text = log_file.read_text("utf-8")
    assert "storing a token for AC1" in text
    assert TOKEN not in text
