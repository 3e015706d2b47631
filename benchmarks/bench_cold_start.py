"""Start ppcdesk's window from the frozen bundle and from the virtualenv: time to the window.

Prints, side by side, the time from launching the process to its main window being mapped on
the X server (Xvfb), for the PyInstaller bundle and, as the reference, for ``python -m ppcdesk``
from this virtualenv. Both open the same small demo database (a fresh copy each run, in a fresh
PPCDESK_HOME), runs alternate between the two, and nothing inside ppcdesk is hooked: an outside
observer polls the X server every 5 ms (libX11 through ctypes) for a viewable top-level window
of class ppcdesk. A mapped window is what a person sees appear; its first paint follows within a
frame or two.

    .venv/bin/python benchmarks/bench_cold_start.py [--frozen build/installers/dist/ppcdesk/ppcdesk]
        [--runs 5] [--drop-caches]

Build the bundle first (python installers/build.py). Needs Xvfb (Debian: xvfb). The first run of
each kind reads its files from disk; later runs find them in the page cache. ``--drop-caches``
(root) empties the page cache before every run, for true cold starts: it slows everything else
on the machine for a moment.
"""

from __future__ import annotations

import argparse
import ctypes
import ctypes.util
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
IS_VIEWABLE = 2


class XWindowAttributes(ctypes.Structure):
    _fields_ = [
        ("x", ctypes.c_int), ("y", ctypes.c_int), ("width", ctypes.c_int),
        ("height", ctypes.c_int), ("border_width", ctypes.c_int), ("depth", ctypes.c_int),
        ("visual", ctypes.c_void_p), ("root", ctypes.c_ulong), ("class_", ctypes.c_int),
        ("bit_gravity", ctypes.c_int), ("win_gravity", ctypes.c_int),
        ("backing_store", ctypes.c_int), ("backing_planes", ctypes.c_ulong),
        ("backing_pixel", ctypes.c_ulong), ("save_under", ctypes.c_int),
        ("colormap", ctypes.c_ulong), ("map_installed", ctypes.c_int),
        ("map_state", ctypes.c_int), ("all_event_masks", ctypes.c_long),
        ("your_event_mask", ctypes.c_long), ("do_not_propagate_mask", ctypes.c_long),
        ("override_redirect", ctypes.c_int), ("screen", ctypes.c_void_p),
    ]


class XClassHint(ctypes.Structure):
    _fields_ = [("res_name", ctypes.c_void_p), ("res_class", ctypes.c_void_p)]


class XObserver:
    """Ask the X server which top-level windows are viewable, and what they are called."""

    def __init__(self, display: str) -> None:
        path = ctypes.util.find_library("X11")
        if path is None:
            raise SystemExit("libX11 not found (Debian: libx11-6)")
        self.x = ctypes.CDLL(path)
        self.x.XOpenDisplay.restype = ctypes.c_void_p
        self.x.XOpenDisplay.argtypes = [ctypes.c_char_p]
        self.x.XDefaultRootWindow.restype = ctypes.c_ulong
        self.x.XDefaultRootWindow.argtypes = [ctypes.c_void_p]
        self.x.XQueryTree.argtypes = [ctypes.c_void_p, ctypes.c_ulong] + [ctypes.c_void_p] * 4
        self.x.XGetWindowAttributes.argtypes = [ctypes.c_void_p, ctypes.c_ulong,
                                                ctypes.POINTER(XWindowAttributes)]
        self.x.XGetClassHint.argtypes = [ctypes.c_void_p, ctypes.c_ulong,
                                         ctypes.POINTER(XClassHint)]
        self.x.XFree.argtypes = [ctypes.c_void_p]
        # Xlib's default error handler exits the process; a window that closes between
        # XQueryTree and XGetWindowAttributes (the previous run's) is expected: ignore it.
        handler_type = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_void_p, ctypes.c_void_p)
        self._on_error = handler_type(lambda _dpy, _event: 0)
        self.x.XSetErrorHandler(self._on_error)
        self.display = display
        self.dpy = self.x.XOpenDisplay(display.encode())
        if not self.dpy:
            raise SystemExit(f"cannot open X display {display}")
        self.root = self.x.XDefaultRootWindow(self.dpy)

    def window_shown(self, needle: str) -> bool:
        root, parent = ctypes.c_ulong(), ctypes.c_ulong()
        children, count = ctypes.POINTER(ctypes.c_ulong)(), ctypes.c_uint()
        self.x.XQueryTree(self.dpy, self.root, ctypes.byref(root), ctypes.byref(parent),
                          ctypes.byref(children), ctypes.byref(count))
        try:
            for i in range(count.value):
                attrs = XWindowAttributes()
                if not self.x.XGetWindowAttributes(self.dpy, children[i], ctypes.byref(attrs)):
                    continue
                if attrs.map_state != IS_VIEWABLE or attrs.width < 200:
                    continue
                # WM_CLASS, not the title: Qt sets a UTF-8 title ("ppcdesk — New workspace")
                # that XFetchName cannot return.
                hint = XClassHint()
                if self.x.XGetClassHint(self.dpy, children[i], ctypes.byref(hint)):
                    name = ctypes.string_at(hint.res_class).decode(errors="replace")
                    self.x.XFree(hint.res_name)
                    self.x.XFree(hint.res_class)
                    if needle == name.lower():
                        return True
            return False
        finally:
            if children:
                self.x.XFree(children)


