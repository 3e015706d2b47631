"""The KPI catalogue computed over the workspace, for the dashboard and ``ppcdesk kpi``."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from fractions import Fraction
from pathlib import Path
from typing import Any

from sqlalchemy import Connection
from sqlalchemy.exc import OperationalError

from ppcdesk.billing.contract_file import ContractFileError
from ppcdesk.billing.job import terms_of
from ppcdesk.config.paths import Paths
from ppcdesk.core.changes import ChangeSet, Entity
from ppcdesk.core.clock import Clock
from ppcdesk.core.errors import DataError
from ppcdesk.core.progress import CancelledError, Job, Progress
from ppcdesk.kpi import catalog, queries, rollups, spend, zones
from ppcdesk.kpi.catalog import Kpi, Unit
from ppcdesk.kpi.queries import Filters, Period
from ppcdesk.storage.db import Database

Number = int | float | None
Cancel = Callable[[], bool]
DEFAULT_BUFFER_S = 90  # the trade's usual buffer, when no contract names one
PRESETS = ("yesterday", "last 7 days", "last 30 days", "last 90 days", "month to date",
           "last month", "year to date", "last 365 days")


def number(kpi: Kpi, value: Fraction | None) -> Number:
    """A KPI's exact value as shown: money as integer micros (half to even), counts as int."""
    if value is None:
        return None
    if kpi.unit is Unit.MONEY or kpi.unit is Unit.COUNT:
        return round(value)  # Fraction rounds half to even, exactly
    return float(value)


# The figures that need unique callers (not summable: a pass over the calls of their own).
UNIQUE_KEYS = tuple(k.key for k in catalog.FIGURES
                    if "unique_callers" in k.expr.keys())  # noqa: SIM118 - Expr.keys
CANCEL_CHECK_STEPS = 2_000  # SQLite VM steps between looks at a cancel flag (well under 1 ms)
CANCEL_POLL_S = 0.005  # PostgreSQL: how often a watching thread looks at the flag


def figures(m: dict[str, int], *, spend_known: bool, unique: bool = True,
            disposed: bool = True) -> dict[str, Number]:
    """Every figure of the catalogue over measures ``m``; ``unique=False``: those needing
    unique callers are None (not counted yet); ``disposed=False``: conversions are unknown."""
    return {k.key: None if not unique and k.key in UNIQUE_KEYS
            else number(k, catalog.evaluate(k, m, spend_known=spend_known, disposed=disposed))
            for k in catalog.FIGURES}


@dataclass(frozen=True, slots=True)
class KpiRow:
    key: queries.Key
    label: str
    values: dict[str, Number]


@dataclass(frozen=True, slots=True)
class KpiReport:
    """Every figure of the catalogue for a period, overall or per value of a dimension."""

    period: Period
    by: str | None
    rows: tuple[KpiRow, ...]
    source: str


@dataclass(frozen=True, slots=True)
class Dashboard:
    """Everything the dashboard draws: tiles now and before, and each chart's table."""

    period: Period
    previous: Period
    current: dict[str, Number]
    before: dict[str, Number]
    evaluated: bool  # some call in the period has an outcome: money figures mean something
    grain: str  # day | week | month
    series: tuple[tuple[str, int, int, int], ...]  # (label, calls, billable, revenue micros)
    heat_calls: tuple[tuple[int, ...], ...]  # [weekday Monday=0][hour]
    heat_answer: tuple[tuple[float | None, ...], ...]
    publishers: tuple[tuple[str, int, Number, Number], ...]  # name, calls, conv. rate, rpm
    histogram: tuple[tuple[int, int | None, int], ...]  # (from s, to s or None, answered)
    buffer_s: int
    buffer_from: str  # whose buffer: a contract's name, "most buyer contracts", or "usual"
    filters: Filters = field(default_factory=Filters)
    counted: bool = True  # unique callers counted (else UNIQUE_KEYS are None: see with_unique)
    sums: tuple[dict[str, int], dict[str, int]] = ({}, {})  # measures now and before
    spend_known: tuple[bool, bool] = (True, True)
    disposed: tuple[bool, bool] = (True, True)  # some disposition recorded, now and before
    ranked_by: str = "conversion_rate"  # or "rpm" when no disposition says what converted


