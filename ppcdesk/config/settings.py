"""User settings that are not UI state: a versioned JSON file with upgrade steps.

QSettings holds only UI state (geometry, splitters, last page, volume); everything the core needs
(the user's time zone, auto-sync interval, masking) lives here, readable without Qt.

To change the shape: bump ``VERSION``, add ``_UPGRADES[old_version] = function(dict) -> dict``,
and add ``test_upgrade_from_v<old_version>`` to tests/config/test_settings.py (a test fails
when a step has none).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, fields, replace
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

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
    # This ppcdesk only reviews: contracts are read, never changed, here (issue 9: a shared
    # workspace's reviewers). A guard against mistakes on one machine, not a permission.
    reviewer_only: bool = False

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


def _version_of(raw: dict[str, Any], path: Path) -> int:
    version = raw.get("version", VERSION)
    if isinstance(version, bool) or not isinstance(version, int) or version < 1:
        raise DataError(f"version {version!r} is not a settings version", source=str(path),
                        field="version")
    if version > VERSION:
        raise DataError(f"written by a newer ppcdesk (settings version {version}; this ppcdesk "
                        f"reads up to {VERSION})", source=str(path), field="version")
    return version


def _checked(values: dict[str, Any], path: Path) -> dict[str, Any]:
    """Refuse values of the wrong type, naming the field (a hand-edited file, a bad merge)."""
    defaults = Settings()
    for name, value in values.items():
        default = getattr(defaults, name)
        if name == "recent_databases":
            ok = isinstance(value, list | tuple) and all(isinstance(v, str) for v in value)
            values[name] = tuple(value) if ok else value
        else:
            # bool is an int in Python; keep them apart so "mask_callers": 1 is refused.
            ok = type(value) is type(default)
        if ok and name == "timezone":
            ok = _is_zone(value)
        if not ok:
            raise DataError(f"{value!r} is not a valid value", source=str(path), field=name)
    return values


def _is_zone(name: str) -> bool:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):  # OSError: "America" is a folder
        return False
    return True


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
    _version_of(raw, path)
    raw = upgrade(raw)
    known = {f.name for f in fields(Settings)}
    unknown = sorted(set(raw) - known - {"version"})
    if unknown:  # a newer ppcdesk of the same version never writes these: just note them
        log.info("ignoring unknown settings %s in %s", unknown, path)
    return Settings(**_checked({k: v for k, v in raw.items() if k in known}, path))


def save(folder: Path, settings: Settings) -> None:
    data = {"version": VERSION, **asdict(settings)}
    data["recent_databases"] = list(settings.recent_databases)
    write_text_atomic(folder / FILE_NAME, json.dumps(data, indent=2, sort_keys=True) + "\n")
