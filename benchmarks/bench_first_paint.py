"""Open the main window on a 1,000,000-call database: time to first paint and to loaded data.

Prints, from one run: the time from starting the process to the main window's first paint and
to the dashboard's figures on screen, on the large database and, as the reference, on an empty
one (the same start with nothing to read). Goal: first paint under 1.5 s on 1M calls.

    .venv/bin/python benchmarks/bench_first_paint.py [--calls 1000000] [--runs 3]

The database is generated once into bench-out/ (ppcdesk demo, seed 7) and reused.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench-out"

CHILD = r"""
import sys, time
t0 = float(sys.argv[2])
from PySide6.QtCore import QEvent, QObject, QTimer
from PySide6.QtWidgets import QApplication
app = QApplication(["ppcdesk"])
from ppcdesk.app import gui

marks = {}

class Watch(QObject):
    def eventFilter(self, obj, event):
        if event.type() == QEvent.Type.Paint and "paint" not in marks:
            marks["paint"] = time.time() - t0
        return False

watch = Watch()

def poll():
    windows = [w for w in QApplication.topLevelWidgets() if w.objectName() == "mainWindow"]
    if windows and not getattr(poll, "hooked", False):
        windows[0].installEventFilter(watch)
        poll.hooked = True
    if windows and windows[0].pages["dashboard"].loads >= 1 and "paint" in marks:
        marks["data"] = time.time() - t0
        print(f"RESULT {marks['paint']:.4f} {marks['data']:.4f}", flush=True)
        windows[0].close()
        return
    QTimer.singleShot(2, poll)

QTimer.singleShot(0, poll)
sys.exit(gui.run(["--db", sys.argv[1]]))
"""


def ensure_db(calls: int) -> Path:
    OUT.mkdir(exist_ok=True)
    db = OUT / f"first-paint-{calls}.sqlite"
    if not db.exists():
        print(f"generating {calls:,} demo calls into {db} (once)...", flush=True)
        subprocess.run([sys.executable, "-m", "ppcdesk", "--db", str(db), "demo", "--calls",
                        str(calls), "--seed", "7", "--end", "2026-11-20"], check=True,
                       env=dict(os.environ, PPCDESK_HOME=str(OUT / "home")))
    return db


def measure(db: Path, home: str) -> tuple[float, float]:
    env = dict(os.environ, QT_QPA_PLATFORM=os.environ.get("QT_QPA_PLATFORM", "offscreen"),
               PPCDESK_HOME=home)
    started = time.time()
    out = subprocess.run([sys.executable, "-c", CHILD, str(db), repr(started)], env=env,
                         capture_output=True, text=True, timeout=120, check=True).stdout
    line = next(x for x in out.splitlines() if x.startswith("RESULT"))
    paint, data = (float(v) for v in line.split()[1:])
    return paint, data


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--calls", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    big = ensure_db(args.calls)
    with tempfile.TemporaryDirectory() as tmp:
        empty = Path(tmp) / "empty.sqlite"
        results = {}
        for label, db in (("empty database (reference)", empty),
                          (f"{args.calls:,}-call database", big)):
            runs = [measure(db, str(Path(tmp) / "home")) for _ in range(args.runs)]
            results[label] = (statistics.median(r[0] for r in runs),
                              statistics.median(r[1] for r in runs))
    print(f"\nOpening the main window, median of {args.runs} runs "
          f"(process start to event; offscreen):")
    print(f"{'':32}{'first paint':>14}{'dashboard data':>17}")
    for label, (paint, data) in results.items():
        print(f"{label:32}{paint:>12.2f} s{data:>15.2f} s")
    print("goal: first paint under 1.5 s on 1,000,000 calls")


if __name__ == "__main__":
    main()
