"""Print how fast the calls page shows a million calls, beside the same SQL in plain sqlite3.

Usage: ``QT_QPA_PLATFORM=offscreen .venv/bin/python benchmarks/bench_calls_page.py
[--db big.sqlite] [--calls 1000000] [--repeat 5]``

Without ``--db`` a demo database of ``--calls`` calls is written to a temporary folder first.
Each figure is the median of ``--repeat`` runs, wall time from the call to the repainted table:

(a) show the page: read the log's first 500-row block, reset the model, repaint the view (the
    page paints these rows at once); then, as the page does next on the read lane, the count
    that gives the table its full length;
(b) jump to the last row: select it and scroll there (the model reads the last block
    backwards from the end), repaint;
(c) apply a filter (one campaign, calls with a recording) and repaint; then its count, which
    the page runs a slice of time at a time (the total grows on screen): the first slice
    shown, and the whole count;
(c') the first rows of the log sorted by a name, a nullable column and the cost;
(d) the reference for each: the very same SQL (the count, the block query) run with plain
    ``sqlite3`` on the same file, no Qt, no model;
(e) the waveform of a 10-minute dual-channel recording (8 kHz, as Twilio records): decode with
    QAudioDecoder and compute the peaks (what the first view of a recording costs), beside
    reading the peaks back from the cache (every later view).

The goal is (a), (b) and (c) under 100 ms each.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
import wave
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
from ppcdesk.config import paths as paths_mod
from ppcdesk.core.progress import run_job
from ppcdesk.services.app_services import AppServices
from ppcdesk.services.review_service import CallFilter, CallSort
from ppcdesk.storage import migrate, review_log, review_store
from ppcdesk.storage.db import Database, raw_connect
from ppcdesk.ui.pages.calls_page import CallsPage
from ppcdesk.ui.playback.waveform import PeaksDecoder
from ppcdesk.ui.workers import JobRunner
from PySide6.QtWidgets import QApplication


def median_ms(fn: Callable[[], Any], repeat: int,
              setup: Callable[[], Any] | None = None) -> float:
    times = []
    for _ in range(repeat):
        if setup is not None:
            setup()  # not timed
        started = time.perf_counter()
        fn()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


class _Plain:
    """A plain sqlite3 connection behind the one method review_log calls."""

    def __init__(self, path: Path) -> None:
        self.conn = raw_connect(path)

    def exec_driver_sql(self, sql: str, params: Any = ()) -> Any:
        return self.conn.execute(sql, params)


def plain_sql(path: Path, f: CallFilter, *, from_end: bool,
              count: bool = True) -> Callable[[], Any]:
    """The page's statements (the block's keys, its rows and extras, the count) in sqlite3."""
    plain = _Plain(path)
    clause, params = review_store.where(f)

    def run() -> None:
        keys = review_log.block_keys(plain, clause, params, "started",  # type: ignore[arg-type]
                                     not from_end, after=None, limit=500)
        review_log.rows_of(plain, [k[1] for k in keys])  # type: ignore[arg-type]
        if count:
            plain.conn.execute(f"SELECT count(*) FROM calls c WHERE {clause}",
                               params).fetchone()

    return run


def waveform_figures(folder: Path, app: QApplication, repeat: int) -> tuple[float, float]:
    """(decode + peaks, peaks from the cache) for a 10-minute 8 kHz stereo WAV, in ms."""
    from ppcdesk.recordings.waveform import PeaksStore

    rate, seconds = 8000, 600
    t = np.arange(rate * seconds) / rate
    rng = np.random.default_rng(1)
    voice = (np.sin(2 * np.pi * 180 * t) * (np.sin(2 * np.pi * 0.2 * t) > 0)).astype(np.float32)
    left = 0.6 * voice + 0.02 * rng.standard_normal(t.size).astype(np.float32)
    right = 0.6 * np.roll(voice, rate * 3) + 0.02 * rng.standard_normal(t.size).astype(np.float32)
    frames = (np.stack([left, right], axis=1) * 32767).astype("<i2")
    path = folder / "ten-minutes.wav"
    with wave.open(str(path), "wb") as out:
        out.setnchannels(2)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(frames.tobytes())
    store = PeaksStore(folder / "peaks")

    def decode() -> None:
        done: list[Any] = []
        decoder = PeaksDecoder(path, done.append, lambda e: sys.exit(f"decode failed: {e}"))
        decoder.start()
        while not done:
            app.processEvents()
        store.save("a" * 64, done[0])

    decoded = median_ms(decode, max(1, repeat // 2))
    cached = median_ms(lambda: store.load("a" * 64), repeat)
    return decoded, cached


def main(argv: list[str] | None = None) -> None:  # noqa: PLR0915 - one script, in order
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", type=Path)
    parser.add_argument("--calls", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args(argv)
    app = QApplication.instance() or QApplication([])
    assert isinstance(app, QApplication)  # noqa: S101 - a script's sanity check
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        paths = paths_mod.resolve(folder / "home").ensure()
        path = args.db or folder / "bench.sqlite"
        db = Database(path)
        migrate.upgrade(db)
        services = AppServices(db, paths)
        if args.db is None:
            print(f"writing a {args.calls:,}-call demo database...", flush=True)
            run_job(services.demo_job(calls=args.calls, seed=7, end=date(2026, 11, 20)))
        runner = JobRunner()
        page = CallsPage(services, runner)
        page.resize(1400, 900)
        page.show()
        app.processEvents()
        review = services.review
        campaign = services.campaigns()[0]
        filtered = CallFilter(campaign_id=campaign.id, has_recording=True)

        def show(f: CallFilter) -> None:
            """What the page does: the first block painted at once, the count after it."""
            page.model.reset_with(f, CallSort(), None, review.block(f, CallSort()))
            page.view.viewport().repaint()

        def counted(f: CallFilter, *, first_slice: bool = False) -> None:
            """The page's count: slice by slice, the total growing (or only the first)."""
            show(f)
            total = 0
            for since, until in review.count_slices(f):
                total += review.count(f, since=since, until=until)
                page.model.set_total(f, CallSort(), max(total, page.model.total))
                page.view.viewport().repaint()
                if first_slice:
                    return

        def jump_to_end() -> None:  # after the count arrived (setup)
            page.select_row(page.model.total - 1)
            page.view.viewport().repaint()

        def sorted_by(column: str) -> Callable[[], None]:
            def run() -> None:
                page.model.reset_with(CallFilter(), CallSort(column), None,
                                      review.block(CallFilter(), CallSort(column)))
                page.view.viewport().repaint()
            return run

        total = review.count(CallFilter())
        everything = CallFilter()
        rep = args.repeat
        figures = [
            ("show the page (first rows)", median_ms(lambda: show(everything), rep),
             median_ms(plain_sql(path, everything, from_end=False, count=False), rep)),
            ("  ... and its count", median_ms(lambda: counted(everything), rep),
             median_ms(plain_sql(path, everything, from_end=False), rep)),
            ("jump to the last row",
             median_ms(jump_to_end, rep, setup=lambda: counted(everything)),
             median_ms(plain_sql(path, everything, from_end=True), rep)),
            (f"filter: {campaign.name[:18]}, recorded", median_ms(lambda: show(filtered), rep),
             median_ms(plain_sql(path, filtered, from_end=False, count=False), rep)),
            ("  ... its count's first slice shown",
             median_ms(lambda: counted(filtered, first_slice=True), rep), float("nan")),
            ("  ... its count complete", median_ms(lambda: counted(filtered), rep),
             median_ms(plain_sql(path, filtered, from_end=False), rep)),
        ]
        figures += [(f"sort by {column} (first rows)", median_ms(sorted_by(column), rep),
                     float("nan")) for column in ("campaign", "buyer", "state", "answer", "cost")]
        decoded, cached = waveform_figures(folder, app, args.repeat)
        runner.shutdown()
        page.close()
        db.dispose()
    print(f"\ncalls page over {total:,} calls (median of {args.repeat}; goal < 100 ms each)")
    print(f"  {'':<40}{'ppcdesk':>10}{'plain sqlite3':>16}")
    for name, ours, reference in figures:
        plain = "" if reference != reference else f"{reference:>13.1f} ms"  # noqa: PLR0124
        print(f"  {name:<40}{ours:>8.1f} ms{plain}")
    print("\nwaveform of a 10-minute dual-channel 8 kHz recording")
    print(f"  decode with QAudioDecoder + peaks (first view) {decoded:>8.1f} ms")
    print(f"  peaks read back from the cache (later views)   {cached:>8.1f} ms")


if __name__ == "__main__":
    main()
