"""Print how fast ``ppcdesk workspace copy`` moves a demo workspace, and how much memory it takes.

Usage: ``.venv/bin/python benchmarks/bench_workspace_copy.py [--calls 100000] [--demo FILE]``

Needs Debian's PostgreSQL binaries: a throwaway server is started on loopback (tests/pg_server).

(a) ours, SQLite -> PostgreSQL: ``copy_job`` as the command runs it (every table in one
    transaction with COPY, sequences reset, every row read back and both sides' SHA-256
    compared before the commit). Rows per second, and the peak memory of the process doing it.
(b) ours, PostgreSQL -> SQLite: the way back, the same way.
(c) the reference: the bare minimum of (a) in the same run: each table read from the SQLite
    file with sqlite3 and written with psycopg's COPY ``write_row`` into a fresh database of
    the same schema, one transaction, no checksum, no read-back.
(d) the memory a copy would need without streaming: the calls table alone held as a list
    (``fetchall``), in a process of its own, beside (a)'s peak.

Each measurement runs in a child process of its own, so peak memory (ru_maxrss) is its own.
Figures vary with the machine and its load: run it on a quiet machine.
"""

from __future__ import annotations

import argparse
import multiprocessing
import resource
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from ppcdesk.core.progress import run_job
from ppcdesk.demo.job import write_demo
from ppcdesk.storage import copy, migrate
from ppcdesk.storage.db import Database
from tests.pg_server import TempServer, find_bindir


def _memory_mb(field: str = "VmHWM") -> float:
    """This process's peak (VmHWM) or current (VmRSS) resident memory.

    From /proc, not ru_maxrss: Linux keeps ru_maxrss across fork and exec, so a child would
    report the parent's peak (the demo's generation) instead of its own.
    """
    status = Path("/proc/self/status")
    if status.exists():
        for line in status.read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # elsewhere: best effort


def _peak_mb() -> float:
    return _memory_mb("VmHWM")


def _ours(source: str, target: str, out: Any) -> None:
    src, dst = Database(source), Database(target)
    migrate.upgrade(dst)
    started = time.perf_counter()
    report = run_job(copy.copy_job(src, dst))
    out.send((time.perf_counter() - started, report.rows, report.committed, _peak_mb()))
    src.dispose()
    dst.dispose()


def _reference(source: str, target: str, out: Any) -> None:
    import sqlite3

    import psycopg

    dst = Database(target)
    migrate.upgrade(dst)
    dst.dispose()
    started = time.perf_counter()
    rows = 0
    with sqlite3.connect(source) as lite, psycopg.connect(target) as pg, pg.cursor() as cur:
        for table in copy.tables():
            names = ", ".join(f'"{c.name}"' for c in table.columns)
            with cur.copy(f'COPY "{table.name}" ({names}) FROM STDIN') as sink:
                for row in lite.execute(f'SELECT {names} FROM "{table.name}"'):
                    sink.write_row(row)
                    rows += 1
        pg.commit()
    out.send((time.perf_counter() - started, rows, True, _peak_mb()))


def _held(source: str, out: Any) -> None:
    import sqlite3

    before = _memory_mb("VmRSS")
    with sqlite3.connect(source) as lite:
        rows = lite.execute("SELECT * FROM calls").fetchall()
    out.send((0.0, len(rows), True, _memory_mb("VmRSS") - before))


def _child(target: Callable[..., None], *args: str) -> tuple[float, int, bool, float]:
    parent, child = multiprocessing.Pipe()
    process = multiprocessing.get_context("spawn").Process(target=target, args=(*args, child))
    process.start()
    result: tuple[float, int, bool, float] = parent.recv()
    process.join()
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=100_000)
    parser.add_argument("--demo", type=Path, help="copy this workspace instead of a new demo")
    args = parser.parse_args()
    bindir = find_bindir()
    if bindir is None:
        raise SystemExit("no PostgreSQL binaries (Debian: apt-get install postgresql)")
    with tempfile.TemporaryDirectory(prefix="ppcdesk-bench-copy-") as folder:
        source = args.demo or Path(folder) / "demo.sqlite"
        if args.demo is None:
            db = Database(source)
            migrate.upgrade(db)
            print(f"writing a {args.calls:,}-call demo…", flush=True)
            run_job(write_demo(db, calls=args.calls, seed=7, end=date(2026, 11, 20)))
            db.dispose()
        server = TempServer(bindir).start()
        try:
            there = server.create_database()
            a = _child(_ours, str(source), there)
            b = _child(_ours, there, str(Path(folder) / "back.sqlite"))
            c = _child(_reference, str(source), server.create_database())
            d = _child(_held, str(source))
        finally:
            server.stop()
    for label, (seconds, rows, ok, peak) in (("(a) ours, SQLite -> PostgreSQL", a),
                                             ("(b) ours, PostgreSQL -> SQLite", b),
                                             ("(c) reference: read + COPY only", c)):
        print(f"{label:<34} {rows:>10,} rows in {seconds:6.1f} s = {rows / seconds:>9,.0f} "
              f"rows/s, peak {peak:,.0f} MB{'' if ok else '  (NOT COMMITTED)'}")
    print(f"(a) / (c) time: {a[0] / c[0]:.2f}x (ours also reads every row back and compares "
          "SHA-256s)")
    print(f"(d) the calls table alone held in memory ({d[1]:,} rows): +{d[3]:,.0f} MB; "
          f"(a)'s whole process peaked at {a[3]:,.0f} MB")


if __name__ == "__main__":
    main()
