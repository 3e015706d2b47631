"""Print how fast ``ppcdesk sync`` stores calls from a local fake Twilio, beside bare transfer.

Usage: ``.venv/bin/python benchmarks/bench_sync.py [--calls 100000] [--seed 1]
[--memory 25000,50000,100000]``

The server is ppcdesk.telephony.fake_twilio in its own process (its own interpreter, so it
does not share the sync's GIL), holding ``--calls`` parent calls with their child legs and
recordings (Twilio's wire format, pages of 1000).

(a) bare transfer: a plain ``requests`` session fetching the very listings the sync fetches
    (numbers; calls in the sync's window; recordings), page after page by ``next_page_uri``:
    seconds for the bytes alone, and seconds with ``json.loads`` of every page (the least a
    client must do to read a record).
(b) the provider alone: the same listings through TwilioProvider (the official SDK, retries,
    mapping to records), nothing stored.
(c) ours: ``AppServices.sync_job`` into a new workspace, as ``ppcdesk sync --no-media`` runs
    it (audio downloads are not listings; they are left out of both sides): seconds, calls/s,
    legs/s, and the ratio to (a).
(d) memory: for each ``--memory`` size, a fresh process syncs a server holding that many calls
    under tracemalloc: the peak of Python's heap during the sync, and the process's peak RSS.
    The goal is flat: it must not grow with the number of calls.

Everything happens in a temporary folder that is removed at the end. The figures vary with the
machine and its load: run it on a quiet machine with two free cores (server and sync).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Any

import requests

SINCE = date(2025, 12, 31)  # the fake's generated month starts on 2026-01-01 UTC
SINCE_TEXT = "2025-12-31"


@contextmanager
def fake_twilio(calls: int, seed: int) -> Iterator[dict[str, Any]]:
    """A fake Twilio server in its own process; yields its URL, credentials and counts."""
    process = subprocess.Popen(
        [sys.executable, "-m", "ppcdesk.telephony.fake_twilio", "--calls", str(calls),
         "--seed", str(seed)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert process.stdout is not None  # noqa: S101 - piped above
        line = process.stdout.readline()
        if not line:
            raise SystemExit("the fake Twilio server did not start")
        yield json.loads(line)
    finally:
        assert process.stdin is not None  # noqa: S101
        process.stdin.close()  # the server stops when its stdin closes
        process.wait(timeout=60)
        process.stdout.close()  # type: ignore[union-attr]


def bare(server: dict[str, Any], parse: bool) -> tuple[float, int]:
    """Fetch the sync's listings with plain requests; return seconds and call legs read."""
    base = f"{server['url']}/2010-04-01/Accounts/{server['account_sid']}"
    listings = [f"{base}/IncomingPhoneNumbers.json?PageSize=1000",
                f"{base}/Calls.json?PageSize=1000&StartTime%3E={SINCE_TEXT}",
                f"{base}/Recordings.json?PageSize=1000&DateCreated%3E={SINCE_TEXT}"]
    legs = 0
    with requests.Session() as session:
        session.auth = (server["account_sid"], server["auth_token"])
        started = time.perf_counter()
        for url in listings:
            next_url: str | None = url
            while next_url:
                body = session.get(next_url, timeout=60).content
                page = json.loads(body) if parse else _links(body)
                legs += len(page.get("calls", ()))
                link = page.get("next_page_uri")
                next_url = f"{server['url']}{link}" if link else None
        return time.perf_counter() - started, legs


def _links(body: bytes) -> dict[str, Any]:
    """Only the paging link, read without parsing the page (the bytes-only reference)."""
    tail = body[-2048:]
    key = b'"next_page_uri": '
    at = tail.rfind(key)
    if at < 0:
        return json.loads(body)  # pragma: no cover - a short page, read it whole
    value = tail[at + len(key):].split(b",", 1)[0].strip().rstrip(b"}")
    return {"next_page_uri": json.loads(value)}


