"""The KPI queries: summed measures for a period, by one dimension, in the user's zone.

Which table answers: ``kpi_daily`` when the zone is the one it was built in and the breakdown
needs no hour; ``kpi_hourly`` for hours, weekdays and any other zone; the calls themselves for
the caller's state and unique callers (no rollup can sum either). Every query reads only the
period's rows through the tables' primary keys, which lead with the time bucket.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, timedelta
from itertools import pairwise
from typing import Final

from sqlalchemy import Connection

from ppcdesk.kpi import zones
from ppcdesk.kpi.rollups import rollup_zone, source_sql
from ppcdesk.storage.models import KPI_MEASURE_COLUMNS

Key = int | str | None
DIM_COLUMNS: Final = {"campaign": "campaign_id", "publisher": "publisher_id",
                      "buyer": "buyer_id", "number": "tracking_number_id"}
HOUR_DIMS: Final = frozenset({"hour", "weekday", "hour_of_week"})
TIME_DIMS: Final = frozenset({"day", "week", "month"}) | HOUR_DIMS
SPENDLESS_DIMS: Final = frozenset({"buyer", "number", "state"}) | HOUR_DIMS  # not kept so
# Periods longer than this count callers along the caller index (covering, no sort): for 30
# days of a million-call year ~230 ms against ~380 ms through the start-time index.
LONG_DAYS: Final = 7


@dataclass(frozen=True, slots=True)
class Filters:
    """Which calls count: ids of a campaign, publisher, buyer or tracking number (None: all)."""

    campaign_id: int | None = None
    publisher_id: int | None = None
    buyer_id: int | None = None
    number_id: int | None = None

    def pairs(self) -> list[tuple[str, int]]:
        return [(col, v) for col, v in (
            ("campaign_id", self.campaign_id), ("publisher_id", self.publisher_id),
            ("buyer_id", self.buyer_id), ("tracking_number_id", self.number_id))
            if v is not None]

    @property
    def spend_known(self) -> bool:
        """Spend is kept per campaign and publisher: not per buyer or number."""
        return self.buyer_id is None and self.number_id is None


@dataclass(frozen=True, slots=True)
class Period:
    """Whole local days ``start`` .. ``end`` (inclusive) in ``zone``."""

    start: date
    end: date
    zone: str

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def previous(self) -> Period:
        """The period of the same length just before this one."""
        return Period(self.start - timedelta(days=self.days), self.start - timedelta(days=1),
                      self.zone)


@dataclass(frozen=True, slots=True)
class Sums:
    """Measures summed per group key (one key, None, without a breakdown)."""

    groups: dict[Key, dict[str, int]] = field(default_factory=dict)
    spend_known: bool = True
    source: str = ""  # the table that answered (for tests and the benchmark)


def _where_dims(filters: Filters, prefix: str = "") -> str:
    # Dimension ids are ints from our own lists: inlined, so each query plans once per shape.
    parts = [f"{prefix}{col} = {int(v)}" for col, v in filters.pairs()]
    return "".join(f" AND {p}" for p in parts)


def sums(conn: Connection, period: Period, filters: Filters, by: str | None = None, *,
         unique: bool = True, only: tuple[str, ...] | None = None) -> Sums:
    """Every measure of the catalogue summed over ``period``, grouped ``by`` a dimension.

    ``unique=False`` skips unique callers (a pass over the calls' caller index) where a chart
    does not show them; they are then 0. ``only`` sums just those measures (the rest are 0):
    summing 38 columns over a year of hours costs ~10x summing 3.
    """
    if by == "state":
        groups = _raw(conn, period, filters, "COALESCE(f.caller_state, '')")
        source = "calls"
    else:
        daily = by not in HOUR_DIMS and rollup_zone(conn) == period.zone
        groups, source = _rollup(conn, period, filters, by, daily=daily, only=only)
    _add_media(conn, period, filters, by, groups)
    if by in {"week", "month"}:
        groups = _fold_days(groups, by)
    if unique:
        _add_unique(conn, period, filters, by, groups)
    else:
        for values in groups.values():
            values["unique_callers"] = 0
    spend_known = filters.spend_known and by not in SPENDLESS_DIMS
    return Sums(groups, spend_known, source)


def _rollup(conn: Connection, period: Period, filters: Filters, by: str | None, *,
            daily: bool, only: tuple[str, ...] | None = None
            ) -> tuple[dict[Key, dict[str, int]], str]:
    columns = only or KPI_MEASURE_COLUMNS
    summed = ", ".join(f"SUM({c})" for c in columns)
    if daily:
        table, time_col = "kpi_daily", "day"
        lo, hi = zones.day_number(period.start), zones.day_number(period.end) + 1
        local_day, local = "day", ""
    else:
        table, time_col = "kpi_hourly", "hour"
        lo = zones.day_start_hour(period.start, period.zone)
        hi = zones.day_start_hour(period.end + timedelta(days=1), period.zone)
        local = zones.local_seconds_sql(period.zone, lo, hi)
        local_day = f"({local} / 86400)"
    group = _group_expr(by, local_day, local)
    select = f"SELECT {group or 'NULL'}, {summed}"
    sql = (f"{select} FROM {table} WHERE {time_col} >= {lo} AND {time_col} < {hi}"
           f"{_where_dims(filters)}{' GROUP BY 1' if group else ''}")
    out: dict[Key, dict[str, int]] = {}
    for row in conn.exec_driver_sql(sql):
        if row[1] is None:  # no rows: SUM is NULL
            continue
        out[_key(row[0], by)] = {**dict.fromkeys(KPI_MEASURE_COLUMNS, 0),
                                 **dict(zip(columns, map(int, row[1:]), strict=True))}
    if by is None and None not in out:
        out[None] = dict.fromkeys(KPI_MEASURE_COLUMNS, 0)
    return out, table


def _group_expr(by: str | None, local_day: str, local: str) -> str | None:
    if by is None:
        return None
    if by in DIM_COLUMNS:
        return DIM_COLUMNS[by]
    if by in {"day", "week", "month"}:
        return local_day
    hour = f"(({local} / 3600) % 24)"
    weekday = f"(({local} / 86400 + 3) % 7)"  # Monday = 0; 1970-01-01 was a Thursday
    return {"hour": hour, "weekday": weekday, "hour_of_week": f"({weekday} * 24 + {hour})"}[by]


def _key(value: object, by: str | None) -> Key:
    if by in DIM_COLUMNS:
        return None if value in (0, None) else int(str(value))
    return value if value is None or isinstance(value, str) else int(str(value))


def _calls_where(period: Period, filters: Filters) -> str:
    lo = zones.day_start(period.start, period.zone)
    hi = zones.day_start(period.end + timedelta(days=1), period.zone)
    return f"c.started_at >= {lo} AND c.started_at < {hi}{_where_dims(filters, 'c.')}"


def _raw(conn: Connection, period: Period, filters: Filters, group: str
         ) -> dict[Key, dict[str, int]]:
    sql = source_sql([group], _calls_where(period, filters))
    return {row[0]: dict(zip(KPI_MEASURE_COLUMNS, map(int, row[1:]), strict=True))
            for row in conn.exec_driver_sql(sql)}


def _calls_group(period: Period, by: str | None) -> str | None:
    """The group expression over calls ``c`` for unique callers."""
    if by is None:
        return None
    if by == "state":
        return "COALESCE(c.caller_state, '')"
    if by in DIM_COLUMNS:
        return f"COALESCE(c.{DIM_COLUMNS[by]}, 0)"
    lo = zones.day_start_hour(period.start, period.zone)
    hi = zones.day_start_hour(period.end + timedelta(days=1), period.zone)
    local = (f"({zones.local_seconds_sql(period.zone, lo, hi, '(c.started_at / 3600)')}"
             " + c.started_at % 3600)")
    day = f"({local} / 86400)"
    if by == "week":  # the week's Monday
        return f"({day} - ({day} + 3) % 7)"
    if by == "month":  # the month's first day: a CASE over the period's few month edges
        return _month_case(day, period)
    return _group_expr(by, day, local)


def _month_case(day: str, period: Period) -> str:
    """SQL for the first day (a day number) of the month holding day number ``day``.

    Integer comparisons against the month starts in the period, computed here: the same on
    both back ends (no date functions per row) and a few comparisons per call.
    """
    first = period.start.replace(day=1)
    starts = [first]
    while starts[-1] < period.end.replace(day=1):
        last = starts[-1]
        starts.append(last.replace(year=last.year + last.month // 12,
                                   month=last.month % 12 + 1))
    numbers = [zones.day_number(d) for d in starts]
    if len(numbers) == 1:
        return str(numbers[0])
    cases = " ".join(f"WHEN {day} < {nxt} THEN {cur}" for cur, nxt in pairwise(numbers))
    return f"(CASE {cases} ELSE {numbers[-1]} END)"


@contextmanager
def _walking_callers(conn: Connection, period: Period, filters: Filters) -> Iterator[str]:
    """Around a GROUP BY caller over calls ``c``: yields the FROM hint to put after ``c``.

    Long unfiltered periods walk the (caller, started_at) index in order: one pass, no sort,
    no hash table, no row lookups. A filter would need a table lookup per entry there, so
    the planner picks the filter's index. SQLite takes the hint INDEXED BY (a year of a
    million calls 1.8 s -> ~0.25 s). PostgreSQL has no hints: with hashing and sorting off
    for the statement its planner takes the same walk as an index-only scan (30 days of a
    million calls: ~600 -> ~300 ms, the hash table spilled to disk at the default work_mem;
    over a year it walks the index unasked).
    """
    walk = period.days > LONG_DAYS and not filters.pairs()
    if conn.dialect.name == "sqlite":
        yield " INDEXED BY ix_calls_caller_started" if walk else ""
        return
    if not walk:
        yield ""
        return
    conn.exec_driver_sql("SET LOCAL enable_hashagg = off")
    conn.exec_driver_sql("SET LOCAL enable_sort = off")
    yield ""
    # Not in a finally: after an error the transaction is aborted, and the settings go with it.
    conn.exec_driver_sql("SET LOCAL enable_hashagg TO DEFAULT")
    conn.exec_driver_sql("SET LOCAL enable_sort TO DEFAULT")


def _add_unique(conn: Connection, period: Period, filters: Filters, by: str | None,
                groups: dict[Key, dict[str, int]]) -> None:
    """Unique identified callers per group: counted over the calls' caller index."""
    where = _calls_where(period, filters) + " AND c.caller <> 'anonymous'"
    group = _calls_group(period, by)
    if group is None:
        with _walking_callers(conn, period, filters) as index:
            n = conn.exec_driver_sql(f"SELECT COUNT(*) FROM (SELECT c.caller FROM calls c{index}"
                                     f" WHERE {where} GROUP BY c.caller) u").scalar_one()
        groups[None]["unique_callers"] = int(n)
        return
    for values in groups.values():
        values["unique_callers"] = 0
    sql = (f"SELECT g, COUNT(*) FROM (SELECT {group} AS g, c.caller FROM calls c WHERE {where} "
           "GROUP BY 1, 2) u GROUP BY g")
    for g, n in conn.exec_driver_sql(sql):
        key = _key(g, by)
        if key in groups:
            groups[key]["unique_callers"] = int(n)


