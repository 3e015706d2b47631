"""Keep the KPI rollups: measures per UTC hour (``kpi_hourly``) and per local day (``kpi_daily``).

Why two: a year is ~250k hourly rows per million calls, but ~16k daily ones; the daily table
answers every period, series and ranking in the zone it was built in, the hourly one answers
heatmaps and any other zone. Both are refreshed for the hours a write touched, inside that write:

    from ppcdesk.kpi.rollups import refresh_rollups
    with db.write() as conn:
        ...store or evaluate calls started in [since, until)...
        refresh_rollups(conn, since, until)

The refresh reaches 7 days further back than ``since`` (a new call decides whether its caller's
earlier calls were "resolved on the first call"). A refresh of one day costs a few ms; the whole
year of a million calls is rebuilt in a few seconds (``rebuild_rollups``).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

from sqlalchemy import Connection
from sqlalchemy.exc import DBAPIError

from ppcdesk.kpi import zones
from ppcdesk.kpi.catalog import (
    CALLER_INDEX,
    CALLER_PASS,
    FACT_COLUMNS,
    FACTS,
    FCR_WINDOW_S,
    MEASURES,
    OUTCOME_FLAGS,
    PASS_FACTS,
    yes,
)
from ppcdesk.storage.models import KPI_MEASURE_COLUMNS

DIMS = ("tracking_number_id", "campaign_id", "publisher_id", "buyer_id")
_MEASURE_LIST = ", ".join(KPI_MEASURE_COLUMNS)
_SUMS = ", ".join(f"SUM({m})" for m in KPI_MEASURE_COLUMNS)
# Temporary tables (CREATE TEMP TABLE on both back ends; the name alone finds them).
_CALLER_TABLE = "kpi_caller_pass"
_OUTCOME_TABLE = "kpi_outcome_pass"
WEEK_HOURS = 168
PASS_MIN_CALLS = 20_000  # below this, probes are as quick and need no temporary table
PASS_MIN_HOURS = 60 * 24  # a refresh shorter than this probes (it holds few of the calls)
ROLLUP_LOCK = 0x6B70_6964_6573_6B  # PostgreSQL advisory lock key of the rollups ("kpidesk")


_BILLS = yes("k.counterparty_kind = 'buyer' AND co.billable = 1")
_PAYS = yes("k.counterparty_kind = 'publisher' AND co.payable = 1")


def _outcomes(call_filter: str | None) -> str:
    """Each call's outcomes folded to one row (``call_filter``: SQL over calls ``c``; None: all).

    Over all calls the groups stream in the primary key's call order: no id list, no sort.
    """
    flags = ", ".join(f"MAX({yes(f'(co.flags & {bits}) <> 0')}) AS {name}"
                      for name, bits in OUTCOME_FLAGS.items())
    where = ("" if call_filter is None else
             f"WHERE co.call_id IN (SELECT c.id FROM calls c WHERE {call_filter}) ")
    return (
        "SELECT co.call_id, 1 AS evaluated, "
        f"MAX({_BILLS}) AS billable, MAX({_PAYS}) AS payable, "
        "SUM(CASE WHEN k.counterparty_kind = 'buyer' THEN co.revenue_micros ELSE 0 END) "
        "AS revenue_micros, "
        "SUM(CASE WHEN k.counterparty_kind = 'publisher' THEN co.payout_micros ELSE 0 END) "
        f"AS payout_micros, {flags} "
        f"FROM call_outcomes co JOIN contracts k ON k.id = co.contract_id {where}"
        "GROUP BY co.call_id")


def source_sql(groups: list[str], where: str, *, passes: bool = False) -> str:
    """Per-call measures summed by ``groups`` (SQL over the facts ``f``) for calls ``where``.

    ``where`` is SQL over calls ``c``. The per-call facts are materialised first, so each
    index probe (recording? called again?) runs once per call, not once per measure. The
    rollups are this grouped by hour and dimensions; the raw path (breakdown by state, tests,
    the benchmark's plain-SQL figure) groups it any other way. ``passes``: read the caller
    facts and the folded outcomes from the temporary tables ``make_passes`` filled (one pass
    over every call and outcome) instead of probing or listing per call.
    """
    columns = ", ".join(f"c.{col}" for col in FACT_COLUMNS)
    chosen = PASS_FACTS if passes else {}
    facts = ", ".join(f"{chosen.get(name, sql)} AS {name}" for name, sql in FACTS)
    outcome_rows = _OUTCOME_TABLE if passes else f"({_outcomes(where)})"
    join = f"LEFT JOIN {_CALLER_TABLE} w ON w.id = c.id " if passes else ""
    outcomes = ", ".join(f"o.{name}" for name in (
        "evaluated", "billable", "payable", "revenue_micros", "payout_micros", *OUTCOME_FLAGS))
    sums = ", ".join(f"SUM({m.sql}) AS {m.key}" for m in MEASURES)
    head = ", ".join([*groups, sums]) if groups else sums
    group_by = f" GROUP BY {', '.join(str(i + 1) for i in range(len(groups)))}" if groups else ""
    return (
        f"WITH f AS MATERIALIZED (SELECT {columns}, {facts}, {outcomes}, d.code, d.sale_micros "
        "FROM calls c "
        f"{join}LEFT JOIN {outcome_rows} o ON o.call_id = c.id "
        "LEFT JOIN dispositions d ON d.id = "
        "(SELECT MAX(y.id) FROM dispositions y WHERE y.call_id = c.id) "
        f"WHERE {where}) SELECT {head} FROM f{group_by}")


def _hourly_insert(lo_hour: int, hi_hour: int, *, passes: bool = False) -> str:
    groups = ["f.started_at / 3600", *(f"COALESCE(f.{d}, 0)" for d in DIMS)]
    where = f"c.started_at >= {lo_hour * 3600} AND c.started_at < {hi_hour * 3600}"
    return (f"INSERT INTO kpi_hourly (hour, {', '.join(DIMS)}, {_MEASURE_LIST}) "
            + source_sql(groups, where, passes=passes))


def _daily_insert(zone: str, lo_hour: int, hi_hour: int) -> str:
    day = f"({zones.local_seconds_sql(zone, lo_hour, hi_hour)} / 86400)"
    dims = ", ".join(DIMS)
    return (f"INSERT INTO kpi_daily (day, {dims}, {_MEASURE_LIST}) "
            f"SELECT {day}, {dims}, {_SUMS} FROM kpi_hourly "
            f"WHERE hour >= {lo_hour} AND hour < {hi_hour} GROUP BY 1, {dims}")


def rollup_zone(conn: Connection) -> str | None:
    """The zone ``kpi_daily`` counts days in; None when the rollups were never built."""
    zone: str | None = conn.exec_driver_sql("SELECT zone FROM kpi_state WHERE id = 1"
                                            ).scalar_one_or_none()
    return zone


def _default_zone(conn: Connection) -> str:
    found = rollup_zone(conn) or conn.exec_driver_sql(
        "SELECT timezone FROM workspace WHERE id = 1").scalar_one_or_none()
    return str(found or "UTC")


def _set_state(conn: Connection, zone: str) -> None:
    conn.exec_driver_sql(
        # "As of" the newest call update summed, not the wall clock: the same calls give the
        # same database (the demo's determinism), and code here never reads the time.
        "INSERT INTO kpi_state (id, zone, built_at) VALUES (1, ?, "
        "(SELECT COALESCE(MAX(updated_at), 0) FROM calls)) "
        "ON CONFLICT (id) DO UPDATE SET zone = excluded.zone, built_at = excluded.built_at",
        (zone,))


def refresh_rollups(conn: Connection, since: int, until: int, *, zone: str | None = None,
                    calls_added: bool = True) -> None:
    """Recompute the rollups for calls started in ``[since, until)`` (epoch seconds).

    Run it in the write that changed those calls (their legs, recordings, outcomes or
    dispositions). ``zone``: the days' zone (default: the one the rollups use, else the
    workspace's); a new zone rebuilds ``kpi_daily`` from ``kpi_hourly``. ``calls_added=False``
    when no call was added (a disposition, an adjustment, outcomes of known calls): then no
    earlier call's "called again within 7 days" can change, and only those hours are summed
    (one call's hour: a few ms instead of ~0.4 s of CPU for the 7 days before it).
    """
    for _ in refresh_steps(conn, since, until, zone=zone, calls_added=calls_added):
        pass


def _one_refresh_at_a_time(conn: Connection) -> None:
    """On PostgreSQL, wait for any other machine's rollup refresh to commit first; no JIT.

    A refresh deletes its hours' and days' rows and inserts them again. Two at once under
    READ COMMITTED (two reviewers disposing calls of the same day) would both delete the old
    rows, and the second's insert would then collide with the first's new rows. Held until
    this transaction ends; the next statements see what the other refresh committed. SQLite
    has one writer at a time already.

    JIT off: the per-call SQL is long and its estimated cost high, so PostgreSQL compiled it
    with full optimisation on every refresh: a week's refresh of a million-call workspace
    spent ~1.2-2.5 s of its ~2.3-4.5 s compiling (measured with EXPLAIN ANALYZE).
    """
    if conn.dialect.name == "postgresql":
        conn.exec_driver_sql(f"SELECT pg_advisory_xact_lock({ROLLUP_LOCK})")
        conn.exec_driver_sql("SET LOCAL jit = off")


def _done(conn: Connection) -> None:
    """Give the rest of the transaction back its JIT setting (not on error: it is aborted)."""
    if conn.dialect.name == "postgresql":
        conn.exec_driver_sql("SET LOCAL jit TO DEFAULT")


def refresh_steps(conn: Connection, since: int, until: int, *, zone: str | None = None,
                  calls_added: bool = True) -> Iterator[float]:
    """``refresh_rollups`` a week of hours at a time, yielding the fraction done (for a job)."""
    _one_refresh_at_a_time(conn)
    if rollup_zone(conn) is None:
        yield from rebuild_steps(conn, zone=zone)
        return
    zone = zone or _default_zone(conn)
    if zone != rollup_zone(conn):
        _rebuild_daily(conn, zone)
    lo = (since - (FCR_WINDOW_S if calls_added else 0)) // 3600
    hi = -(-until // 3600)
    conn.exec_driver_sql(f"DELETE FROM kpi_hourly WHERE hour >= {lo} AND hour < {hi}")
    yield from _fill_hourly(conn, lo, hi)
    # Every local day that holds one of those hours, whole.
    first = zones.local_day(lo * 3600, zone)
    last = zones.local_day(hi * 3600 - 1, zone)
    day_lo = zones.day_start_hour(first, zone)
    day_hi = -(-zones.day_start(last + timedelta(days=1), zone) // 3600)
    conn.exec_driver_sql(f"DELETE FROM kpi_daily WHERE day >= {zones.day_number(first)} "
                         f"AND day <= {zones.day_number(last)}")
    conn.exec_driver_sql(_daily_insert(zone, day_lo, day_hi))
    _set_state(conn, zone)
    _done(conn)


def rebuild_rollups(conn: Connection, *, zone: str | None = None) -> None:
    """Build both rollups from every call (a new database, a repair, ``ppcdesk kpi rebuild``)."""
    for _ in rebuild_steps(conn, zone=zone):
        pass


def rebuild_steps(conn: Connection, *, zone: str | None = None) -> Iterator[float]:
    """``rebuild_rollups`` a week of hours at a time, yielding the fraction done (for a job)."""
    _one_refresh_at_a_time(conn)
    zone = zone or _default_zone(conn)
    conn.exec_driver_sql("DELETE FROM kpi_hourly")
    # Apart, each reads one end of the index; together SQLite scans the table (0.2 s).
    lo = conn.exec_driver_sql("SELECT MIN(started_at) FROM calls").scalar()
    hi = conn.exec_driver_sql("SELECT MAX(started_at) FROM calls").scalar()
    if lo is not None and hi is not None:
        yield from _fill_hourly(conn, int(lo) // 3600, int(hi) // 3600 + 1)
    _rebuild_daily(conn, zone)
    _done(conn)


def _fill_hourly(conn: Connection, lo: int, hi: int) -> Iterator[float]:
    """Insert the ``kpi_hourly`` rows of hours ``[lo, hi)``, a week at a time.

    Why by week: each statement sorts a week's calls for its GROUP BY, a sort that fits the
    CPU's cache (a year at once: ~15% slower), and a job can report progress and be cancelled
    between weeks. Where the hours hold most of the calls, the caller facts come from one
    ordered pass over every call (``catalog.CALLER_PASS``) instead of two probes per call.
    """
    passes = False
    if hi - lo > PASS_MIN_HOURS:  # a sync's few days never need it: spare them two counts
        total, inside = conn.exec_driver_sql(
            "SELECT (SELECT COUNT(*) FROM calls), (SELECT COUNT(*) FROM calls WHERE "
            f"started_at >= {lo * 3600} AND started_at < {hi * 3600})").one()
        passes = 2 * int(inside) > int(total) > PASS_MIN_CALLS
    try:
        if passes:
            make_passes(conn)
        for start in range(lo, hi, WEEK_HOURS):
            conn.exec_driver_sql(_hourly_insert(start, min(start + WEEK_HOURS, hi),
                                                passes=passes))
            yield (start - lo) / (hi - lo)
    except DBAPIError:
        # PostgreSQL refuses every statement after an error until the rollback, which drops
        # the temporary tables with the rest; SQLite drops them here.
        if passes and conn.dialect.name != "postgresql":
            drop_passes(conn)
        raise
    except BaseException:  # a cancelled job (GeneratorExit): the transaction still works
        if passes:
            drop_passes(conn)
        raise
    if passes:
        drop_passes(conn)


def make_passes(conn: Connection) -> None:
    """Fill the caller facts and folded outcomes of every call, keyed by call id.

    Only the calls with a caller fact set are kept (a missing call reads as 0), and only the
    calls with outcomes. Both are written in id order: appends, no b-tree shuffling.
    """
    sqlite = conn.dialect.name == "sqlite"
    key = "INTEGER" if sqlite else "BIGINT"  # SQLite: the rowid itself, no second b-tree
    conn.exec_driver_sql(f"CREATE TEMP TABLE {_CALLER_TABLE} (id {key} PRIMARY KEY, "
                         "earlier INT, again INT)")
    index = CALLER_INDEX if sqlite else ""
    conn.exec_driver_sql(f"INSERT INTO {_CALLER_TABLE} SELECT * FROM "
                         f"({CALLER_PASS.format(index=index)}) p "
                         "WHERE earlier = 1 OR again = 1 ORDER BY id")
    columns = ", ".join([f"call_id {key} PRIMARY KEY",
                         *(f"{name} BIGINT" for name in ("evaluated", "billable", "payable",
                                                         "revenue_micros", "payout_micros",
                                                         *OUTCOME_FLAGS))])
    conn.exec_driver_sql(f"CREATE TEMP TABLE {_OUTCOME_TABLE} ({columns})")
    conn.exec_driver_sql(f"INSERT INTO {_OUTCOME_TABLE} {_outcomes(None)}")


def drop_passes(conn: Connection) -> None:
    """Drop ``make_passes``'s temporary tables."""
    conn.exec_driver_sql(f"DROP TABLE IF EXISTS {_CALLER_TABLE}")
    conn.exec_driver_sql(f"DROP TABLE IF EXISTS {_OUTCOME_TABLE}")


def _rebuild_daily(conn: Connection, zone: str) -> None:
    """Fold the hourly rollup into days of ``zone`` (a fraction of a second per year)."""
    conn.exec_driver_sql("DELETE FROM kpi_daily")
    lo = conn.exec_driver_sql("SELECT MIN(hour) FROM kpi_hourly").scalar()
    hi = conn.exec_driver_sql("SELECT MAX(hour) FROM kpi_hourly").scalar()
    if lo is not None and hi is not None:
        conn.exec_driver_sql(_daily_insert(zone, int(lo), int(hi) + 1))
    _set_state(conn, zone)
