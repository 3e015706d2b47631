"""Logging: a rotating file in the platform log folder, and stderr for the CLI's warnings."""

from __future__ import annotations

import logging
import logging.handlers
from pathlib import Path

FORMAT = "%(asctime)s %(levelname)-7s %(name)s [%(threadName)s] %(message)s"


def configure(log_file: Path, *, level: int = logging.INFO,
              stderr_level: int | None = None) -> None:
    """Send records to ``log_file`` (1 MB x 5 rotations), and to stderr from ``stderr_level``."""
    root = logging.getLogger()
    for handler in list(root.handlers):
        if getattr(handler, "_ppcdesk", False):
            root.removeHandler(handler)
            handler.close()
    log_file.parent.mkdir(parents=True, exist_ok=True)
    file_handler = logging.handlers.RotatingFileHandler(
        log_file, maxBytes=1_000_000, backupCount=5, encoding="utf-8", delay=True
    )
    file_handler.setFormatter(logging.Formatter(FORMAT))
    file_handler._ppcdesk = True  # type: ignore[attr-defined]
    root.addHandler(file_handler)
    if stderr_level is not None:
        stream = logging.StreamHandler()
        stream.setLevel(stderr_level)
        stream.setFormatter(logging.Formatter("ppcdesk: %(levelname)s: %(message)s"))
        stream._ppcdesk = True  # type: ignore[attr-defined]
        root.addHandler(stream)
    root.setLevel(level)
