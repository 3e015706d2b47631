"""The dashboard's query set on PostgreSQL beside SQLite: the same calls, the same run.

    .venv/bin/python benchmarks/bench_dashboard_pg.py [--db FILE] [--calls 1000000] [--rebuild]
        [--pg-url URL]

Makes the SQLite workspace with ``ppcdesk demo`` unless ``--db`` names one. Starts a throwaway
PostgreSQL server (tests/pg_server.py: Debian's binaries, loopback only, durability off, 128 MB
of shared buffers), copies the workspace into it with ``ppcdesk.storage.copy`` (what
``ppcdesk workspace copy`` runs: every table, checksums compared), then VACUUM ANALYZE (what
autovacuum does on a live server: statistics for the planner, and the visibility map that
index-only scans need). Then, best of three, on each back end:

- ``KpiService.dashboard`` over one year and over 30 days (the dashboard's default): tiles now
  and before, unique callers, trend, heatmap, publisher ranking, histogram, buffer;
- each query of that set alone, to see where a difference comes from;
- with ``--rebuild``: a whole rollup rebuild from every call (rolled back).

``--pg-url`` names a PostgreSQL database already holding the copy (no server started, no copy:
for looking at one query again and again); the server's CPU is then not counted.

Wall time, and CPU: this process's, plus on PostgreSQL the server processes' (read from /proc),
since there the work happens in another process. The load average is printed before and
after: the machine may be shared.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
ZONE = "America/New_York"


@dataclass(frozen=True, slots=True)
class Timing:
    wall: float
    cpu: float  # this process and, on PostgreSQL, the server's processes


class ServerCpu:
    """CPU seconds used so far by a PostgreSQL server's processes (postmaster and children)."""

    def __init__(self, data_dir: Path | None) -> None:
        self.pid = 0
        if data_dir is not None:
            self.pid = int((data_dir / "postmaster.pid").read_text().split()[0])
        self.tick = os.sysconf("SC_CLK_TCK")

    def seconds(self) -> float:
        if not self.pid:
            return 0.0
        total = 0
        for entry in os.scandir("/proc"):
            if not entry.name.isdigit():
                continue
            try:
                stat = Path(entry.path, "stat").read_text()
            except OSError:  # gone meanwhile
                continue
            fields = stat.rsplit(")", 1)[1].split()  # after "(comm)": state, ppid, ...
            if int(entry.name) == self.pid or int(fields[1]) == self.pid:
                total += int(fields[11]) + int(fields[12])  # utime, stime
        return total / self.tick


def best(fn: Callable[[], Any], server: ServerCpu, runs: int = 3) -> Timing:
    timings = []
    for _ in range(runs):
        wall, cpu, srv = time.perf_counter(), time.process_time(), server.seconds()
        fn()
        timings.append(Timing(time.perf_counter() - wall,
                              time.process_time() - cpu + server.seconds() - srv))
    return min(timings, key=lambda t: t.wall)


def load() -> str:
    return "load average " + ", ".join(f"{v:.2f}" for v in os.getloadavg())


@contextmanager
def postgresql(url: str | None) -> Iterator[Any]:
    """A new database on a throwaway server (or ``url``, already filled); yields
    (Database, ServerCpu, whether it still needs the copy)."""
    from ppcdesk.storage import migrate
    from ppcdesk.storage.db import Database

    if url is not None:
        db = Database(url)
        yield db, ServerCpu(None), False
        db.dispose()
        return
    sys.path.insert(0, str(ROOT))
    from tests.pg_server import TempServer, find_bindir

    bindir = find_bindir()
    if bindir is None:
        raise SystemExit("no PostgreSQL binaries (Debian: apt-get install postgresql)")
    server = TempServer(bindir)
    try:
        server.start()
        db = Database(server.create_database())
        migrate.upgrade(db)
        yield db, ServerCpu(server.data), True
        db.dispose()
    finally:
        server.stop()


def copy_into(source: Any, destination: Any) -> float:
    """Copy the workspace as ``ppcdesk workspace copy`` does; then VACUUM ANALYZE. Seconds."""
    from ppcdesk.core.progress import run_job
    from ppcdesk.storage.copy import copy_job

    started = time.perf_counter()
    report = run_job(copy_job(source, destination))
    if not report.committed:
        raise SystemExit(f"the copy differs in {', '.join(report.mismatched)}")
    with destination.engine.connect() as conn:
        conn.execution_options(isolation_level="AUTOCOMMIT").exec_driver_sql("VACUUM ANALYZE")
    return time.perf_counter() - started