def start_xvfb() -> tuple[subprocess.Popen[bytes], XObserver]:
    """A private Xvfb on a high display number (low ones may be taken, or shadowed by another
    server's abstract socket), and an observer connected to it."""
    if shutil.which("Xvfb") is None:
        raise SystemExit("Xvfb not found (Debian: apt-get install xvfb)")
    # X servers lock their display number here, by convention.
    number = next(n for n in range(170, 300)
                  if not Path(f"/tmp/.X{n}-lock").exists())  # noqa: S108
    server = subprocess.Popen(["Xvfb", f":{number}", "-screen", "0", "1440x900x24",
                               "-nolisten", "tcp"], stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 15
    while True:
        try:
            return server, XObserver(f":{number}")
        except SystemExit:
            if time.monotonic() > deadline or server.poll() is not None:
                server.terminate()
                raise
            time.sleep(0.1)


def drop_caches() -> None:
    os.sync()
    Path("/proc/sys/vm/drop_caches").write_text("3\n")


def launch(command: list[str], db: Path, display: str, observer: XObserver,
           timeout: float = 60) -> float:
    with tempfile.TemporaryDirectory(prefix="ppcdesk-cold-") as home:
        copy = Path(home) / "start.sqlite"
        shutil.copy2(db, copy)
        env = {k: v for k, v in os.environ.items()
               if not k.startswith(("PPCDESK_", "QT_", "PYTHON"))}
        env.update(DISPLAY=display, QT_QPA_PLATFORM="xcb", PPCDESK_HOME=home)
        started = time.perf_counter()
        proc = subprocess.Popen([*command, "--db", str(copy)], env=env, cwd=home,
                                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                start_new_session=True)
        try:
            while not observer.window_shown("ppcdesk"):
                if proc.poll() is not None:
                    err = proc.stderr.read().decode(errors="replace") if proc.stderr else ""
                    raise SystemExit(f"{command[0]} exited ({proc.returncode}) before showing "
                                     f"a window:\n{err[-2000:]}")
                if time.perf_counter() - started > timeout:
                    raise SystemExit(f"{command[0]}: no window after {timeout:.0f} s")
                time.sleep(0.005)
            return time.perf_counter() - started
        finally:
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--frozen", type=Path,
                        default=ROOT / "build/installers/dist/ppcdesk/ppcdesk")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--calls", type=int, default=2000)
    parser.add_argument("--drop-caches", action="store_true")
    args = parser.parse_args()
    if not args.frozen.exists():
        raise SystemExit(f"no frozen build at {args.frozen}: run python installers/build.py")
    commands = {"frozen bundle": [str(args.frozen)],
                "virtualenv (reference)": [sys.executable, "-m", "ppcdesk"]}
    server, observer = start_xvfb()
    display = observer.display
    try:
        with tempfile.TemporaryDirectory(prefix="ppcdesk-cold-db-") as tmp:
            db = Path(tmp) / "demo.sqlite"
            subprocess.run([sys.executable, "-m", "ppcdesk", "--home", tmp, "--db", str(db),
                            "demo", "--calls", str(args.calls), "--seed", "7"], check=True,
                           stdout=subprocess.DEVNULL)
            times: dict[str, list[float]] = {label: [] for label in commands}
            for _ in range(args.runs):
                for label, command in commands.items():
                    if args.drop_caches:
                        drop_caches()
                    times[label].append(launch(command, db, display, observer))
    finally:
        server.terminate()
        server.wait()
    caches = ("page cache dropped before each run" if args.drop_caches
              else "warm page cache after run 1")
    print(f"\nProcess start to main window mapped (Xvfb, {args.calls:,}-call demo database, "
          f"{args.runs} runs each, {caches}):")
    print(f"{'':26}{'first run':>11}{'median':>10}{'min':>9}")
    for label, values in times.items():
        print(f"{label:26}{values[0]:>9.2f} s{statistics.median(values):>8.2f} s"
              f"{min(values):>7.2f} s")
    frozen, venv = (statistics.median(v) for v in times.values())
    print(f"frozen / virtualenv (median): {frozen / venv:.2f}x")


if __name__ == "__main__":
    main()
