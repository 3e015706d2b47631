"""AppServices: narrow query and job facades over one open database.

Every query opens its own short read transaction, so it is safe from any thread; every job is a
generator that the caller runs on the write lane (the GUI's job runner or the CLI's main thread).
"""

from __future__ import annotations

import os
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from ppcdesk import __version__
from ppcdesk.config import settings as settings_mod
from ppcdesk.config.paths import Paths
from ppcdesk.config.secrets import KeyringSecretStore, MemorySecretStore, SecretStore
from ppcdesk.config.settings import Settings
from ppcdesk.core import model
from ppcdesk.core.changes import ChangeSet, Entity
from ppcdesk.core.clock import Clock, SystemClock, to_epoch
from ppcdesk.core.progress import Job
from ppcdesk.demo.job import write_demo
from ppcdesk.recordings.cache import RecordingCache
from ppcdesk.services.billing_service import BillingService
from ppcdesk.services.kpi_service import KpiService
from ppcdesk.services.recon_service import ReconService
from ppcdesk.services.review_service import CallFilter, ReviewService
from ppcdesk.services.sync_service import SyncService
from ppcdesk.storage import migrate, repositories
from ppcdesk.storage.db import Database
from ppcdesk.storage.repositories import CallKey
from ppcdesk.telephony import accounts as accounts_mod
from ppcdesk.telephony.accounts import ProviderFactory
from ppcdesk.telephony.provider import AccountStatus


@dataclass(frozen=True, slots=True)
class DatabaseInfo:
    """What ``ppcdesk info`` prints."""

    version: str
    database: str
    size_bytes: int
    schema_revision: str | None
    schema_head: str
    workspace: model.Workspace | None
    counts: dict[str, int]
    first_call_at: int | None
    last_call_at: int | None
    paths: dict[str, str]


@dataclass(frozen=True, slots=True)
class DashboardData:
    """The foundation dashboard: a period's figures, the one before, and calls per day."""

    start_day: date
    end_day: date
    zone: str
    current: model.PeriodSummary
    previous: model.PeriodSummary
    daily: tuple[model.DailyVolume, ...]


