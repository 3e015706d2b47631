"""Secrets (Twilio auth tokens, API key secrets) live only in the OS keyring.

Where no keyring backend exists (a headless Linux without Secret Service) we say so with
NoSecretBackendError; the caller may then offer a session-only MemorySecretStore. There is no
plaintext fallback, on purpose.
"""

from __future__ import annotations

import contextlib
from typing import Protocol

from ppcdesk.core.errors import NoSecretBackendError

SERVICE = "ppcdesk"


class SecretStore(Protocol):
    def get(self, key: str) -> str | None: ...
    def set(self, key: str, secret: str) -> None: ...
    def delete(self, key: str) -> None: ...


class KeyringSecretStore:
    """The OS keyring (Keychain, Windows Credential Locker, Secret Service)."""

    def __init__(self, service: str = SERVICE) -> None:
        self._service = service

    @staticmethod
    def available() -> bool:
        import keyring
        from keyring.backends import fail

        return not isinstance(keyring.get_keyring(), fail.Keyring)

    def _keyring(self):  # type: ignore[no-untyped-def]
        import keyring

        if not self.available():
            raise NoSecretBackendError(
                "no OS keyring is available on this machine (on Linux, install and unlock "
                "GNOME Keyring or KWallet); the secret was not stored"
            )
        return keyring

    def get(self, key: str) -> str | None:
        value: str | None = self._keyring().get_password(self._service, key)
        return value

    def set(self, key: str, secret: str) -> None:
        self._keyring().set_password(self._service, key, secret)

    def delete(self, key: str) -> None:
        import keyring.errors

        with contextlib.suppress(keyring.errors.PasswordDeleteError):
            self._keyring().delete_password(self._service, key)


class MemorySecretStore:
    """Secrets kept for this session only, never written anywhere."""

    def __init__(self) -> None:
        self._values: dict[str, str] = {}

    def get(self, key: str) -> str | None:
        return self._values.get(key)

    def set(self, key: str, secret: str) -> None:
        self._values[key] = secret

    def delete(self, key: str) -> None:
        self._values.pop(key, None)