def provider_alone(server: dict[str, Any]) -> float:
    from ppcdesk.core.clock import day_start_epoch
    from ppcdesk.telephony.twilio_provider import TwilioProvider

    provider = TwilioProvider(server["account_sid"], auth_token=server["auth_token"],
                              base_url=server["url"])
    since = day_start_epoch(SINCE, "UTC")
    started = time.perf_counter()
    for _ in provider.numbers():
        pass
    for _ in provider.calls(since, int(time.time())):
        pass
    for _ in provider.recordings(since):
        pass
    return time.perf_counter() - started


def sync(server: dict[str, Any], folder: Path, since: date | None = SINCE
         ) -> tuple[float, float, dict[str, int]]:
    """``ppcdesk sync --no-media [--since SINCE]`` into the workspace ``folder``, in this
    process; ``since`` None is the next, incremental sync of the same workspace.

    Returns wall seconds, this process's CPU seconds (all its threads) and the counts."""
    from ppcdesk.config import paths as paths_mod
    from ppcdesk.config.secrets import MemorySecretStore
    from ppcdesk.core.progress import run_job
    from ppcdesk.services.app_services import AppServices
    from ppcdesk.storage import migrate
    from ppcdesk.storage.db import Database

    os.environ["PPCDESK_TWILIO_API_URL"] = server["url"]
    paths = paths_mod.resolve(folder).ensure()
    db = Database(paths.data / "sync.sqlite")
    migrate.upgrade(db)  # as opening the workspace does; not timed
    services = AppServices(db, paths, secret_store=MemorySecretStore(), environ={
        "TWILIO_ACCOUNT_SID": server["account_sid"], "TWILIO_AUTH_TOKEN": server["auth_token"]})
    services.save_settings(services.settings().with_changes(timezone="UTC"))
    try:
        started, cpu = time.perf_counter(), time.process_time()
        changes = run_job(services.sync_job(since=since, media=False))
        return (time.perf_counter() - started, time.process_time() - cpu,
                dict(changes.counts))
    finally:
        db.dispose()


def sync_child(server_json: str, folder: str, kind: str) -> None:
    """In a fresh process, as ``ppcdesk sync`` runs: one sync, its seconds and counts as JSON."""
    seconds, cpu, counts = sync(json.loads(server_json), Path(folder),
                                SINCE if kind == "first" else None)
    print(json.dumps({"seconds": seconds, "cpu": cpu, **counts}))


def synced(server: dict[str, Any], folder: Path, kind: str) -> dict[str, Any]:
    out = subprocess.run([sys.executable, __file__, "--sync-child", json.dumps(server),
                          str(folder), kind], capture_output=True, text=True, check=True)
    result: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def spread(values: list[float]) -> str:
    """``median (min-max)`` of a few timings."""
    return (f"{statistics.median(values):7.2f} s  ({min(values):.2f}-{max(values):.2f}, "
            f"{len(values)} runs)")


def memory_child(server_json: str, folder: str) -> None:
    """In a fresh process: sync under tracemalloc, print the peaks as JSON."""
    server = json.loads(server_json)
    # The caller-state geocoder is loaded on first use (~100 MB, a constant); importing it
    # under tracemalloc takes minutes. Load it first: RSS still counts it, the heap does not.
    from ppcdesk.core.phone import state_of

    state_of("+13055550123")
    tracemalloc.start()
    seconds, _cpu, counts = sync(server, Path(folder))
    _current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    rss_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps({"calls": counts["calls"], "legs": counts["legs"], "seconds": seconds,
                      "peak_heap": peak, "peak_rss": rss_kib * 1024}))


