"""AppServices: narrow query and job facades over one open database.

Every query opens its own short read transaction, so it is safe from any thread; every job is a
generator that the caller runs on the write lane (the GUI's job runner or the CLI's main thread).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from ppcdesk import __version__
from ppcdesk.config import settings as settings_mod
from ppcdesk.config.paths import Paths
from ppcdesk.config.settings import Settings
from ppcdesk.core import model
from ppcdesk.core.changes import ChangeSet
from ppcdesk.core.clock import Clock, SystemClock
from ppcdesk.core.progress import Job
from ppcdesk.demo.job import write_demo
from ppcdesk.storage import migrate, repositories
from ppcdesk.storage.db import Database
from ppcdesk.storage.repositories import CallKey


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
    def __init__(self, db: Database, paths: Paths, clock: Clock | None = None) -> None:
        self.db = db
        self.paths = paths
        self.clock: Clock = clock or SystemClock()

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
        size = sum(p.stat().st_size for p in (self.db.path, self.db.path.with_name(
            self.db.path.name + "-wal")) if p.exists())
        return DatabaseInfo(
            version=__version__, database=str(self.db.path), size_bytes=size,
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
