"""Print how long the billing job takes on a stored workspace, beside a bare SQL query.

Usage: ``.venv/bin/python benchmarks/bench_billing.py --db /tmp/you/m.sqlite [--repeat 1]``
where the database comes from ``python -m ppcdesk --db /tmp/you/m.sqlite demo --calls 1000000``
(the demo's contracts, resources/demo/contracts.toml, or ``--contracts FILE``, are imported).

(a) ours, full: ``evaluate_job`` over every call and every contract, from empty outcomes:
    loading the CallFacts, the engine (history, rules, outcomes), reason sentences, the
    multi-row upserts, removing stale rows, commit (the WAL checkpoint after it runs on a
    helper thread, as in the app: waited for, and shown, before the next figure). Then the
    same again with nothing changed.
(b) the reference: one bare SQL query over the same calls that computes only the buffer flag
    (connected 90 s or more) and the 30-day duplicate flag (a ``LAG`` window per caller and
    campaign), summed so that no row leaves SQLite: the least SQL can do for two of the rules.
(c) the ratio (a) / (b) (the goal: within 3x).
(d) incremental: one new day of calls (the last day's, copied a day later) is stored, then
    ``evaluate_job(incremental=True)`` brings the outcomes up to date (goal: under 200 ms).
    The first one words its refusals from scratch: the wording kept between runs
    (``outcome_rows``) is dropped after a run as large as (a)'s.

A database made before the (contract, call, flags) index of revision 0003 lacks it (the
revision is already applied): rebuild it with the demo command, or the capped contracts'
earlier verdicts are read from the outcome rows and (d) is slower.

Each figure comes with this process's CPU seconds (the writer thread's included) and the
machine's load averages: on a shared machine the wall time alone says little about the code.

Everything runs on a copy of the database in a temporary folder, removed at the end.
"""

from __future__ import annotations

import argparse
import itertools
import os
import shutil
import statistics
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ppcdesk.billing import contract_import
from ppcdesk.billing.job import evaluate_job
from ppcdesk.config.paths import resources_dir
from ppcdesk.core.clock import FixedClock
from ppcdesk.core.progress import Progress, run_job
from ppcdesk.storage import ingest, migrate
from ppcdesk.storage.db import Database, raw_connect

REFERENCE_SQL = """
SELECT COUNT(*), SUM(connected_s >= 90), SUM(COALESCE(started_at - previous < 2592000, 0))
FROM (SELECT connected_s, started_at, LAG(started_at) OVER (
        PARTITION BY caller, campaign_id ORDER BY started_at) AS previous FROM calls)
"""
CLOCK = FixedClock(datetime(2030, 1, 1, tzinfo=UTC))


def timed(job: Any) -> tuple[float, Any, list[tuple[float, str]]]:
    """Run a job; return seconds, its result, and when each progress message came.

    The CPU seconds of this process meanwhile go to ``CPU`` (the machine may be shared: wall
    time alone says little about the code).
    """
    marks: list[tuple[float, str]] = []
    cpu = time.process_time()
    started = time.perf_counter()

    def mark(progress: Progress) -> None:
        marks.append((time.perf_counter() - started, progress.message))

    result = run_job(job, on_progress=mark)
    CPU.append(time.process_time() - cpu)
    return time.perf_counter() - started, result, marks


CPU: list[float] = []  # the CPU seconds of each timed run, in order


def load() -> str:
    """The machine's load averages (1, 5, 15 min): how shared the timings were."""
    return "load " + " ".join(f"{x:.2f}" for x in os.getloadavg())


def phases(marks: list[tuple[float, str]], total: float) -> str:
    steps = [*marks, (total, "end")]
    return ", ".join(f"{a[1]} {b[0] - a[0]:.2f}"
                     for a, b in itertools.pairwise(steps) if b[0] - a[0] >= 0.05)


def reference(path: Path) -> tuple[float, tuple[int, ...]]:
    conn = raw_connect(path)
    try:
        cpu = time.process_time()
        started = time.perf_counter()
        row = conn.execute(REFERENCE_SQL).fetchone()
        CPU.append(time.process_time() - cpu)
        return time.perf_counter() - started, tuple(row)
    finally:
        conn.close()


