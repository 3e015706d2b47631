"""User settings that are not UI state: a versioned JSON file with upgrade steps.

QSettings holds only UI state (geometry, splitters, last page, volume); everything the core needs
(the user's time zone, auto-sync interval, masking) lives here, readable without Qt.

To change the shape: bump ``VERSION``, add ``_UPGRADES[old_version] = function(dict) -> dict``,
and add a test in tests/core/test_settings.py (a test fails when a step has none).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from ppcdesk.config.atomic import write_text_atomic
from ppcdesk.core.errors import DataError

log = logging.getLogger(__name__)

VERSION = 1
FILE_NAME = "settings.json"


@dataclass(frozen=True, slots=True)
class Settings:
    timezone: str = "America/New_York"  # the user's zone, for dashboards and the call log
    auto_sync_minutes: int = 0  # 0: off (the default)
    mask_callers: bool = False
    last_database: str = ""  # the workspace opened last ("" = the default database)
    recent_databases: tuple[str, ...] = field(default_factory=tuple)

    def with_changes(self, **changes: Any) -> Settings:
        return replace(self, **changes)


_UPGRADES: dict[int, Callable[[dict[str, Any]], dict[str, Any]]] = {}


def upgrade(raw: dict[str, Any]) -> dict[str, Any]:
    """Bring a settings dict from any older version to VERSION, step by step."""
    version = int(raw.get("version", VERSION))
    while version < VERSION:
        raw = _UPGRADES[version](raw)
        version += 1
    raw["version"] = version
    return raw


def load(folder: Path) -> Settings:
    """Read settings; a missing file gives defaults, a broken one is refused with its path."""
    path = folder / FILE_NAME
    if not path.exists():
        return Settings()
    try:
        raw = json.loads(path.read_text("utf-8"))
    except (OSError, ValueError) as exc:
        raise DataError(f"cannot read settings ({exc})", source=str(path)) from exc
    if not isinstance(raw, dict):
        raise DataError("settings must be a JSON object", source=str(path))
    if int(raw.get("version", VERSION)) > VERSION:
        raise DataError("written by a newer ppcdesk", source=str(path), field="version")
    raw = upgrade(raw)
    known = {f.name for f in fields(Settings)}
    values = {k: v for k, v in raw.items() if k in known}
    if "recent_databases" in values:
        values["recent_databases"] = tuple(values["recent_databases"])
    return Settings(**values)


def save(folder: Path, settings: Settings) -> None:
    data = {"version": VERSION, **asdict(settings)}
    data["recent_databases"] = list(settings.recent_databases)
    write_text_atomic(folder / FILE_NAME, json.dumps(data, indent=2, sort_keys=True) + "\n")
