"""Secrets (Twilio auth tokens, API key secrets) live only in the OS keyring.

Where no keyring backend exists (a headless Linux without Secret Service) we say so with
NoSecretBackendError; the caller may then offer a session-only MemorySecretStore. There is no
plaintext fallback, on purpose.
"""

from __future__ import annotations

import contextlib
from typing import TYPE_CHECKING, Protocol

from ppcdesk.core.errors import NoSecretBackendError

if TYPE_CHECKING:
    from keyring.backend import KeyringBackend

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

    def _backend(self, key: str) -> KeyringBackend:
        import keyring
        from keyring.backends import fail

        if not key:  # keyring deprecates empty user names; a secret always has a name
            raise ValueError("a secret needs a non-empty key")
        backend = keyring.get_keyring()
        if isinstance(backend, fail.Keyring):
            raise NoSecretBackendError(
                "no OS keyring is available on this machine (on Linux, install and unlock "
                "GNOME Keyring or KWallet); the secret was not stored"
            )
        return backend

    def get(self, key: str) -> str | None:
        return self._backend(key).get_password(self._service, key)

    def set(self, key: str, secret: str) -> None:
        self._backend(key).set_password(self._service, key, secret)

    def delete(self, key: str) -> None:
        import keyring.errors

        backend = self._backend(key)
        with contextlib.suppress(keyring.errors.PasswordDeleteError):
            backend.delete_password(self._service, key)


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