def has_dispositions(conn: Connection, period: Period, filters: Filters) -> bool:
    """Whether anyone recorded a disposition for a call of ``period`` (else conversions are
    unknown).

    A plain join, so the planner picks the side to walk from its statistics: the period's
    calls, probing the dispositions' call index, when reviews are many (the demo's 600k: ~0.1
    ms; forcing the dispositions first cost ~150-200 ms of CPU per period), the dispositions
    when they are few.
    """
    found = conn.exec_driver_sql(
        "SELECT EXISTS (SELECT 1 FROM dispositions d JOIN calls c ON c.id = d.call_id "
        f"WHERE {_calls_where(period, filters)})").scalar_one()
    return bool(found)


def unique_callers_pair(conn: Connection, period: Period, before: Period, filters: Filters
                        ) -> tuple[int, int]:
    """Unique identified callers of ``period`` and of ``before`` (just before it), in one pass.

    One walk over both periods' calls, grouped by caller, notes whether each caller called in
    either: the dashboard's tiles used to walk the caller index twice (30 days of a million
    calls: ~170 ms of CPU -> ~90 ms).
    """
    lo = zones.day_start(before.start, before.zone)
    mid = zones.day_start(period.start, period.zone)
    hi = zones.day_start(period.end + timedelta(days=1), period.zone)
    # Per caller, not per call: a caller called in the period when its last call did, and
    # before it when its first call did.
    with _walking_callers(conn, period, filters) as index:
        now, then = conn.exec_driver_sql(
            f"SELECT COALESCE(SUM(in_now), 0), COALESCE(SUM(in_before), 0) FROM (SELECT "
            f"CASE WHEN MAX(c.started_at) >= {mid} THEN 1 ELSE 0 END AS in_now, "
            f"CASE WHEN MIN(c.started_at) < {mid} THEN 1 ELSE 0 END AS in_before "
            f"FROM calls c{index} WHERE c.started_at >= {lo} AND c.started_at < {hi}"
            f"{_where_dims(filters, 'c.')} AND c.caller <> 'anonymous' GROUP BY c.caller) u"
            ).one()
    return int(now), int(then)


