"""Print how fast a 100,000-line partner report is imported and reconciled against a
1,000,000-call log, beside loading the same CSV with the csv module alone.

Usage: ``.venv/bin/python benchmarks/bench_recon.py [--calls 1000000] [--lines 100000]``

Setup (not timed): a migrated database with ``--calls`` synthetic calls over a year from
~300,000 callers, spread over ten buyers; one buyer's calls (``--lines`` of them) get a $25
outcome from a contract; their report lists each of those calls (US dates in New York time,
callers written as ``(602) 555-0123``, the buyer's leg as duration), with 1% left out, 1% paid
less and 1% an hour off, and one tenth carrying our SID as their call id.

(a) ours, as ``ppcdesk reports import`` + ``ppcdesk reconcile`` run them: read, decode and
    sniff the file, check and convert every line (dates, phones, money), store the lines in
    one transaction, read our side of the year, match, build the difference report, store
    every pairing. Each phase is printed too.
(b) the reference: ``list(csv.reader(file))`` over the same file: only splitting the text.
The goal of the issue: (a) under 10 s. Each of ``--runs`` runs imports into a fresh copy of
the database; wall and CPU time are printed, since on a shared machine the wall time also
counts the waits for a CPU (the load average is printed too).

``--postgresql`` (issue 9) also runs (a) on a PostgreSQL workspace holding the same rows (the
built file copied over by ``ppcdesk workspace copy``'s job, on a throwaway server from
tests/pg_server.py), each run in a fresh copy of that database, printed beside the SQLite runs
of the same invocation. Its CPU column is this process's only: the server's work is not in it.
"""

from __future__ import annotations

import argparse
import csv
import os
import random
import shutil
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from ppcdesk.core.clock import FixedClock, day_start_epoch
from ppcdesk.core.progress import run_job
from ppcdesk.recon.importers.mapping import builtin
from ppcdesk.recon.job import import_report, plan_import, reconcile
from ppcdesk.storage import copy, migrate
from ppcdesk.storage.db import Database

NY = ZoneInfo("America/New_York")
YEAR = date(2026, 1, 1), date(2027, 1, 1)
CLOCK = FixedClock(datetime(2027, 1, 5, tzinfo=UTC))


