"""Print how fast ``ppcdesk demo`` generates and stores calls, beside plain ``executemany``.

Usage: ``.venv/bin/python benchmarks/bench_demo.py [--calls 1000000] [--seed 7] [--repeat 1]``

(a) ours: ``write_demo`` on a new, migrated database, as ``ppcdesk demo`` runs it: numpy
    generation, row building, the ingest upserts, index rebuild, ANALYZE, commit. Calls per
    second, and rows per second counting the forwarded legs and recordings too.
(b) the reference: the very same rows (read back from (a), so identical), as pre-built tuples,
    stored with plain ``sqlite3`` ``executemany`` of an ``INSERT`` per table, in one
    transaction, into a new database with the same schema and indexes, with the app's
    pragmas (WAL, foreign keys on) and the bulk page cache. Generation is not counted here,
    and ppcdesk's adapter that binds None faster (storage.ingest) is off: plain sqlite3.
(c) the ratio of (a) to (b), in calls per second.

Everything happens in a temporary folder that is removed at the end. The figures vary with the
machine and its load: run it on a quiet machine, and use ``--repeat`` for a median.
"""

from __future__ import annotations

import argparse
import sqlite3
import statistics
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from ppcdesk.core.progress import Progress, run_job
from ppcdesk.demo.job import write_demo
from ppcdesk.storage import ingest, migrate
from ppcdesk.storage.db import BULK_CACHE_KIB, Database, raw_connect

# Parents the call tables point at: copied into the reference before its clock starts.
CAST_TABLES = ("workspace", "campaigns", "publishers", "buyers", "buyer_destinations",
               "tracking_numbers")
CALL_TABLES = (("calls", ingest.CALL_COLUMNS), ("call_legs", ingest.LEG_COLUMNS),
               ("recordings", ingest.RECORDING_COLUMNS))


@dataclass(frozen=True)
class Run:
    seconds: float
    calls: int
    rows: int  # calls + legs + recordings
    stored_s: float = 0.0  # of seconds: until the calls (and their reviews) were saved
    reviews: int = 0  # dispositions + notes + review marks, stored with the calls

    @property
    def calls_per_s(self) -> float:
        return self.calls / self.seconds

    @property
    def rows_per_s(self) -> float:
        return self.rows / self.seconds


def new_database(path: Path) -> None:
    db = Database(path)
    migrate.upgrade(db)
    db.dispose()


def ours(path: Path, calls: int, seed: int, end: date) -> Run:
    new_database(path)  # as the CLI does before the job starts; not timed
    db = Database(path)
    saved: list[float] = []

    def note(progress: Progress) -> None:
        if progress.message == "Saving" and not saved:  # the contracts' evaluation is next
            saved.append(time.perf_counter())

    started = time.perf_counter()
    changes = run_job(write_demo(db, calls=calls, seed=seed, end=end), on_progress=note)
    seconds = time.perf_counter() - started
    db.dispose()
    counts = changes.counts
    reviews = sum(counts.get(k, 0) for k in ("dispositions", "notes", "reviews"))
    return Run(seconds, counts["calls"], counts["calls"] + counts["legs"] + counts["recordings"],
               (saved[0] if saved else started) - started, reviews)


def read_rows(path: Path) -> tuple[dict[str, list[Any]], dict[str, list[tuple[Any, ...]]]]:
    """The cast rows and the call tables' rows of ``path``, as tuples in id order."""
    conn = sqlite3.connect(path)
    try:
        cast = {t: conn.execute(f"SELECT * FROM {t} ORDER BY rowid").fetchall()
                for t in CAST_TABLES}
        calls = {t: conn.execute(f"SELECT {', '.join(cols)} FROM {t} ORDER BY id").fetchall()
                 for t, cols in CALL_TABLES}
    finally:
        conn.close()
    return cast, calls


def reference(path: Path, cast: dict[str, list[Any]],
              calls: dict[str, list[tuple[Any, ...]]]) -> Run:
    new_database(path)
    conn = raw_connect(path)
    none_adapter = sqlite3.adapters.pop((type(None), sqlite3.PrepareProtocol), None)
    try:
        conn.execute(f"PRAGMA cache_size=-{BULK_CACHE_KIB}")
        conn.execute("BEGIN")
        for table, rows in cast.items():
            if rows:
                conn.executemany(f"INSERT INTO {table} VALUES "
                                 f"({', '.join('?' for _ in rows[0])})", rows)
        conn.execute("COMMIT")
        started = time.perf_counter()
        conn.execute("BEGIN")
        for table, columns in CALL_TABLES:
            conn.executemany(f"INSERT INTO {table} ({', '.join(columns)}) VALUES "
                             f"({', '.join('?' for _ in columns)})", calls[table])
        conn.execute("COMMIT")
        seconds = time.perf_counter() - started
    finally:
        conn.close()
        if none_adapter is not None:
            sqlite3.register_adapter(type(None), none_adapter)
    return Run(seconds, len(calls["calls"]), sum(len(rows) for rows in calls.values()))


def median(runs: Sequence[Run]) -> Run:
    return sorted(runs, key=lambda r: r.seconds)[len(runs) // 2]


def line(label: str, what: str, run: Run) -> str:
    return (f"  {label:<10} {what:<24} {run.seconds:7.2f} s  {run.calls_per_s:>10,.0f} calls/s"
            f"  {run.rows_per_s:>10,.0f} rows/s")


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--end", type=date.fromisoformat, default=date(2026, 11, 20))
    parser.add_argument("--repeat", type=int, default=1, help="runs of each; medians shown")
    args = parser.parse_args(argv)
    mine: list[Run] = []
    theirs: list[Run] = []
    with tempfile.TemporaryDirectory(prefix="ppcdesk-bench-") as folder:
        tmp = Path(folder)
        rows: tuple[dict[str, list[Any]], dict[str, list[tuple[Any, ...]]]] | None = None
        for i in range(args.repeat):  # alternated, so a machine that slows down hits both
            mine.append(ours(tmp / f"ours-{i}.sqlite", args.calls, args.seed, args.end))
            if rows is None:
                rows = read_rows(tmp / f"ours-{i}.sqlite")
            theirs.append(reference(tmp / f"reference-{i}.sqlite", *rows))
            for old in tmp.iterdir():  # ~650 MB each for 1M calls
                old.unlink()
    a, b = median(mine), median(theirs)
    print(f"ppcdesk demo, {a.calls:,} calls ({a.rows:,} rows with forwarded legs and "
          f"recordings), seed {args.seed}, SQLite {sqlite3.sqlite_version}"
          + (f", median of {args.repeat}" if args.repeat > 1 else ""))
    print(line("ours", "generate + store", a))
    print(f"  {'':<10} {'of which calls stored':<24} {a.stored_s:7.2f} s  (with {a.reviews:,} "
          f"review rows); contracts and KPI rollups {a.seconds - a.stored_s:.2f} s")
    print(line("reference", "executemany only", b))
    print(f"  {'ratio':<10} {'ours / reference':<24} {a.calls_per_s / b.calls_per_s:7.2f}x")
    if args.repeat > 1:
        print("  runs (s): ours " + ", ".join(f"{r.seconds:.2f}" for r in mine)
              + "; reference " + ", ".join(f"{r.seconds:.2f}" for r in theirs)
              + f"; ours' spread {statistics.pstdev(r.seconds for r in mine):.2f} s")


if __name__ == "__main__":
    main()