def _add_media(conn: Connection, period: Period, filters: Filters, by: str | None,
               groups: dict[Key, dict[str, int]]) -> None:
    """Media spend per group, where spend is kept at that grain (else 0, shown as n/a)."""
    for values in groups.values():
        values["media_micros"] = 0
    if not filters.spend_known or by in SPENDLESS_DIMS:
        return
    where = "day >= ? AND day <= ?"
    params: list[object] = [period.start.isoformat(), period.end.isoformat()]
    for col, v in filters.pairs():
        where += f" AND {col} = ?"
        params.append(v)
    if by is None:
        group = "NULL"
    elif by in DIM_COLUMNS:
        group = f"COALESCE({DIM_COLUMNS[by]}, 0)"
    else:
        group = "day"
    sql = (f"SELECT {group}, SUM(amount_micros) FROM media_spend WHERE {where} "
           f"GROUP BY 1")
    for g, amount in conn.exec_driver_sql(sql, tuple(params)):
        key: Key = zones.day_number(date.fromisoformat(g)) if group == "day" else _key(g, by)
        groups.setdefault(key, {**dict.fromkeys(KPI_MEASURE_COLUMNS, 0), "unique_callers": 0,
                                "media_micros": 0})["media_micros"] = int(amount or 0)


def _fold_days(groups: dict[Key, dict[str, int]], by: str) -> dict[Key, dict[str, int]]:
    """Fold day numbers into ISO weeks (their Monday) or months (their first day)."""
    out: dict[Key, dict[str, int]] = {}
    for key, values in sorted(groups.items(), key=lambda kv: int(kv[0] or 0)):
        day = zones.day_of(int(key or 0))
        start = day - timedelta(days=day.weekday()) if by == "week" else day.replace(day=1)
        target = out.setdefault(zones.day_number(start), dict.fromkeys(values, 0))
        for k, v in values.items():
            target[k] = target.get(k, 0) + v
    return out