class KpiService:
    """The KPI catalogue computed over the workspace, for the dashboard and ``ppcdesk kpi``."""

    def __init__(self, db: Database, paths: Paths, clock: Clock) -> None:
        self.db = db
        self.paths = paths
        self.clock = clock

    # ---------------------------------------------------------------- periods
    def preset(self, name: str, zone: str, today: date | None = None) -> Period:
        """A named period of whole days ending yesterday (in ``zone``)."""
        today = today or zones.local_day(int(self.clock.now().timestamp()), zone)
        end = today - timedelta(days=1)
        days = {"yesterday": 1, "last 7 days": 7, "last 30 days": 30, "last 90 days": 90,
                "last 365 days": 365}
        if name in days:
            return Period(end - timedelta(days=days[name] - 1), end, zone)
        if name == "month to date":
            return Period(min(today.replace(day=1), end), end, zone)
        if name == "year to date":
            return Period(min(today.replace(month=1, day=1), end), end, zone)
        if name == "last month":
            last = today.replace(day=1) - timedelta(days=1)
            return Period(last.replace(day=1), last, zone)
        raise DataError(f"no period preset {name!r} (choose from {', '.join(PRESETS)})")

    def newest_day(self, zone: str) -> date | None:
        with self.db.read() as conn:
            newest = conn.exec_driver_sql("SELECT MAX(started_at) FROM calls").scalar_one()
        return None if newest is None else zones.local_day(int(newest), zone)

    # ---------------------------------------------------------------- queries
    def rollups_ready(self) -> bool:
        with self.db.read() as conn:
            return rollups.rollup_zone(conn) is not None or not conn.exec_driver_sql(
                "SELECT EXISTS (SELECT 1 FROM calls)").scalar_one()

    def report(self, period: Period, filters: Filters | None = None,
               by: str | None = None) -> KpiReport:
        """Every figure over ``period``, or per value of ``by`` (catalog.DIMENSIONS)."""
        if by is not None and by not in catalog.DIMENSIONS:
            raise DataError(f"cannot break down by {by!r} (choose from "
                            f"{', '.join(catalog.DIMENSIONS)})")
        filters = filters or Filters()
        with self.db.read() as conn:
            found = queries.sums(conn, period, filters, by)
            names = _names(conn, by)
            disposed = queries.has_dispositions(conn, period, filters)
        rows = tuple(KpiRow(key, _label(key, by, names),
                            figures(m, spend_known=found.spend_known, disposed=disposed))
                     for key, m in sorted(found.groups.items(), key=lambda kv: _order(kv[0])))
        return KpiReport(period, by, rows, found.source)

    @contextmanager
    def _reading(self, cancel: Cancel | None) -> Iterator[Connection]:
        """A read connection whose queries stop (CancelledError) as soon as ``cancel()``.

        A newer dashboard request cancels the older one this way: SQLite checks the flag every
        few thousand steps, so an abandoned count stops within a millisecond instead of running
        to its end beside the new one.
        """
        with self.db.read() as conn:
            raw = conn.connection.dbapi_connection
            stop = None
            if cancel is not None and raw is not None:
                if conn.dialect.name == "sqlite":
                    raw.set_progress_handler(lambda: int(cancel()), CANCEL_CHECK_STEPS)
                else:
                    stop = _cancel_watch(raw, cancel)
            try:
                yield conn
            except OperationalError:
                if cancel is not None and cancel():
                    raise CancelledError from None
                raise
            finally:
                if stop is not None:
                    stop()
                elif cancel is not None and raw is not None:
                    raw.set_progress_handler(None, 0)
            if cancel is not None and cancel():
                raise CancelledError

    def dashboard(self, period: Period, filters: Filters | None = None, *, unique: bool = True,
                  cancel: Cancel | None = None) -> Dashboard:
        """The tiles (with the previous period) and every chart's data, in few queries.

        ``unique=False`` leaves out unique callers (the one pass over calls; everything else
        reads the rollups): the page paints at once, then calls ``with_unique``. ``cancel``:
        stop (CancelledError) when it returns True.
        """
        filters = filters or Filters()
        previous = period.previous()
        grain = "day" if period.days <= 92 else "week" if period.days <= 400 else "month"
        with self._reading(cancel) as conn:
            cur = queries.sums(conn, period, filters, unique=False)
            before = queries.sums(conn, previous, filters, unique=False)
            if unique:
                (cur.groups[None]["unique_callers"], before.groups[None]["unique_callers"]
                 ) = queries.unique_callers_pair(conn, period, previous, filters)
            by_time = queries.sums(conn, period, filters, grain, unique=False,
                                   only=("calls", "billable", "revenue_micros"))
            heat = queries.sums(conn, period, filters, "hour_of_week", unique=False,
                                only=("calls", "answered"))
            pubs = queries.sums(conn, period, filters, "publisher", unique=False,
                                only=("calls", "evaluated", "conversions", "revenue_micros",
                                      "talk_s"))
            names = _names(conn, "publisher")
            buffer_s, buffer_from = _buffer(conn, filters)
            disposed = (queries.has_dispositions(conn, period, filters),
                        queries.has_dispositions(conn, previous, filters))
        m = cur.groups[None]
        series = tuple((zones.day_of(int(k or 0)).isoformat(), v["calls"], v["billable"],
                        v["revenue_micros"]) for k, v in sorted(
                            by_time.groups.items(), key=lambda kv: int(kv[0] or 0)))
        calls_grid = [[0] * 24 for _ in range(7)]
        answered_grid = [[0] * 24 for _ in range(7)]
        for k, v in heat.groups.items():
            day, hour = divmod(int(k or 0), 24)
            calls_grid[day][hour], answered_grid[day][hour] = v["calls"], v["answered"]
        rate = tuple(tuple(a / c if c else None for a, c in zip(ar, cr, strict=True))
                     for ar, cr in zip(answered_grid, calls_grid, strict=True))
        cr, rpm = catalog.BY_KEY["conversion_rate"], catalog.BY_KEY["rpm"]
        rows = [(names.get(k, "(none)"), v["calls"],
                 number(cr, catalog.evaluate(cr, v, disposed=disposed[0])),
                 number(rpm, catalog.evaluate(rpm, v)))
                for k, v in pubs.groups.items() if v["calls"]]
        # Without dispositions there is no conversion rate to rank by: rank by rpm instead.
        ranked_by = "conversion_rate" if disposed[0] else "rpm"
        at = 2 if disposed[0] else 3
        ranked = sorted(rows, key=lambda r: (-float(r[at] or 0), r[0]))
        edges = catalog.DURATION_EDGES
        hist = tuple((lo, edges[i + 1] if i + 1 < len(edges) else None, m[f"dur_{i}"])
                     for i, lo in enumerate(edges))
        return Dashboard(
            period, previous,
            figures(m, spend_known=cur.spend_known, unique=unique, disposed=disposed[0]),
            figures(before.groups[None], spend_known=before.spend_known, unique=unique,
                    disposed=disposed[1]),
            bool(m["evaluated"]), grain, series,
            tuple(tuple(r) for r in calls_grid), rate, tuple(ranked), hist, buffer_s, buffer_from,
            filters, unique, (m, before.groups[None]), (cur.spend_known, before.spend_known),
            disposed, ranked_by)

    def with_unique(self, board: Dashboard, cancel: Cancel | None = None) -> Dashboard:
        """``board`` with unique and repeat callers counted (one pass over both periods)."""
        if board.counted:
            return board
        with self._reading(cancel) as conn:
            now, before = queries.unique_callers_pair(conn, board.period, board.previous,
                                                      board.filters)
        sums = ({**board.sums[0], "unique_callers": now},
                {**board.sums[1], "unique_callers": before})
        return replace(board, counted=True, sums=sums,
                       current=figures(sums[0], spend_known=board.spend_known[0],
                                       disposed=board.disposed[0]),
                       before=figures(sums[1], spend_known=board.spend_known[1],
                                      disposed=board.disposed[1]))

    # ---------------------------------------------------------------- writes
    def rebuild_job(self, zone: str) -> Job[ChangeSet]:
        """Build the rollups from every call, counting days in ``zone`` (write lane)."""
        yield Progress(0, None, "Summing calls for the dashboard")
        with self.db.write() as conn:
            for done in rollups.rebuild_steps(conn, zone=zone):
                yield Progress(int(1000 * done), 1000, "Summing calls for the dashboard")
        return ChangeSet.of(Entity.OUTCOMES)

    def add_spend(self, day: date, amount_micros: int, *, campaign_id: int | None = None,
                  publisher_id: int | None = None, source: str = "") -> ChangeSet:
        """Enter (or replace) one day's spend."""
        if amount_micros < 0:
            raise DataError("a spend cannot be negative", field="amount")
        with self.db.write() as conn:
            spend.save_spend(conn, [spend.SpendRow(day, campaign_id, publisher_id, source,
                                                   amount_micros)])
        return ChangeSet.of(Entity.SPEND, spend=1)

    def import_spend_job(self, path: Path) -> Job[ChangeSet]:
        """Import a spend CSV (date, campaign, publisher, amount[, source]) whole or not at all."""
        yield Progress(0, None, f"Importing {path.name}")
        with self.db.write() as conn:
            n = spend.import_spend(conn, path, int(self.clock.now().timestamp()))
        return ChangeSet.of(Entity.SPEND, Entity.IMPORTS, spend=n)


