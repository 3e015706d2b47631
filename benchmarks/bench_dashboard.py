"""The whole dashboard over a million calls: ppcdesk's rollups beside DuckDB, pandas, raw SQL.

    .venv/bin/python benchmarks/bench_dashboard.py [--db FILE] [--calls 1000000]

Makes the database with ``ppcdesk demo`` unless ``--db`` names one. Figures, each the best of
three runs in this process, for one year and for 30 days (the dashboard's default):

- ppcdesk: ``KpiService.dashboard`` (tiles now and before, unique callers, trend, both heatmaps,
  publisher ranking, duration histogram) over the rollups;
- plain SQL: the same measures computed from the calls table itself (no rollup);
- DuckDB: the same figures from the calls' rows, loaded into DuckDB first (its sqlite extension
  needs a download, so it cannot read the file here); only the queries are timed;
- pandas: what a user would do instead: read the calls CSV export, then compute them.

Also the time from a filter change to the repainted dashboard in the running app (offscreen),
beside the same queries run alone: tiles and charts first, then unique callers.
"""

from __future__ import annotations

import argparse
import csv
import os
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path
from typing import Any

ZONE = "America/New_York"
COLUMNS = ("started_at", "caller", "publisher_id", "buyer_id", "connected_s",
           "time_to_answer_s", "cost_micros", "legs_cost_micros", "campaign_id",
           "tracking_number_id")


def best(fn: Callable[[], Any], runs: int = 3) -> float:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return min(times)


def bounds(start: date, end: date) -> tuple[int, int]:
    from ppcdesk.kpi.zones import day_start

    return day_start(start, ZONE), day_start(end + timedelta(days=1), ZONE)


def duck_dashboard(con: Any, start: date, end: date) -> None:
    """The dashboard's figures from raw rows in DuckDB (tiles x2, trend, heatmap, ranking...)."""
    days = (end - start).days + 1
    for a, b in (bounds(start, end), bounds(start - timedelta(days=days), start - timedelta(1))):
        con.execute(
            "SELECT COUNT(*), SUM((buyer_id IS NOT NULL OR connected_s > 0)::INT),"
            " SUM(connected_s), SUM(COALESCE(cost_micros, 0) + COALESCE(legs_cost_micros, 0)),"
            " AVG(time_to_answer_s), COUNT(DISTINCT caller) FILTER (caller <> 'anonymous')"
            " FROM calls WHERE started_at >= ? AND started_at < ?", [a, b]).fetchall()
    a, b = bounds(start, end)
    local = f"timezone('{ZONE}', to_timestamp(started_at))"
    con.execute(f"SELECT date_trunc('week', {local}) w, COUNT(*) FROM calls WHERE started_at >= ?"
                " AND started_at < ? GROUP BY w", [a, b]).fetchall()
    con.execute(f"SELECT isodow({local}) d, hour({local}) h, COUNT(*),"
                " SUM((buyer_id IS NOT NULL OR connected_s > 0)::INT) FROM calls"
                " WHERE started_at >= ? AND started_at < ? GROUP BY d, h", [a, b]).fetchall()
    con.execute("SELECT publisher_id, COUNT(*), SUM(connected_s) FROM calls"
                " WHERE started_at >= ? AND started_at < ? GROUP BY 1", [a, b]).fetchall()
    con.execute("SELECT LEAST(connected_s // 15, 40) bin, COUNT(*) FROM calls"
                " WHERE started_at >= ? AND started_at < ? AND connected_s > 0 GROUP BY 1",
                [a, b]).fetchall()


