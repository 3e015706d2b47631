"""One resolver for every folder ppcdesk uses.

Default: the platform's folders (platformdirs). ``PPCDESK_HOME`` puts everything under one folder:
tests use it so they never touch the real profile, and the portable build sets it to the folder
beside the executable.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import platformdirs

APP = "ppcdesk"
HOME_ENV = "PPCDESK_HOME"
DEFAULT_DB_NAME = "ppcdesk.sqlite"
DEMO_DB_NAME = "demo.sqlite"


@dataclass(frozen=True, slots=True)
class Paths:
    data: Path  # databases and their backups
    config: Path  # settings.json
    cache: Path  # recordings cache
    logs: Path

    @property
    def default_db(self) -> Path:
        return self.data / DEFAULT_DB_NAME

    @property
    def demo_db(self) -> Path:
        return self.data / DEMO_DB_NAME

    @property
    def backups(self) -> Path:
        return self.data / "backups"

    @property
    def recordings(self) -> Path:
        return self.cache / "recordings"

    @property
    def log_file(self) -> Path:
        return self.logs / "ppcdesk.log"

    def ensure(self) -> Paths:
        for folder in (self.data, self.config, self.cache, self.logs):
            folder.mkdir(parents=True, exist_ok=True)
        return self


def resolve(home: str | os.PathLike[str] | None = None) -> Paths:
    """Return ppcdesk's folders: under ``home`` or ``$PPCDESK_HOME`` if set, else the platform's."""
    root = home if home is not None else os.environ.get(HOME_ENV)
    if root:
        base = Path(root).expanduser().resolve()
        return Paths(base / "data", base / "config", base / "cache", base / "logs")
    return Paths(
        data=Path(platformdirs.user_data_dir(APP, appauthor=False)),
        config=Path(platformdirs.user_config_dir(APP, appauthor=False)),
        cache=Path(platformdirs.user_cache_dir(APP, appauthor=False)),
        logs=Path(platformdirs.user_log_dir(APP, appauthor=False)),
    )


def resources_dir() -> Path:
    """The shipped resources/ folder (beside the package in a checkout, bundled when frozen)."""
    override = os.environ.get("PPCDESK_RESOURCES")
    if override:
        return Path(override)
    here = Path(__file__).resolve().parent.parent
    for candidate in (here / "resources", here.parent / "resources"):
        if candidate.is_dir():
            return candidate
    return here.parent / "resources"