def _cancel_watch(raw: Any, cancel: Cancel) -> Callable[[], None]:
    """Ask PostgreSQL to cancel ``raw``'s running query as soon as ``cancel()``; returns stop.

    PostgreSQL has no progress callback: a thread looks at the flag every few ms and sends
    the server a cancel request (psycopg's ``cancel``), which ends the query with an error
    that ``_reading`` turns into CancelledError.
    """
    done = threading.Event()

    def watch() -> None:
        while not done.wait(CANCEL_POLL_S):
            if cancel():
                raw.cancel()
                return

    thread = threading.Thread(target=watch, name="kpi-cancel", daemon=True)
    thread.start()

    def stop() -> None:
        done.set()
        thread.join()

    return stop


def _names(conn: Connection, by: str | None) -> dict[queries.Key, str]:
    tables = {"campaign": ("campaigns", "name"), "publisher": ("publishers", "name"),
              "buyer": ("buyers", "name"), "number": ("tracking_numbers", "friendly_name")}
    if by not in tables:
        return {}
    table, column = tables[by]
    rows = conn.exec_driver_sql(f"SELECT id, {column} FROM {table}")
    return {int(i): str(n) for i, n in rows}


def _label(key: queries.Key, by: str | None, names: dict[queries.Key, str]) -> str:
    if by is None:
        return "all"
    if by in queries.DIM_COLUMNS:
        return names.get(key, "(none)")
    if by in {"day", "week", "month"}:
        return zones.day_of(int(key or 0)).isoformat()[: 7 if by == "month" else 10]
    if by == "weekday":
        return ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")[int(key or 0)]
    if by == "hour":
        return f"{int(key or 0):02d}:00"
    return str(key or "(unknown)")