def pandas_dashboard(csv_path: Path, start: date, end: date) -> None:
    import pandas as pd

    frame = pd.read_csv(csv_path)
    days = (end - start).days + 1
    for s, e in ((start, end), (start - timedelta(days=days), start - timedelta(days=1))):
        a, b = bounds(s, e)
        part = frame[(frame.started_at >= a) & (frame.started_at < b)]
        answered = part.buyer_id.notna() | (part.connected_s > 0)
        _ = (len(part), int(answered.sum()), int(part.connected_s.sum()),
             int(part.cost_micros.fillna(0).sum() + part.legs_cost_micros.fillna(0).sum()),
             part.time_to_answer_s.mean(), part.caller[part.caller != "anonymous"].nunique())
    a, b = bounds(start, end)
    part = frame[(frame.started_at >= a) & (frame.started_at < b)].copy()
    local = pd.to_datetime(part.started_at, unit="s", utc=True).dt.tz_convert(ZONE)
    part["answered"] = part.buyer_id.notna() | (part.connected_s > 0)
    monday = local.dt.normalize() - pd.to_timedelta(local.dt.day_of_week, unit="D")
    part.groupby(monday.dt.date).size()
    part.groupby([local.dt.day_of_week, local.dt.hour]).agg(n=("caller", "size"),
                                                         a=("answered", "sum"))
    part.groupby("publisher_id").agg(n=("caller", "size"), t=("connected_s", "sum"))
    (part.connected_s[part.connected_s > 0] // 15).clip(upper=40).value_counts()


def repaint_after_filter(db: Path) -> tuple[float, float, float, float]:
    """Choosing a publisher in the running app (offscreen), best of three: seconds until the
    tiles and charts are repainted, until unique callers are too, and the service's queries
    alone for the same filter (without, then with unique callers), on this thread."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from ppcdesk.app import bootstrap
    from ppcdesk.ui.main_window import MainWindow
    from ppcdesk.ui.pages.dashboard_page import DashboardPage
    from PySide6.QtCore import QSettings
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance() or QApplication([])
    home = Path(tempfile.mkdtemp())
    paths = bootstrap.setup(str(home))
    workspace = bootstrap.open_workspace(db, paths, purpose="bench")
    window = MainWindow(workspace.services, QSettings(str(home / "ui.ini"),
                        QSettings.Format.IniFormat), demo_db=paths.demo_db,
                        main_db=paths.default_db, log_file=paths.log_file)
    window.resize(1440, 900)
    window.show()
    page = window.pages["dashboard"]
    assert isinstance(page, DashboardPage)  # noqa: S101

    def wait(attr: str, count: int) -> None:
        while getattr(page, attr) < count:
            app.processEvents()
            time.sleep(0.001)

    wait("loads", 1)
    wait("unique_loads", 1)
    painted, counted, alone, alone_all = [], [], [], []
    kpi = workspace.services.kpi
    for i in range(1, 4):
        started = time.perf_counter()
        page.combos["publisher"].setCurrentIndex(i)
        wait("loads", 1 + i)
        page.repaint()  # paints synchronously: the figures are on screen
        painted.append(time.perf_counter() - started)
        wait("unique_loads", 1 + i)
        page.repaint()
        counted.append(time.perf_counter() - started)
        data = page.data
        assert data is not None  # noqa: S101
        alone.append(best(lambda d=data: kpi.dashboard(d.period, d.filters,  # type: ignore[misc]
                                                       unique=False), runs=1))
        alone_all.append(best(lambda d=data: kpi.dashboard(d.period, d.filters),  # type: ignore[misc]
                              runs=1))
    window.runner.shutdown()
    workspace.close()
    return min(painted), min(counted), min(alone), min(alone_all)


def rebuild_seconds(db: Any) -> tuple[float, float]:
    """Wall and CPU seconds of a whole rollup rebuild, in a transaction rolled back after."""
    from ppcdesk.kpi.rollups import rebuild_rollups

    with db.engine.connect() as conn:
        conn.rollback()
        conn.info["immediate"] = True
        with conn.begin() as transaction:
            wall, cpu = time.perf_counter(), time.process_time()
            rebuild_rollups(conn, zone=ZONE)
            wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
            transaction.rollback()
    return wall, cpu


def duck_hourly(con: Any) -> None:
    """The reference for a rebuild: DuckDB grouping the calls by hour and the four dimensions
    with a dozen sums (fewer measures than ours, no caller history, no outcomes)."""
    con.execute(
        "SELECT started_at // 3600 h, tracking_number_id, campaign_id, publisher_id, buyer_id,"
        " COUNT(*), SUM((buyer_id IS NOT NULL OR connected_s > 0)::INT), SUM(connected_s),"
        " SUM(COALESCE(cost_micros, 0) + COALESCE(legs_cost_micros, 0)),"
        " SUM(time_to_answer_s), SUM((connected_s < 60)::INT), SUM((connected_s < 90)::INT),"
        " SUM((connected_s < 120)::INT), SUM((caller = 'anonymous')::INT)"
        " FROM calls GROUP BY ALL").fetchall()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--db", type=Path)
    parser.add_argument("--calls", type=int, default=1_000_000)
    args = parser.parse_args()
    db_path: Path = args.db or Path(tempfile.mkdtemp()) / "bench.sqlite"
    if not db_path.exists():
        subprocess.run([sys.executable, "-m", "ppcdesk", "--db", str(db_path), "demo",
                        "--calls", str(args.calls)], check=True)
    import duckdb
    import pandas as pd
    from ppcdesk.core.clock import SystemClock
    from ppcdesk.kpi.queries import Filters, Period
    from ppcdesk.kpi.rollups import source_sql
    from ppcdesk.services.kpi_service import KpiService
    from ppcdesk.storage.db import Database

    db = Database(db_path)
    kpi = KpiService(db, None, SystemClock())  # type: ignore[arg-type]
    end = kpi.newest_day(ZONE)
    assert end is not None  # noqa: S101
    periods = {"one year": Period(end - timedelta(days=364), end, ZONE),
               "30 days": Period(end - timedelta(days=29), end, ZONE)}

    raw = sqlite3.connect(db_path)
    n = raw.execute("SELECT COUNT(*) FROM calls").fetchone()[0]
    rows = raw.execute(f"SELECT {', '.join(COLUMNS)} FROM calls").fetchall()
    csv_path = db_path.with_suffix(".calls.csv")
    with csv_path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(COLUMNS)
        writer.writerows(rows)
    duck = duckdb.connect()
    duck.register("frame", pd.DataFrame(rows, columns=list(COLUMNS)))
    duck.execute("CREATE TABLE calls AS SELECT * FROM frame")
    del rows

    print(f"{n:,} calls in {db_path} ({db_path.stat().st_size / 1e6:,.0f} MB)")
    print(f"{'period':<10} {'ppcdesk':>10} {'DuckDB':>10} {'pandas+CSV':>11} "
          f"{'raw SQL':>10}  ppcdesk/DuckDB")
    for name, period in periods.items():
        ours = best(lambda p=period: kpi.dashboard(p, Filters()))  # type: ignore[misc]
        duck_s = best(lambda p=period: duck_dashboard(duck, p.start, p.end))  # type: ignore[misc]
        panda_s = best(lambda p=period: pandas_dashboard(csv_path, p.start, p.end),  # type: ignore[misc]
                       runs=1)
        a, b = bounds(period.start, period.end)
        sql = source_sql(["f.started_at / 3600"], f"c.started_at >= {a} AND c.started_at < {b}")
        with db.read() as conn:
            plain = best(lambda c=conn, q=sql: c.exec_driver_sql(q).all(),  # type: ignore[misc]
                         runs=1)
        print(f"{name:<10} {ours * 1000:>8.0f}ms {duck_s * 1000:>8.0f}ms {panda_s * 1000:>9.0f}ms"
              f" {plain * 1000:>8.0f}ms  {ours / duck_s:>6.1f}x")
    rebuilds = [rebuild_seconds(db) for _ in range(2)]
    wall, cpu = min(rebuilds)
    duck_s = best(lambda: duck_hourly(duck))
    print(f"rollup rebuild, every call: {wall:.1f} s (CPU {cpu:.1f} s; runs "
          + ", ".join(f"{w:.1f}" for w, _ in rebuilds)
          + f" s) beside DuckDB grouping the same calls by hour x dimensions {duck_s:.2f} s")
    db.dispose()
    painted, counted, alone, alone_all = repaint_after_filter(db_path)
    print(f"filter change (a publisher, 30 days, offscreen app): tiles and charts repainted "
          f"{painted * 1000:.0f} ms (their queries alone {alone * 1000:.0f} ms); unique callers "
          f"too {counted * 1000:.0f} ms (the whole dashboard's queries alone "
          f"{alone_all * 1000:.0f} ms)")


if __name__ == "__main__":
    main()