def query_set(kpi: Any, period: Any) -> dict[str, Callable[[], Any]]:
    """The dashboard's queries one by one (as ``KpiService.dashboard`` runs them), on one
    read transaction each."""
    from ppcdesk.kpi import queries
    from ppcdesk.kpi.queries import Filters
    from ppcdesk.services.kpi_service import _buffer

    none = Filters()
    before = period.previous()

    def read(fn: Callable[[Any], Any]) -> Callable[[], Any]:
        def run() -> Any:
            with kpi.db.read() as conn:
                return fn(conn)
        return run

    return {
        "tiles (now + before)": read(lambda c: (queries.sums(c, period, none, unique=False),
                                                queries.sums(c, before, none, unique=False))),
        "unique callers": read(lambda c: queries.unique_callers_pair(c, period, before, none)),
        "trend": read(lambda c: queries.sums(
            c, period, none, "day" if period.days <= 92 else "week", unique=False,
            only=("calls", "billable", "revenue_micros"))),
        "heatmap": read(lambda c: queries.sums(c, period, none, "hour_of_week", unique=False,
                                               only=("calls", "answered"))),
        "publishers": read(lambda c: queries.sums(
            c, period, none, "publisher", unique=False,
            only=("calls", "evaluated", "conversions", "revenue_micros", "talk_s"))),
        "dispositions?": read(lambda c: (queries.has_dispositions(c, period, none),
                                         queries.has_dispositions(c, before, none))),
        "buffer": read(lambda c: _buffer(c, none)),
    }


def rebuild(db: Any) -> float:
    """Wall seconds of a whole rollup rebuild, in a transaction rolled back after."""
    from ppcdesk.kpi.rollups import rebuild_rollups

    with db.engine.connect() as conn:
        conn.rollback()
        if db.dialect == "sqlite":
            conn.info["immediate"] = True
        with conn.begin() as transaction:
            started = time.perf_counter()
            rebuild_rollups(conn, zone=ZONE)
            seconds = time.perf_counter() - started
            transaction.rollback()
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--db", type=Path)
    parser.add_argument("--calls", type=int, default=1_000_000)
    parser.add_argument("--rebuild", action="store_true", help="also time a rollup rebuild")
    parser.add_argument("--pg-url", help="a PostgreSQL database already holding the copy")
    args = parser.parse_args()
    db_path: Path = args.db or Path(tempfile.mkdtemp()) / "bench.sqlite"
    if not db_path.exists():
        subprocess.run([sys.executable, "-m", "ppcdesk", "--db", str(db_path), "demo",
                        "--calls", str(args.calls)], check=True)
    from ppcdesk.core.clock import SystemClock
    from ppcdesk.kpi.queries import Filters, Period
    from ppcdesk.services.kpi_service import KpiService
    from ppcdesk.storage.db import Database

    print(load())
    with postgresql(args.pg_url) as (pg, server_cpu, empty):
        lite = Database(db_path)
        copied = copy_into(lite, pg) if empty else 0.0
        with pg.read() as conn:
            calls = int(conn.exec_driver_sql("SELECT COUNT(*) FROM calls").scalar_one())
            version = conn.exec_driver_sql("SHOW server_version").scalar_one()
        if empty:
            print(f"{calls:,} calls copied from {db_path} into PostgreSQL {version} with "
                  f"their checksums compared, then VACUUM ANALYZE: {copied:.0f} s")
        else:
            print(f"{calls:,} calls in {pg.display} (PostgreSQL {version}) beside {db_path}")
        backends = {"SQLite": (lite, ServerCpu(None)), "PostgreSQL": (pg, server_cpu)}
        services = {name: KpiService(db, None, SystemClock())  # type: ignore[arg-type]
                    for name, (db, _) in backends.items()}
        end = services["SQLite"].newest_day(ZONE)
        assert end is not None  # noqa: S101
        periods = {"one year": Period(end - timedelta(days=364), end, ZONE),
                   "30 days": Period(end - timedelta(days=29), end, ZONE)}
        same = all(services["SQLite"].dashboard(p) == services["PostgreSQL"].dashboard(p)
                   for p in periods.values())
        print(f"the dashboard's figures are {'the same' if same else 'DIFFERENT'} on both")

        print(f"\n{'dashboard':<32} {'SQLite wall/CPU':>17} {'PostgreSQL wall/CPU':>21}  PG/SQLite")
        rows: list[tuple[str, dict[str, Callable[[], Any]]]] = [
            (name, {b: (lambda s=s, p=p: s.dashboard(p, Filters()))  # type: ignore[misc]
                    for b, s in services.items()})
            for name, p in periods.items()]
        for name, p in periods.items():
            sets = {b: query_set(s, p) for b, s in services.items()}
            rows += [(f"  {name}: {q}", {b: sets[b][q] for b in services})
                     for q in sets["SQLite"]]
        for name, fns in rows:
            lite_t, pg_t = (best(fns[b], backends[b][1]) for b in ("SQLite", "PostgreSQL"))
            print(f"{name:<32} {lite_t.wall * 1000:>7.0f} /{lite_t.cpu * 1000:>5.0f} ms "
                  f"{pg_t.wall * 1000:>9.0f} /{pg_t.cpu * 1000:>5.0f} ms  "
                  f"{pg_t.wall / lite_t.wall:>6.2f}x")
        if args.rebuild:
            lite_s, pg_s = rebuild(lite), rebuild(pg)
            print(f"\nrollup rebuild, every call: SQLite {lite_s:.1f} s, PostgreSQL {pg_s:.1f} s "
                  f"({pg_s / lite_s:.2f}x)")
        lite.dispose()
    print(load())


if __name__ == "__main__":
    main()
