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

from datetime import timedelta

from sqlalchemy import Connection

from ppcdesk.kpi import zones
from ppcdesk.kpi.catalog import FACT_COLUMNS, FACTS, FCR_WINDOW_S, MEASURES, OUTCOME_FLAGS
from ppcdesk.storage.models import KPI_MEASURE_COLUMNS

DIMS = ("tracking_number_id", "campaign_id", "publisher_id", "buyer_id")
_MEASURE_LIST = ", ".join(KPI_MEASURE_COLUMNS)
_SUMS = ", ".join(f"SUM({m})" for m in KPI_MEASURE_COLUMNS)


def _outcomes(call_filter: str) -> str:
    flags = ", ".join(f"MAX((co.flags & {bits}) <> 0) AS {name}"
                      for name, bits in OUTCOME_FLAGS.items())
    return (
        "SELECT co.call_id, 1 AS evaluated, "
        "MAX(k.counterparty_kind = 'buyer' AND co.billable) AS billable, "
        "MAX(k.counterparty_kind = 'publisher' AND co.payable) AS payable, "
        "SUM(CASE WHEN k.counterparty_kind = 'buyer' THEN co.revenue_micros ELSE 0 END) "
        "AS revenue_micros, "
        "SUM(CASE WHEN k.counterparty_kind = 'publisher' THEN co.payout_micros ELSE 0 END) "
        f"AS payout_micros, {flags} "
        "FROM call_outcomes co JOIN contracts k ON k.id = co.contract_id "
        f"WHERE co.call_id IN (SELECT c.id FROM calls c WHERE {call_filter}) "
        "GROUP BY co.call_id")


def source_sql(groups: list[str], where: str) -> str:
    """Per-call measures summed by ``groups`` (SQL over the facts ``f``) for calls ``where``.

    ``where`` is SQL over calls ``c``. The per-call facts are materialised first, so each
    index probe (recording? called again?) runs once per call, not once per measure. The
    rollups are this grouped by hour and dimensions; the raw path (breakdown by state, tests,
    the benchmark's plain-SQL figure) groups it any other way.
    """
    columns = ", ".join(f"c.{col}" for col in FACT_COLUMNS)
    facts = ", ".join(f"{sql} AS {name}" for name, sql in FACTS)
    outcomes = ", ".join(f"o.{name}" for name in (
        "evaluated", "billable", "payable", "revenue_micros", "payout_micros", *OUTCOME_FLAGS))
    sums = ", ".join(f"SUM({m.sql}) AS {m.key}" for m in MEASURES)
    head = ", ".join([*groups, sums]) if groups else sums
    group_by = f" GROUP BY {', '.join(str(i + 1) for i in range(len(groups)))}" if groups else ""
    return (
        f"WITH f AS MATERIALIZED (SELECT {columns}, {facts}, {outcomes}, d.code, d.sale_micros "
        "FROM calls c "
        f"LEFT JOIN ({_outcomes(where)}) o ON o.call_id = c.id "
        "LEFT JOIN dispositions d ON d.id = "
        "(SELECT MAX(y.id) FROM dispositions y WHERE y.call_id = c.id) "
        f"WHERE {where}) SELECT {head} FROM f{group_by}")


def _hourly_insert(lo_hour: int, hi_hour: int) -> str:
    groups = ["f.started_at / 3600", *(f"COALESCE(f.{d}, 0)" for d in DIMS)]
    where = f"c.started_at >= {lo_hour * 3600} AND c.started_at < {hi_hour * 3600}"
    return (f"INSERT INTO kpi_hourly (hour, {', '.join(DIMS)}, {_MEASURE_LIST}) "
            + source_sql(groups, where))


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
        "INSERT INTO kpi_state (id, zone, built_at) VALUES (1, ?, CAST(strftime('%s') AS INT)) "
        "ON CONFLICT (id) DO UPDATE SET zone = excluded.zone, built_at = excluded.built_at",
        (zone,))


def refresh_rollups(conn: Connection, since: int, until: int, *, zone: str | None = None
                    ) -> None:
    """Recompute the rollups for calls started in ``[since, until)`` (epoch seconds).

    Run it in the write that changed those calls (their legs, recordings, outcomes or
    dispositions). ``zone``: the days' zone (default: the one the rollups use, else the
    workspace's); a new zone rebuilds ``kpi_daily`` from ``kpi_hourly``.
    """
    if rollup_zone(conn) is None:
        rebuild_rollups(conn, zone=zone)
        return
    zone = zone or _default_zone(conn)
    if zone != rollup_zone(conn):
        _rebuild_daily(conn, zone)
    lo = (since - FCR_WINDOW_S) // 3600
    hi = -(-until // 3600)
    conn.exec_driver_sql(f"DELETE FROM kpi_hourly WHERE hour >= {lo} AND hour < {hi}")
    conn.exec_driver_sql(_hourly_insert(lo, hi))
    # Every local day that holds one of those hours, whole.
    first = zones.local_day(lo * 3600, zone)
    last = zones.local_day(hi * 3600 - 1, zone)
    day_lo = zones.day_start_hour(first, zone)
    day_hi = -(-zones.day_start(last + timedelta(days=1), zone) // 3600)
    conn.exec_driver_sql(f"DELETE FROM kpi_daily WHERE day >= {zones.day_number(first)} "
                         f"AND day <= {zones.day_number(last)}")
    conn.exec_driver_sql(_daily_insert(zone, day_lo, day_hi))
    _set_state(conn, zone)


def rebuild_rollups(conn: Connection, *, zone: str | None = None) -> None:
    """Build both rollups from every call (a new database, a repair, ``ppcdesk kpi rebuild``)."""
    zone = zone or _default_zone(conn)
    conn.exec_driver_sql("DELETE FROM kpi_hourly")
    lo, hi = conn.exec_driver_sql("SELECT MIN(started_at), MAX(started_at) FROM calls").one()
    if lo is not None:
        conn.exec_driver_sql(_hourly_insert(int(lo) // 3600, int(hi) // 3600 + 1))
    _rebuild_daily(conn, zone)


def _rebuild_daily(conn: Connection, zone: str) -> None:
    """Fold the hourly rollup into days of ``zone`` (a fraction of a second per year)."""
    conn.exec_driver_sql("DELETE FROM kpi_daily")
    lo, hi = conn.exec_driver_sql("SELECT MIN(hour), MAX(hour) FROM kpi_hourly").one()
    if lo is not None:
        conn.exec_driver_sql(_daily_insert(zone, int(lo), int(hi) + 1))
    _set_state(conn, zone)