def add_a_day(db: Database) -> int:
    """Copy the newest day's calls a day later (new sids, written "now"); return how many."""
    with db.write() as conn:
        last = conn.exec_driver_sql("SELECT MAX(started_at) FROM calls").scalar_one()
        seen = conn.exec_driver_sql("SELECT MAX(updated_at) FROM calls").scalar_one()
        columns = ", ".join(ingest.CALL_COLUMNS)
        rows = [list(r) for r in conn.exec_driver_sql(
            f"SELECT {columns} FROM calls WHERE started_at > ?", (last - 86_400,))]
        at = {c: i for i, c in enumerate(ingest.CALL_COLUMNS)}
        for row in rows:
            row[at["sid"]] = row[at["sid"]] + "N"
            for column in ("started_at", "ended_at"):
                if row[at[column]] is not None:
                    row[at[column]] += 86_400
            row[at["updated_at"]] = seen + 60
        ingest.upsert_calls(conn, rows)
    return len(rows)


def run(source: Path, contracts_file: Path, repeat: int) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "bench.sqlite"
        shutil.copyfile(source, path)
        db = Database(path)
        migrate.upgrade(db)
        text = contracts_file.read_text(encoding="utf-8")
        run_job(contract_import.import_job(db, text, contracts_file.name, CLOCK,
                                           evaluate=False))
        with db.read() as conn:
            calls = conn.exec_driver_sql("SELECT COUNT(*) FROM calls").scalar_one()
            contracts = conn.exec_driver_sql("SELECT COUNT(*) FROM contracts").scalar_one()
        print(f"{calls:,} calls, {contracts} contracts ({source})")
        fulls, warms, refs = [], [], []
        full_cpu, ref_cpu = [], []
        for _ in range(repeat):
            with db.write() as conn:
                conn.exec_driver_sql("DELETE FROM call_outcomes")
                conn.exec_driver_sql("DELETE FROM contract_evaluations")
            seconds, changes, marks = timed(evaluate_job(db, CLOCK))
            fulls.append(seconds)
            full_cpu.append(CPU[-1])
            settling = time.perf_counter()
            db.settle()  # the WAL checkpoint it left to a helper thread: not in the next figure
            print(f"(a) full, from empty:    {seconds:6.2f} s (CPU {CPU[-1]:.2f} s)  "
                  f"{changes.counts['outcomes']:,} outcomes written  "
                  f"[{phases(marks, seconds)}]  then the checkpoint on a helper thread "
                  f"{time.perf_counter() - settling:.2f} s  {load()}")
            seconds, changes, _ = timed(evaluate_job(db, CLOCK))
            warms.append(seconds)
            print(f"    full, nothing moved: {seconds:6.2f} s (CPU {CPU[-1]:.2f} s)  "
                  f"{changes.counts['outcomes']:,} rows rewritten  {load()}")
            seconds, row = reference(path)
            refs.append(seconds)
            ref_cpu.append(CPU[-1])
            print(f"(b) bare SQL flags:      {seconds:6.2f} s (CPU {CPU[-1]:.2f} s)  "
                  f"{row[1]:,} past the buffer, {row[2]:,} repeats in 30 days  {load()}")
        full, warm, ref = (statistics.median(x) for x in (fulls, warms, refs))
        print(f"(c) full / bare SQL: {full / ref:.1f}x (goal: 3x); unchanged re-run "
              f"{warm / ref:.1f}x; CPU time "
              f"{statistics.median(full_cpu) / statistics.median(ref_cpu):.1f}x")
        incrementals, incremental_cpu = [], []
        for _ in range(repeat):
            added = add_a_day(db)
            seconds, changes, marks = timed(evaluate_job(db, CLOCK, incremental=True))
            incrementals.append(seconds)
            incremental_cpu.append(CPU[-1])
            print(f"(d) incremental, one new day ({added:,} calls): {seconds * 1000:6.0f} ms "
                  f"(CPU {CPU[-1] * 1000:.0f} ms), {changes.counts['outcomes']:,} outcomes "
                  f"written  [{phases(marks, seconds)}]  {load()}")
        print(f"    median {statistics.median(incrementals) * 1000:.0f} ms (goal: 200 ms), "
              f"CPU median {statistics.median(incremental_cpu) * 1000:.0f} ms")
        db.dispose()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", type=Path, required=True, help="a demo database to copy")
    parser.add_argument("--contracts", type=Path,
                        default=resources_dir() / "demo" / "contracts.toml",
                        help="the contracts to evaluate (default: the demo's)")
    parser.add_argument("--repeat", type=int, default=1)
    args = parser.parse_args(argv)
    run(args.db, args.contracts, args.repeat)


if __name__ == "__main__":
    main()