class AppServices:
    """The one door to the data for the UI and the CLI.

    ``provider_factory`` turns credentials into a telephony provider (default: the Twilio
    adapter, loaded on first use); ``secret_store`` holds account secrets (default: the OS
    keyring); ``session_secrets`` holds those the user chose to keep for this session only;
    ``environ`` is where ``TWILIO_*`` credentials are read (default: the process environment).
    """

    def __init__(self, db: Database, paths: Paths, clock: Clock | None = None, *,
                 provider_factory: ProviderFactory | None = None,
                 secret_store: SecretStore | None = None,
                 session_secrets: MemorySecretStore | None = None,
                 environ: Mapping[str, str] | None = None) -> None:
        self.db = db
        self.paths = paths
        self.clock: Clock = clock or SystemClock()
        self.provider_factory: ProviderFactory = provider_factory or accounts_mod.twilio_provider
        self.secret_store: SecretStore = secret_store or KeyringSecretStore()
        self.session_secrets = session_secrets or MemorySecretStore()
        self.environ: Mapping[str, str] = os.environ if environ is None else environ
        # One facade per domain, each with the same database, paths and clock:
        self.billing = BillingService(db, paths, self.clock)
        self.kpi = KpiService(db, paths, self.clock)
        self.review = ReviewService(db, paths, self.clock)
        self.recon = ReconService(db, paths, self.clock)

    # ---------------------------------------------------------------- workspace
    def workspace(self) -> model.Workspace | None:
        with self.db.read() as conn:
            return repositories.workspace(conn)

    def zone(self) -> str:
        """The zone the user reads times in (Settings); everything is stored in UTC."""
        return self.settings().timezone

    def today(self) -> date:
        """Today in the user's zone (the zone the dashboard counts its days in)."""
        return self.clock.now().astimezone(ZoneInfo(self.zone())).date()

    def is_empty(self) -> bool:
        with self.db.read() as conn:
            return repositories.count_calls(conn) == 0 and repositories.workspace(conn) is None

    def info(self) -> DatabaseInfo:
        with self.db.read() as conn:
            counts = repositories.counts(conn)
            ws = repositories.workspace(conn)
            last = repositories.latest_call_at(conn)
            first = conn.exec_driver_sql("SELECT MIN(started_at) FROM calls").scalar_one()
            if self.db.path is None:  # PostgreSQL: the database's size on the server
                size = int(conn.exec_driver_sql(
                    "SELECT pg_database_size(current_database())").scalar_one())
        if self.db.path is not None:
            size = sum(p.stat().st_size for p in (self.db.path, self.db.path.with_name(
                self.db.path.name + "-wal")) if p.exists())
        return DatabaseInfo(
            version=__version__, database=self.db.display, size_bytes=size,
            schema_revision=migrate.current_revision(self.db),
            schema_head=migrate.head_revision(), workspace=ws, counts=counts,
            first_call_at=first, last_call_at=last,
            paths={"data": str(self.paths.data), "logs": str(self.paths.logs),
                   "cache": str(self.paths.cache), "backups": str(self.paths.backups),
                   "config": str(self.paths.config)},
        )

    # ---------------------------------------------------------------- settings
    def settings(self) -> Settings:
        return settings_mod.load(self.paths.config)

    def save_settings(self, settings: Settings) -> None:
        settings_mod.save(self.paths.config, settings)

    # ---------------------------------------------------------------- lists
    def calls_page(self, after: CallKey | None, limit: int = 500) -> list[model.CallRow]:
        with self.db.read() as conn:
            return repositories.calls_page(conn, after, limit)

    def calls_after(self, last: model.CallRow | None, limit: int = 500) -> list[model.CallRow]:
        """The call log's next block after ``last`` (newest first), for keyset-paged views."""
        key = None if last is None else CallKey(last.started_at, last.id)
        return self.calls_page(key, limit)

    def count_calls(self) -> int:
        with self.db.read() as conn:
            return repositories.count_calls(conn)

    def numbers(self) -> list[model.TrackingNumberRow]:
        with self.db.read() as conn:
            return repositories.tracking_numbers(conn)

    def campaigns(self) -> list[model.CampaignRow]:
        with self.db.read() as conn:
            return repositories.campaigns(conn)

    def publishers(self) -> list[model.PublisherRow]:
        with self.db.read() as conn:
            return repositories.publishers(conn)

    def buyers(self) -> list[model.BuyerRow]:
        with self.db.read() as conn:
            return repositories.buyers(conn)

    def contracts(self) -> list[model.ContractRow]:
        with self.db.read() as conn:
            return repositories.contracts(conn)

    def imports(self) -> list[model.ImportRow]:
        with self.db.read() as conn:
            return repositories.imports(conn)

    def disputes(self) -> list[model.DisputeRow]:
        with self.db.read() as conn:
            return repositories.disputes(conn)

    def last_sync(self) -> model.SyncRunRow | None:
        with self.db.read() as conn:
            return repositories.last_sync(conn)

    # ---------------------------------------------------------------- dashboard
    def dashboard(self, days: int = 30, end: date | None = None) -> DashboardData:
        """The last ``days`` days up to ``end`` (default: the day of the newest call)."""
        zone = self.zone()
        tz = ZoneInfo(zone)
        with self.db.read() as conn:
            if end is None:
                # Whole days only: yesterday, or the newest call's day when the data is older.
                yesterday = self.clock.now().astimezone(tz).date() - timedelta(days=1)
                newest = repositories.latest_call_at(conn)
                end = yesterday if newest is None else min(
                    yesterday, datetime.fromtimestamp(newest, tz).date())
            start = end - timedelta(days=days - 1)
            prev_start = start - timedelta(days=days)

            def bound(day: date) -> int:
                return int(datetime(day.year, day.month, day.day, tzinfo=tz).timestamp())

            end_excl = bound(end + timedelta(days=1))
            current = repositories.period_summary(conn, bound(start), end_excl,
                                                  start.isoformat(), end.isoformat())
            previous = repositories.period_summary(
                conn, bound(prev_start), bound(start), prev_start.isoformat(),
                (start - timedelta(days=1)).isoformat())
            hours = repositories.calls_per_hour(conn, bound(start), end_excl)
        per_day: dict[date, list[int]] = defaultdict(lambda: [0, 0])
        for hour, calls, answered in hours:
            day = datetime.fromtimestamp(hour * 3600, tz).date()
            per_day[day][0] += calls
            per_day[day][1] += answered
        daily = tuple(
            model.DailyVolume((start + timedelta(days=i)).isoformat(),
                              *per_day.get(start + timedelta(days=i), [0, 0]))
            for i in range(days))
        return DashboardData(start, end, zone, current, previous, daily)

    # ---------------------------------------------------------------- jobs
    def demo_job(self, *, calls: int, seed: int, end: date,
                 replace: bool = False) -> Job[ChangeSet]:
        return write_demo(self.db, calls=calls, seed=seed, end=end, replace=replace)

    # ---------------------------------------------------------------- Twilio accounts and sync
    # Network and keyring calls below can block for seconds: the UI runs them off its thread.
    def _sync(self) -> SyncService:
        return SyncService(self.db, self.paths, self.clock, self.provider_factory,
                           self.secret_store, self.session_secrets, self.environ, self.zone())

    def accounts(self) -> list[model.AccountRow]:
        """The Twilio accounts this workspace syncs, oldest first.

        ``secret_available`` says whether a sync can sign in: the secret is in the keyring,
        kept for this session, or in ``TWILIO_*`` variables naming the same account. It is
        False after a restart for a session-only secret (ask for it again).
        """
        return self._sync().accounts()

    def add_account(self, account_sid: str, *, auth_token: str | None = None,
                    api_key_sid: str | None = None, api_key_secret: str | None = None,
                    label: str = "", sync_from: date | None = None,
                    session_only: bool = False) -> model.AccountRow:
        """Add a Twilio account (or give an existing one new credentials); return its row.

        Give either ``auth_token`` or ``api_key_sid`` + ``api_key_secret`` (recommended: an
        API key can be revoked alone). Formats are checked first (``AC`` / ``SK`` + 32 hex,
        a non-empty secret without blanks): CredentialsFormatError says which field is wrong.
        The secret goes to the OS keyring only; where there is none, NoSecretBackendError is
        raised and nothing is saved: offer "keep for this session only" and call again with
        ``session_only=True`` (the secret then lives in memory until ppcdesk quits). It never
        reaches the database, the settings or the log. ``sync_from`` (a day in the user's
        zone) is where the first sync starts (default: 30 days back). No network call is
        made: use ``test_connection`` to check the credentials.
        """
        return self._sync().add_account(
            account_sid, auth_token=auth_token, api_key_sid=api_key_sid,
            api_key_secret=api_key_secret, label=label, sync_from=sync_from,
            session_only=session_only)

    def remove_account(self, account_id: int) -> ChangeSet:
        """Forget an account and its secret; the calls and numbers it brought stay."""
        return self._sync().remove_account(account_id)

    def test_connection(self, account_id: int | None = None) -> AccountStatus:
        """Sign in to Twilio with the account's credentials and return its standing.

        ``account_id`` None: the only account, or the ``TWILIO_*`` environment's. Raises one
        named error per failure, whose message says what is wrong: CredentialsRejectedError
        (bad or revoked SID/key/secret), NetworkDownError (no connection), AccountSuspendedError
        (suspended or closed), RateLimitedError, ProviderUnavailableError, MissingSecretError
        (no secret at hand), NoAccountError.
        """
        return self._sync().test_connection(account_id)

    def sync_job(self, account_id: int | None = None, *, since: date | None = None,
                 media: bool = True) -> Job[ChangeSet]:
        """Sync Twilio into this workspace: numbers, calls and their legs, recordings, audio.

        A write-lane job. ``account_id`` None syncs every account (and, when
        ``TWILIO_ACCOUNT_SID`` names no account yet, the environment's, which it adds). It
        yields readable Progress (phase, pages, legs seen, the day reached; total None, since
        Twilio sends no totals; a total during downloads) and may be cancelled at any yield:
        every page is committed with the resume point, so the next sync carries on where this
        one stopped. ``since`` (a day in the user's zone) restarts from that day instead of the
        checkpoint; ``media=False`` skips audio downloads. Returns a ChangeSet whose counts are
        rows written: numbers, calls, legs, recordings, downloaded, skipped (reasons: see
        ``last_sync_summary``). Raises the provider's named errors (CredentialsRejectedError,
        NetworkDownError, ...) after saving what was done: the pages already stored are kept,
        so refresh the call views after a failed sync too.
        """
        started = to_epoch(self.clock.now())

        def sync_then_evaluate() -> Job[ChangeSet]:
            # Outcomes follow the calls: evaluate the days this sync touched (and later ones,
            # whose caps and duplicate windows they feed).
            changes = yield from self._sync().sync_job(account_id, since, media)
            if changes.touches((Entity.CALLS,)):
                changes = changes | (yield from self.billing.evaluate_job(
                    incremental=True, changed_since=started))
            return changes

        return sync_then_evaluate()

    def last_sync_summary(self, account_id: int | None = None) -> model.SyncSummary | None:
        """The newest Twilio sync (of one account, or any): status, counts, skip reasons."""
        return self._sync().last_sync_summary(account_id)

    def environment_account_sid(self) -> str | None:
        """The account SID ``TWILIO_ACCOUNT_SID`` names, when usable credentials are set."""
        return self._sync().environment_account_sid()

    def keyring_available(self) -> bool:
        """Whether an OS keyring can hold secrets (else offer "this session only")."""
        if isinstance(self.secret_store, KeyringSecretStore):
            return KeyringSecretStore.available()
        return True  # a store given by the caller (tests, an embedding application)

    def recording_file(self, sid: str) -> Path | None:
        """The downloaded audio (MP3) of recording ``sid``, or None when it is not cached."""
        return self._sync().recording_file(sid)

    def fetch_recording_job(self, sid: str) -> Job[Path]:
        """Download one recording's audio now (the player's "on demand"); returns its file.

        A write-lane job (it marks the recording cached): afterwards Entity.RECORDINGS has
        changed. A file already cached is returned without a request. Raises the provider's
        named errors, MissingSecretError, or BadRecordError when Twilio has no audio for it.
        """
        return self._sync().fetch_recording_job(sid)

    def delete_on_twilio_job(self, f: CallFilter) -> Job[ChangeSet]:
        """Delete on Twilio the recordings of filter ``f`` whose local copy checks out (size
        and SHA-256); they become "local_only". Ask the user first: it cannot be undone."""
        return self.review.delete_on_twilio_job(f, self.delete_recording_on_twilio)

    def delete_recording_on_twilio(self, sid: str) -> None:
        """Delete one recording on its Twilio account (no check: callers verify the copy)."""
        self._sync().delete_recording(sid)

    def recordings_cache_bytes(self) -> int:
        """Bytes of downloaded recording audio in the cache folder."""
        return RecordingCache(self.paths.recordings).total_bytes()
