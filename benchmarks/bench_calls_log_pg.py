"""The call log's reads (ReviewService) on PostgreSQL beside SQLite: the same calls, one run.

    .venv/bin/python benchmarks/bench_calls_log_pg.py [--calls 200000] [--db FILE] [--repeat 5]

Writes a demo workspace to SQLite (unless ``--db`` names one), starts a throwaway PostgreSQL
server (tests/pg_server.py: loopback, a temporary data folder), copies the workspace into it
as ``ppcdesk workspace copy`` does, VACUUM ANALYZE (autovacuum's statistics and visibility
map), then times on each back end, median of ``--repeat``, wall time of the service call:

- the first 500-row block (newest first), the last block (read backwards from the end), a
  block in the middle after a key, and the blocks sorted by campaign, caller state and cost;
- one campaign's calls with a recording: its first block, and its count;
- the whole count; a call's detail (with its review state: what an edit is based on);
- a disposition written with its review check (the row lock on PostgreSQL): each run
  disposes another call of the benchmark's own copies (``--db`` is copied first).

The calls page's goal is each block under 100 ms. PostgreSQL runs in another process over
loopback, so every query pays a round trip that SQLite's in-process calls do not.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def median_ms(fn: Callable[[], Any], repeat: int) -> float:
    fn()  # warm: the first read of a table pays for the cache
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return statistics.median(times) * 1000


def cases(app: Any) -> dict[str, Callable[[], Any]]:
    from ppcdesk.core.model import DispositionCode
    from ppcdesk.core.progress import run_job
    from ppcdesk.services.review_service import CallFilter, CallSort, ShownReview

    review = app.review
    everything = CallFilter()
    first = review.block(everything, CallSort(), limit=500)
    middle = review.key_at(everything, CallSort(), review.count(everything) // 2)
    with app.db.read() as conn:
        campaign = conn.exec_driver_sql("SELECT min(id) FROM campaigns").scalar()
    one = CallFilter(campaign_id=campaign, has_recording=True)
    ids = iter([row.call.id for row in first])

    def dispose() -> None:
        call_id = next(ids)
        shown = ShownReview(review.review_state(call_id))
        run_job(review.dispose_job(call_id, DispositionCode.FOLLOW_UP, author="bench",
                                   shown=shown))

    return {
        "first block (500, newest first)": lambda: review.block(everything, CallSort()),
        "last block (from the end)": lambda: review.block(everything, CallSort(),
                                                          from_end=True),
        "block after a key mid-log": lambda: review.block(everything, CallSort(),
                                                          after=middle),
        "first block by campaign": lambda: review.block(everything, CallSort("campaign")),
        "first block by state": lambda: review.block(everything, CallSort("state")),
        "first block by cost": lambda: review.block(everything, CallSort("cost")),
        "campaign + recording: block": lambda: review.block(one, CallSort()),
        "campaign + recording: count": lambda: review.count(one),
        "count of every call": lambda: review.count(everything),
        "a call's detail": lambda: review.detail(first[7].call.id),
        "a disposition, checked": dispose,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=200_000)
    parser.add_argument("--db", type=Path, help="an existing SQLite workspace")
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()

    from ppcdesk.config import paths as paths_mod
    from ppcdesk.core.clock import FixedClock
    from ppcdesk.core.progress import run_job
    from ppcdesk.services.app_services import AppServices
    from ppcdesk.services.review_service import CallFilter
    from ppcdesk.storage import migrate
    from ppcdesk.storage.copy import copy_job
    from ppcdesk.storage.db import Database
    from tests.pg_server import TempServer, find_bindir

    folder = Path(tempfile.mkdtemp(prefix="bench-calls-log-"))
    source = folder / "demo.sqlite"
    if args.db is not None:  # a copy: the dispositions below must not land in the user's file
        shutil.copyfile(args.db, source)
    else:
        print(f"writing a {args.calls:,}-call demo to {source} ...", flush=True)
        subprocess.run([sys.executable, "-m", "ppcdesk", "--home", str(folder / "home"),
                        "--db", str(source), "demo", "--calls", str(args.calls)], check=True,
                       stdout=subprocess.DEVNULL)
    bindir = find_bindir()
    if bindir is None:
        raise SystemExit("no PostgreSQL binaries (Debian: apt-get install postgresql)")
    server = TempServer(bindir)
    server.start()
    try:
        lite, pg = Database(source), Database(server.create_database())
        migrate.upgrade(pg)
        started = time.perf_counter()
        report = run_job(copy_job(lite, pg))
        if not report.committed:
            raise SystemExit(f"the copy differs in {', '.join(report.mismatched)}")
        with pg.engine.connect() as conn:
            conn.execution_options(isolation_level="AUTOCOMMIT").exec_driver_sql(
                "VACUUM ANALYZE")
        print(f"copied to PostgreSQL and analysed in {time.perf_counter() - started:.1f} s")
        paths = paths_mod.resolve(folder / "home").ensure()
        clock = FixedClock(datetime(2026, 11, 21, 15, tzinfo=UTC))
        apps = {name: AppServices(db, paths, clock) for name, db in
                (("SQLite", lite), ("PostgreSQL", pg))}
        figures = {name: {what: median_ms(fn, args.repeat) for what, fn in cases(app).items()}
                   for name, app in apps.items()}
        calls = apps["SQLite"].review.count(CallFilter())
        print(f"\ncall log on {calls:,} calls, median of {args.repeat} (ms)")
        print(f"{'':36}{'SQLite':>10}{'PostgreSQL':>12}")
        for what in figures["SQLite"]:
            print(f"{what:36}{figures['SQLite'][what]:10.1f}"
                  f"{figures['PostgreSQL'][what]:12.1f}")
        for db in (lite, pg):
            db.dispose()
    finally:
        server.stop()
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