def memory(sizes: list[int], seed: int, folder: Path) -> list[dict[str, Any]]:
    results = []
    for n in sizes:
        with fake_twilio(n, seed) as server:
            out = subprocess.run(
                [sys.executable, __file__, "--memory-child", json.dumps(server),
                 str(folder / f"memory-{n}")], capture_output=True, text=True, check=True)
        results.append(json.loads(out.stdout.strip().splitlines()[-1]))
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--repeat", type=int, default=3,
                        help="runs of (a) and (c), alternated: a machine that slows down "
                             "slows both")
    parser.add_argument("--memory", default="25000,50000,100000",
                        help="sizes for the memory figure ('' to skip)")
    parser.add_argument("--memory-child", nargs=2, help=argparse.SUPPRESS)
    parser.add_argument("--sync-child", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.memory_child:
        memory_child(*args.memory_child)
        return
    if args.sync_child:
        sync_child(*args.sync_child)
        return
    os.environ.setdefault("NO_PROXY", "127.0.0.1,localhost")
    with tempfile.TemporaryDirectory(prefix="bench-sync-") as tmp:
        folder = Path(tmp)
        with fake_twilio(args.calls, args.seed) as server:
            print(f"fake Twilio: {server['parents']:,} calls, {server['children']:,} child "
                  f"legs, {server['recordings']:,} recordings, {server['numbers']} numbers; "
                  "pages of 1000")
            raw_s, _ = bare(server, parse=False)
            alone_s = provider_alone(server)
            json_runs: list[float] = []
            runs: list[dict[str, Any]] = []
            again: list[dict[str, Any]] = []
            for n in range(args.repeat):
                json_s, legs_read = bare(server, parse=True)
                json_runs.append(json_s)
                runs.append(synced(server, folder / f"sync-{n}", "first"))
                again.append(synced(server, folder / f"sync-{n}", "again"))
                first_s = runs[-1]["seconds"]
                print(f"  run {n + 1}: bare + json {json_s:6.2f} s, sync {first_s:6.2f} s "
                      f"({first_s / json_s:.2f}x; CPU {runs[-1]['cpu']:.1f} s), incremental "
                      f"re-sync {again[-1]['seconds']:5.2f} s; load average "
                      f"{os.getloadavg()[0]:.1f} on {os.cpu_count()} cores", flush=True)
        ours = [r["seconds"] for r in runs]
        ratios = [r["seconds"] / j for r, j in zip(runs, json_runs, strict=True)]
        calls, legs = runs[0]["calls"], runs[0]["legs"]
        ours_s = statistics.median(ours)
        print(f"  (a) bare transfer, bytes only      {raw_s:7.2f} s")
        print(f"      bare transfer + json.loads     {spread(json_runs)}  ({legs_read:,} legs)")
        print(f"  (b) the provider alone (SDK)       {alone_s:7.2f} s  "
              f"({alone_s / statistics.median(json_runs):.1f}x transfer + json)")
        print(f"  (c) ppcdesk sync --no-media        {spread(ours)}  {calls / ours_s:,.0f} "
              f"calls/s, {(calls + legs) / ours_s:,.0f} legs/s stored")
        print(f"      ratio sync / bare + json       {statistics.median(ratios):7.2f}x  "
              f"({min(ratios):.2f}-{max(ratios):.2f}; goal: 2x)  "
              f"{ours_s / raw_s:.1f}x bytes only")
        changed = max(r["calls"] + r["legs"] for r in again)
        print(f"      incremental re-sync, nothing   {spread([r['seconds'] for r in again])}  "
              f"changed ({changed} rows written)")
        sizes = [int(s) for s in args.memory.split(",") if s]
        if sizes:
            print("  (d) peak memory of a sync (goal: flat)")
            for result in memory(sizes, args.seed, folder):
                print(f"      {result['calls']:>9,} calls  heap {result['peak_heap'] / 1e6:6.1f} "
                      f"MB  RSS {result['peak_rss'] / 1e6:6.1f} MB  "
                      f"({result['seconds']:.1f} s under tracemalloc)")


if __name__ == "__main__":
    main()
