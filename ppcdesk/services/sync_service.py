"""Twilio accounts and the sync, behind AppServices: credentials in, jobs and summaries out.

AppServices delegates its account and sync methods here (see their docstrings there). The
secret of an account is looked up, in order, in this session's memory, the OS keyring, and the
``TWILIO_*`` environment variables when they name the same account.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import date, timedelta
from pathlib import Path

from ppcdesk.config.paths import Paths
from ppcdesk.config.secrets import MemorySecretStore, SecretStore
from ppcdesk.core.changes import ChangeSet, Entity
from ppcdesk.core.clock import Clock, day_start_epoch, to_epoch
from ppcdesk.core.errors import NoSecretBackendError, PpcdeskError
from ppcdesk.core.model import AccountRow, AuthKind, SyncSummary
from ppcdesk.core.progress import Job, Progress
from ppcdesk.recordings.cache import RecordingCache
from ppcdesk.storage import repositories
from ppcdesk.storage.db import Database
from ppcdesk.storage.repositories import StoredAccount
from ppcdesk.telephony import accounts, sync, sync_state, sync_store
from ppcdesk.telephony.accounts import (
    Credentials,
    MissingSecretError,
    NoAccountError,
    ProviderFactory,
)
from ppcdesk.telephony.provider import AccountStatus, AccountSuspendedError

log = logging.getLogger(__name__)
ENV_LABEL = "from TWILIO_* environment variables"


class UnknownAccountError(NoAccountError):
    """An account id that is not (or no longer) in this workspace."""


class UnknownRecordingError(PpcdeskError):
    """A recording sid that is not in this workspace."""


@dataclass
class SyncService:
    db: Database
    paths: Paths
    clock: Clock
    provider_factory: ProviderFactory
    secret_store: SecretStore
    session_secrets: MemorySecretStore
    environ: Mapping[str, str]
    zone: str = "UTC"

    # ------------------------------------------------------------ accounts
    def accounts(self) -> list[AccountRow]:
        with self.db.read() as conn:
            stored = repositories.accounts(conn)
        env = self._env_credentials(quiet=True)
        return [replace(a.row, secret_available=self._secret(a) is not None or (
            env is not None and env.account_sid == a.row.account_sid)) for a in stored]

    def add_account(self, account_sid: str, *, auth_token: str | None,
                    api_key_sid: str | None, api_key_secret: str | None, label: str,
                    sync_from: date | None, session_only: bool) -> AccountRow:
        sid = accounts.check_account_sid(account_sid)
        if api_key_sid or api_key_secret:
            if auth_token:
                raise accounts.CredentialsFormatError(
                    "give either an auth token or an API key with its secret, not both",
                    field="auth_token")
            kind, key_sid = AuthKind.API_KEY, accounts.check_api_key_sid(api_key_sid or "")
            secret = accounts.check_secret(api_key_secret, "API key secret")
        else:
            kind, key_sid = AuthKind.AUTH_TOKEN, None
            secret = accounts.check_secret(auth_token, "auth token")
        key = accounts.keyring_key(sid, kind, key_sid)
        # The secret first: without a keyring this raises NoSecretBackendError and nothing is
        # written, so the UI can offer "this session only" and call again.
        (self.session_secrets if session_only else self.secret_store).set(key, secret)
        start = None if sync_from is None else day_start_epoch(sync_from, self.zone)
        with self.db.write() as conn:
            old = [a for a in repositories.accounts(conn) if a.row.account_sid == sid]
            account_id = repositories.save_account(
                conn, account_sid=sid, label=label.strip(), auth_kind=kind, api_key_sid=key_sid,
                keyring_key=key, sync_from=start, now=to_epoch(self.clock.now()))
        if old and old[0].keyring_key not in ("", key):  # credentials replaced: drop the old
            self._forget(old[0].keyring_key)
        log.info("account %s saved (%s, secret in %s)", sid, kind,
                 "this session only" if session_only else "the keyring")
        return next(a for a in self.accounts() if a.id == account_id)

    def remove_account(self, account_id: int) -> ChangeSet:
        with self.db.write() as conn:
            gone = repositories.delete_account(conn, account_id)
        if gone is None:
            raise UnknownAccountError(f"there is no account {account_id} in this workspace")
        self._forget(gone.keyring_key)
        log.info("account %s removed", gone.row.account_sid)
        return ChangeSet.of(Entity.ACCOUNTS, Entity.NUMBERS, Entity.CALLS, Entity.SYNC,
                            accounts=1)

    def test_connection(self, account_id: int | None) -> AccountStatus:
        if account_id is None and not self._stored():
            credentials = self._env_credentials()
            if credentials is None:
                raise self._no_account()
        else:
            credentials = self._credentials(self._one(account_id))
        status = self.provider_factory(credentials).account()
        if status.status != "active":
            raise AccountSuspendedError(
                f"Twilio account {status.sid} is {status.status}: Twilio refuses its calls "
                "and recordings until it is active again (see the Twilio Console)")
        return status

    def environment_account_sid(self) -> str | None:
        credentials = self._env_credentials(quiet=True)
        return None if credentials is None else credentials.account_sid

    # ------------------------------------------------------------ sync
    def sync_job(self, account_id: int | None, since: date | None,
                 media: bool) -> Job[ChangeSet]:
        yield Progress(0, None, "Preparing the sync")
        targets = self._targets(account_id)
        cache = RecordingCache(self.paths.recordings) if media else None
        since_at = None if since is None else day_start_epoch(since, self.zone)
        changes = ChangeSet()
        for stored, credentials in targets:
            provider = self.provider_factory(credentials)
            target = sync.SyncTarget(stored.row.id, stored.row.account_sid,
                                     stored.row.sync_from, stored.row.checkpoint_at)
            changes = changes | (yield from sync.sync_account(
                self.db, provider, target, clock=self.clock, since=since_at, cache=cache,
                zone=self.zone))
        return changes

    def last_sync_summary(self, account_id: int | None) -> SyncSummary | None:
        with self.db.read() as conn:
            return sync_state.summary(conn, account_id)

    def recording_file(self, sid: str) -> Path | None:
        with self.db.read() as conn:
            row = conn.exec_driver_sql("SELECT file_state, local_path FROM recordings "
                                       "WHERE sid = ?", (sid,)).first()
        # cached, or local_only: deleted on Twilio, this copy is the only one
        if row is None or row.file_state not in {"cached", "local_only"} or not row.local_path:
            return None
        path = self.paths.recordings / row.local_path
        return path if path.is_file() else None

    def fetch_recording_job(self, sid: str) -> Job[Path]:
        yield Progress(0, 1, f"Downloading recording {sid}")
        cached = self.recording_file(sid)
        if cached is not None:
            return cached
        with self.db.read() as conn:
            row = conn.exec_driver_sql(
                "SELECT c.account_id FROM recordings r JOIN calls c ON c.sid = r.call_sid "
                "WHERE r.sid = ?", (sid,)).first()
        if row is None:
            raise UnknownRecordingError(f"there is no recording {sid} in this workspace")
        if row.account_id is None:
            raise NoAccountError(f"recording {sid} belongs to no Twilio account of this "
                                 "workspace (its account was removed)")
        provider = self.provider_factory(self._credentials(self._one(row.account_id)))
        audio, _fetched = RecordingCache(self.paths.recordings).fetch(
            sid, provider.download_recording)
        with self.db.write() as conn:
            sync_store.mark_cached(conn, audio)
        yield Progress(1, 1, f"Downloaded recording {sid}")
        return self.paths.recordings / audio.local_path

    def delete_recording(self, sid: str) -> None:
        """Delete recording ``sid`` on its Twilio account (ReviewService checks the copy first)."""
        with self.db.read() as conn:
            account_id = conn.exec_driver_sql(
                "SELECT c.account_id FROM recordings r JOIN calls c ON c.sid = r.call_sid "
                "WHERE r.sid = ?", (sid,)).scalar()
        if account_id is None:
            raise NoAccountError(f"recording {sid} belongs to no Twilio account of this "
                                 "workspace")
        self.provider_factory(self._credentials(self._one(account_id))).delete_recording(sid)

    def default_first_sync(self) -> date:
        """Where a first sync starts when neither the account nor the caller says."""
        return (self.clock.now() - timedelta(days=sync.DEFAULT_FIRST_SYNC_DAYS)).date()

    # ------------------------------------------------------------ credentials
    def _stored(self) -> list[StoredAccount]:
        with self.db.read() as conn:
            return repositories.accounts(conn)

    def _one(self, account_id: int | None) -> StoredAccount:
        stored = self._stored()
        if account_id is None:
            if len(stored) == 1:
                return stored[0]
            raise NoAccountError(f"{len(stored)} Twilio accounts: say which one (by its SID)")
        for account in stored:
            if account.row.id == account_id:
                return account
        raise UnknownAccountError(f"there is no account {account_id} in this workspace")

    def _targets(self, account_id: int | None) -> list[tuple[StoredAccount, Credentials]]:
        """The accounts to sync with their credentials, all resolved before any request."""
        if account_id is not None:
            account = self._one(account_id)
            return [(account, self._credentials(account))]
        stored = self._stored()
        env = self._env_credentials()
        if env is not None and all(a.row.account_sid != env.account_sid for a in stored):
            # Scripts sync without `account add`: the row only keeps the checkpoint and the
            # resume point; its secret stays in the environment.
            with self.db.write() as conn:
                repositories.save_account(
                    conn, account_sid=env.account_sid, label=ENV_LABEL, auth_kind=env.auth_kind,
                    api_key_sid=env.api_key_sid, keyring_key=accounts.ENV_KEYRING_KEY,
                    sync_from=None, now=to_epoch(self.clock.now()))
            stored = self._stored()
        if not stored:
            raise self._no_account()
        return [(account, self._credentials(account)) for account in stored]

    def _credentials(self, account: StoredAccount) -> Credentials:
        row = account.row
        secret = self._secret(account)
        if secret is not None:
            return Credentials(row.account_sid, row.auth_kind, secret, row.api_key_sid)
        env = self._env_credentials()
        if env is not None and env.account_sid == row.account_sid:
            return env
        raise MissingSecretError(
            f"the secret of Twilio account {row.account_sid} is not in the keyring nor kept for "
            "this session: enter it again (Settings, or `ppcdesk account add`), or set "
            f"{accounts.ENV_AUTH_TOKEN}")

    def _secret(self, account: StoredAccount) -> str | None:
        return accounts.stored_secret(account.keyring_key,
                                      (self.session_secrets, self.secret_store))

    def _env_credentials(self, *, quiet: bool = False) -> Credentials | None:
        try:
            return accounts.credentials_from_env(self.environ)
        except accounts.CredentialsFormatError:
            if quiet:
                return None
            raise

    def _forget(self, key: str) -> None:
        if not key:
            return
        self.session_secrets.delete(key)
        with contextlib.suppress(NoSecretBackendError):  # no keyring: nothing stored there
            self.secret_store.delete(key)

    @staticmethod
    def _no_account() -> NoAccountError:
        return NoAccountError(
            "no Twilio account: add one in Settings or with `ppcdesk account add`, or set "
            f"{accounts.ENV_ACCOUNT_SID} and {accounts.ENV_AUTH_TOKEN} (or "
            f"{accounts.ENV_API_KEY} and {accounts.ENV_API_SECRET})")