def _order(key: queries.Key) -> tuple[int, str]:
    return (0, f"{key:012d}") if isinstance(key, int) else (1, str(key or ""))


def _buffer(conn: Connection, filters: Filters) -> tuple[int, str]:
    """The buffer to draw: the selected buyer's contract's, else the most common one, else 90 s.

    Read from each active buyer contract's newest version with the billing parser (the text is
    canonical TOML; ``terms_of`` caches each text once parsed). Returns (seconds, whose).
    """
    where = "".join(f" AND k.{col} = {int(value)}" for col, value in (
        ("campaign_id", filters.campaign_id), ("buyer_id", filters.buyer_id))
        if value is not None)
    rows = conn.exec_driver_sql(
        "SELECT k.name, v.terms FROM contracts k JOIN contract_versions v ON v.contract_id = k.id "
        f"WHERE k.counterparty_kind = 'buyer' AND k.active = 1{where} AND v.version = "
        "(SELECT MAX(version) FROM contract_versions w WHERE w.contract_id = k.id) "
        "ORDER BY k.name").all()
    found: list[tuple[str, int]] = []
    for name, text in rows:
        try:
            found.append((str(name), terms_of(str(text)).buffer_s))
        except ContractFileError:  # a stored version the parser refuses: not ours to draw
            continue
    if not found:
        return DEFAULT_BUFFER_S, "usual"
    if len(found) == 1:
        return found[0][1], found[0][0]
    (common, n), *_ = Counter(b for _, b in found).most_common(1)
    return common, ("every buyer contract" if n == len(found)
                    else f"{n} of {len(found)} buyer contracts")
