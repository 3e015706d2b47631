"""Twilio accounts: SID formats, where each secret lives, and credentials for a provider.

A secret (auth token or API key secret) is only ever in the OS keyring, in this session's
memory (when the user chose "this session only" because there is no keyring), or in the
environment (``TWILIO_ACCOUNT_SID`` + ``TWILIO_AUTH_TOKEN``, or ``TWILIO_API_KEY`` +
``TWILIO_API_SECRET``, for scripts). The database holds only the name of its keyring entry.
``Credentials`` hides the secret from ``repr`` so no log line or traceback can show it.
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from ppcdesk.config.secrets import SecretStore
from ppcdesk.core.errors import DataError, NoSecretBackendError, PpcdeskError
from ppcdesk.core.model import AuthKind
from ppcdesk.telephony.provider import TelephonyProvider

ACCOUNT_SID = re.compile(r"AC[0-9a-fA-F]{32}")
API_KEY_SID = re.compile(r"SK[0-9a-fA-F]{32}")
ENV_ACCOUNT_SID = "TWILIO_ACCOUNT_SID"
ENV_AUTH_TOKEN = "TWILIO_AUTH_TOKEN"  # noqa: S105 - the variable's name, not a secret
ENV_API_KEY = "TWILIO_API_KEY"
ENV_API_SECRET = "TWILIO_API_SECRET"  # noqa: S105 - the variable's name
ENV_KEYRING_KEY = ""  # an account row whose secret comes from the environment only


class CredentialsFormatError(DataError):
    """An account SID, API key SID or secret that cannot be right (checked before any request)."""


class MissingSecretError(PpcdeskError):
    """The account is known but its secret is nowhere (keyring, this session, environment)."""


class NoAccountError(PpcdeskError):
    """There is no Twilio account to sync: none added, none in the environment."""


@dataclass(frozen=True, slots=True)
class Credentials:
    """What a provider needs to sign in. ``secret`` never appears in ``repr`` or logs."""

    account_sid: str
    auth_kind: AuthKind
    secret: str = field(repr=False)
    api_key_sid: str | None = None


ProviderFactory = Callable[[Credentials], TelephonyProvider]


def check_account_sid(text: str) -> str:
    """Return the account SID without surrounding blanks, or say exactly what is wrong.

    Example: ``check_account_sid(" AC0123...cdef ")`` -> ``"AC0123...cdef"``.
    """
    sid = text.strip()
    if not ACCOUNT_SID.fullmatch(sid):
        raise CredentialsFormatError(
            f"an Account SID is AC followed by 32 hexadecimal characters (34 in all); "
            f"got {_describe(sid, 'AC')}", field="account_sid")
    return sid


def check_api_key_sid(text: str) -> str:
    """Return the API key SID (SK + 32 hex), or say exactly what is wrong."""
    sid = text.strip()
    if not API_KEY_SID.fullmatch(sid):
        raise CredentialsFormatError(
            f"an API key SID is SK followed by 32 hexadecimal characters (34 in all); "
            f"got {_describe(sid, 'SK')}", field="api_key_sid")
    return sid


def _describe(sid: str, prefix: str) -> str:
    """Why a SID is wrong, without echoing more than its first characters."""
    if not sid:
        return "nothing"
    if not sid.startswith(prefix):
        return f"one that starts with {sid[:2]!r}"
    if len(sid) != 34:
        return f"{len(sid)} characters"
    return "characters that are not hexadecimal"


def check_secret(secret: str | None, what: str) -> str:
    """A secret must be there and free of blanks; its value is never shown in the error."""
    value = (secret or "").strip()
    if not value:
        raise CredentialsFormatError(f"the {what} is empty", field=what.replace(" ", "_"))
    if any(c.isspace() for c in value):
        raise CredentialsFormatError(f"the {what} contains blanks (a copy-paste slip?)",
                                     field=what.replace(" ", "_"))
    return value


def keyring_key(account_sid: str, auth_kind: AuthKind, api_key_sid: str | None) -> str:
    """The keyring entry of an account's secret: ``twilio:AC...`` or ``twilio:AC...:SK...``."""
    if auth_kind is AuthKind.API_KEY:
        return f"twilio:{account_sid}:{api_key_sid}"
    return f"twilio:{account_sid}"


def credentials_from_env(environ: Mapping[str, str]) -> Credentials | None:
    """Credentials from ``TWILIO_*`` variables, or None when ``TWILIO_ACCOUNT_SID`` is unset.

    An API key (``TWILIO_API_KEY`` + ``TWILIO_API_SECRET``) wins over ``TWILIO_AUTH_TOKEN``,
    as in Twilio's own tools.
    """
    raw_sid = environ.get(ENV_ACCOUNT_SID, "").strip()
    if not raw_sid:
        return None
    sid = check_account_sid(raw_sid)
    key = environ.get(ENV_API_KEY, "").strip()
    if key:
        return Credentials(sid, AuthKind.API_KEY,
                           check_secret(environ.get(ENV_API_SECRET), ENV_API_SECRET),
                           check_api_key_sid(key))
    token = environ.get(ENV_AUTH_TOKEN)
    if not token:
        raise CredentialsFormatError(
            f"{ENV_ACCOUNT_SID} is set but neither {ENV_AUTH_TOKEN} nor {ENV_API_KEY} and "
            f"{ENV_API_SECRET} are", field=ENV_AUTH_TOKEN)
    return Credentials(sid, AuthKind.AUTH_TOKEN, check_secret(token, ENV_AUTH_TOKEN))


def stored_secret(key: str, stores: tuple[SecretStore, ...]) -> str | None:
    """The secret under ``key`` in the first store that has it; a store without a backend
    (no keyring on this machine) simply has none."""
    if not key:
        return None
    for store in stores:
        try:
            value = store.get(key)
        except NoSecretBackendError:
            continue
        if value:
            return value
    return None


def twilio_provider(credentials: Credentials) -> TelephonyProvider:
    """The real provider: the Twilio adapter, loaded only when a real sync or test runs.

    Imported by name: the SDK takes half a second to import, and the import-linter contract
    keeps ``twilio`` out of the static import graph of everything but the adapter.
    """
    module = importlib.import_module("ppcdesk.telephony.twilio_provider")
    provider: TelephonyProvider
    if credentials.auth_kind is AuthKind.API_KEY:
        provider = module.TwilioProvider(credentials.account_sid,
                                         api_key_sid=credentials.api_key_sid,
                                         api_key_secret=credentials.secret)
    else:
        provider = module.TwilioProvider(credentials.account_sid, auth_token=credentials.secret)
    return provider
