"""PyInstaller runtime hook: portable mode when ``portable.txt`` sits beside the executable.

A portable copy (a USB stick, a folder on a shared drive) keeps its databases, settings, cache
and logs beside itself instead of in the user's profile. ppcdesk's path resolver already honours
``PPCDESK_HOME`` (ppcdesk/config/paths.py), so this hook only sets it, before ppcdesk starts.

The marker is a plain text file named ``portable.txt`` next to the ``ppcdesk`` executable (on
macOS: next to ``ppcdesk.app``). Empty, or only comment lines (``#``): the data goes to
``ppcdesk-data`` beside it. Otherwise its first other line names the folder, relative to the
marker's folder or absolute. An explicit ``PPCDESK_HOME`` in the environment always wins.

Standard library only, and no ppcdesk import: it runs before the application is importable.
"""

from __future__ import annotations

import os
import sys
from collections.abc import MutableMapping
from pathlib import Path

MARKER = "portable.txt"
DEFAULT_FOLDER = "ppcdesk-data"
HOME_ENV = "PPCDESK_HOME"


def marker_folders(executable: Path) -> list[Path]:
    """Where a marker may sit: beside the executable, and beside a macOS .app bundle."""
    folders = [executable.parent]
    # ppcdesk.app/Contents/MacOS/ppcdesk: people put the marker beside ppcdesk.app.
    if executable.parent.name == "MacOS" and executable.parent.parent.name == "Contents":
        folders.append(executable.parent.parent.parent.parent)
    return folders


def portable_home(executable: Path) -> Path | None:
    """The data folder a ``portable.txt`` beside ``executable`` asks for, or None."""
    for folder in marker_folders(executable):
        marker = folder / MARKER
        if not marker.is_file():
            continue
        lines = marker.read_text(encoding="utf-8", errors="replace").splitlines()
        wanted = next((s for s in (line.strip() for line in lines)
                       if s and not s.startswith("#")), "")
        return (folder / Path(wanted or DEFAULT_FOLDER).expanduser()).resolve()
    return None


def apply(executable: Path, environ: MutableMapping[str, str]) -> Path | None:
    """Set ``PPCDESK_HOME`` for a portable copy unless the environment already chose one."""
    if environ.get(HOME_ENV):
        return None
    home = portable_home(executable)
    if home is not None:
        environ[HOME_ENV] = str(home)
    return home


if getattr(sys, "frozen", False):
    apply(Path(sys.executable).resolve(), os.environ)