def build(path: Path, calls: int, lines: int, report: Path, seed: int = 1) -> None:
    db = Database(path)
    migrate.upgrade(db)
    rng = random.Random(seed)
    start, end = (day_start_epoch(d, "America/New_York") for d in YEAR)
    share = lines / calls  # buyer 1's share of the calls
    callers = [f"+1{rng.randint(201, 989)}{rng.randint(2_000_000, 9_999_999)}"
               for _ in range(300_000)]
    times = sorted(rng.randrange(start, end) for _ in range(calls))
    rows = []
    for i, at in enumerate(times, 1):
        buyer = 1 if rng.random() < share else rng.randint(2, 10)
        connected = rng.choice((0, 45, 95, 150, 300, 600))
        rows.append((f"CA{i:032x}", rng.choice(callers), "+18005550100", "completed",
                     "inbound", at, connected + 20, connected, buyer, 0))
    with db.write(bulk=True) as conn:
        raw = conn.connection.dbapi_connection
        if raw is None:
            raise SystemExit("no driver connection")
        raw.executemany("INSERT INTO buyers (id, name, contact, created_at) VALUES (?, ?, '', 0)",
                        [(b, f"Buyer {b}") for b in range(1, 11)])
        raw.executemany("INSERT INTO calls (sid, caller, called, status, direction, started_at, "
                        "duration_s, connected_s, buyer_id, updated_at) VALUES "
                        "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)
        raw.execute("INSERT INTO contracts (id, name, counterparty_kind, buyer_id, active, "
                    "created_at) VALUES (1, 'Buyer 1', 'buyer', 1, 1, 0)")
        raw.execute("INSERT INTO contract_versions (id, contract_id, version, terms, note, "
                    "created_at) VALUES (1, 1, 1, '', '', 0)")
        raw.execute("INSERT INTO call_outcomes (call_id, contract_id, contract_version_id, "
                    "billable, payable, revenue_micros, payout_micros, reasons, flags, "
                    "evaluated_at) SELECT id, 1, 1, 1, 0, 25000000, 0, '[]', 0, 0 FROM calls "
                    "WHERE buyer_id = 1")
        mine = raw.execute("SELECT sid, caller, started_at, connected_s FROM calls WHERE "
                           "buyer_id = 1 ORDER BY started_at").fetchall()
    db.dispose()
    with report.open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(["Call ID", "Caller ID", "Call Date", "Duration", "Payout", "Status",
                         "Campaign"])
        for n, (sid, caller, at, connected) in enumerate(mine):
            if n % 100 == 1:
                continue  # left out: unpaid
            shift = 3600 if n % 100 == 2 else 0
            amount = "$20.00" if n % 100 == 3 else "$25.00"
            when = datetime.fromtimestamp(at + shift, NY).strftime("%m/%d/%Y %I:%M:%S %p")
            writer.writerow([sid if n % 10 == 0 else "",
                             f"({caller[2:5]}) {caller[5:8]}-{caller[8:]}", when,
                             connected, amount, "Paid", "Medicare"])


def ours(path: Path | str, report: Path) -> tuple[float, float, dict[str, float], dict[str, int]]:
    """(wall s, CPU s of this process, wall s per phase, differences by kind)."""
    preset = builtin("generic-us")
    if preset is None:
        raise SystemExit("the generic-us preset is missing")
    db = Database(path)
    phases: dict[str, float] = {}
    began, cpu = time.perf_counter(), time.process_time()
    plan = plan_import(report, preset)
    phases["read and check"] = time.perf_counter() - began
    mark = time.perf_counter()
    run_job(import_report(db, plan, CLOCK, partner="Buyer 1"))
    phases["store lines"] = time.perf_counter() - mark
    mark = time.perf_counter()
    start, end = (day_start_epoch(d, "America/New_York") for d in YEAR)
    done = run_job(reconcile(db, "Buyer 1", start, end, CLOCK))
    phases["reconcile"] = time.perf_counter() - mark
    total, cpu = time.perf_counter() - began, time.process_time() - cpu
    db.dispose()
    return total, cpu, phases, done.report.counts()


def reference(report: Path) -> tuple[float, float]:
    """(wall s, CPU s) of ``list(csv.reader(file))``."""
    began, cpu = time.perf_counter(), time.process_time()
    with report.open(newline="", encoding="utf-8") as f:
        rows = list(csv.reader(f))
    if not rows:
        raise SystemExit("empty report")
    return time.perf_counter() - began, time.process_time() - cpu


@contextmanager
def postgresql_copy(built: Path) -> Iterator[tuple[object, str]]:
    """A throwaway server holding ``built``'s rows in one database: (server, its name)."""
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests.pg_server
    from tests.pg_server import TempServer, find_bindir

    bindir = find_bindir()
    if bindir is None:
        raise SystemExit("--postgresql: no PostgreSQL binaries (apt-get install postgresql)")
    server = TempServer(bindir).start()
    try:
        url = server.create_database()
        source, target = Database(built), Database(url)
        migrate.upgrade(target)
        if not run_job(copy.copy_job(source, target)).committed:
            raise SystemExit("the copy to PostgreSQL differs from the file")
        with target.write() as conn:
            conn.exec_driver_sql("ANALYZE")  # as SQLite's file has its statistics
        source.dispose()
        target.dispose()  # a template must have no connection while it is copied
        yield server, url.rsplit("/", 1)[1]
    finally:
        server.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--calls", type=int, default=1_000_000)
    parser.add_argument("--lines", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--postgresql", action="store_true",
                        help="also run (a) on a PostgreSQL copy of the same workspace")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-recon-") as tmp:
        built, report = Path(tmp) / "built.sqlite", Path(tmp) / "report.csv"
        began = time.perf_counter()
        build(built, args.calls, args.lines, report)
        print(f"setup: {args.calls:,} calls and a report of "
              f"{sum(1 for _ in report.open()) - 1:,} lines "
              f"({report.stat().st_size / 1e6:.1f} MB) in {time.perf_counter() - began:.0f} s")
        print(f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f} before the runs "
              "(wall time counts the waits for a busy CPU; CPU time does not)")
        print("run   (a) ours: wall   CPU   read+check  store  reconcile   "
              "(b) csv.reader: wall   CPU   (a)/(b) CPU")
        counts: dict[str, int] = {}
        for run in range(1, args.runs + 1):
            db_path = Path(tmp) / "run.sqlite"
            shutil.copyfile(built, db_path)  # each run imports into a fresh copy (not timed)
            ref = reference(report)
            total, cpu, phases, counts = ours(db_path, report)
            ref2 = reference(report)  # again after ours: a machine that slowed down hits both
            ref_wall, ref_cpu = min(ref[0], ref2[0]), min(ref[1], ref2[1])
            print(f"{run:>3}  {total:14.2f} {cpu:6.2f}  {phases['read and check']:10.2f} "
                  f"{phases['store lines']:6.2f} {phases['reconcile']:10.2f}   "
                  f"{ref_wall:18.2f} {ref_cpu:6.2f}  {cpu / ref_cpu:8.1f} x")
            db_path.unlink()
        if args.postgresql:
            began = time.perf_counter()
            with postgresql_copy(built) as (server, template):
                print(f"PostgreSQL: the same rows copied in {time.perf_counter() - began:.0f} s")
                for run in range(1, args.runs + 1):
                    url = server.create_database(template=template)  # type: ignore[attr-defined]
                    total, cpu, phases, pg_counts = ours(url, report)
                    server.drop_database(url)  # type: ignore[attr-defined]
                    same = "same differences" if pg_counts == counts else f"DIFFER: {pg_counts}"
                    print(f"pg{run}  {total:14.2f} {cpu:6.2f}  "
                          f"{phases['read and check']:10.2f} {phases['store lines']:6.2f} "
                          f"{phases['reconcile']:10.2f}   ({same})")
    print("goal: (a) under 10 s")
    print("differences found: " + ", ".join(f"{k} {v:,}" for k, v in counts.items() if v))


if __name__ == "__main__":
    main()
