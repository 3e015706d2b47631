"""What every command module shares: a terminal progress bar and the handler signature.

A command module (``cli_sync``, ``cli_billing``...) defines ``add_parsers(sub, common)``, which
adds its subcommands, and ``HANDLERS``, which maps each subcommand to a function taking the
parsed arguments and the paths and returning a dict: printed as JSON with ``--json``, else its
``_text`` is printed; ``_failed: True`` makes the exit code 1.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from typing import Any

from ppcdesk.config.paths import Paths
from ppcdesk.core.progress import Job, Progress, run_job

Handler = Callable[[argparse.Namespace, Paths], dict[str, Any]]


class ProgressBar:
    """A one-line progress bar on stderr (only on a terminal; at most 10 updates a second)."""

    def __init__(self, stream: Any = None) -> None:
        self.stream = stream or sys.stderr
        self.enabled = bool(getattr(self.stream, "isatty", lambda: False)())
        self._last = 0.0
        self._started = time.monotonic()

    def __call__(self, progress: Progress) -> None:
        now = time.monotonic()
        if not self.enabled or now - self._last < 0.1:
            return
        self._last = now
        width = 30
        fraction = progress.fraction
        if fraction is None:
            bar = "." * (int(now * 4) % width)
            pct = "    "
        else:
            bar = "#" * int(fraction * width)
            pct = f"{fraction:4.0%}"
        line = f"\r[{bar:<{width}}] {pct} {progress.message[:60]:<60}"
        self.stream.write(line)
        self.stream.flush()

    def done(self) -> None:
        if self.enabled:
            self.stream.write("\r" + " " * 100 + "\r")
            self.stream.flush()


def run_with_bar(job: Job[Any]) -> Any:
    bar = ProgressBar()
    try:
        return run_job(job, on_progress=bar)
    finally:
        job.close()
        bar.done()
