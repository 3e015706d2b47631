"""How much recording audio to keep: a size cap and an age limit, metadata always kept.

Twilio bills storage beyond 10,000 minutes and a laptop's disk is finite, so the user chooses a
cap (MB, 0 = none) and a retention (days, 0 = forever). The plan is a pure function over what
is cached: first every file older than the retention, then the oldest others until the rest
fits under the cap. The policy lives in ``recordings.json`` beside the settings (atomic).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from ppcdesk.config.atomic import write_text_atomic
from ppcdesk.core.errors import DataError

POLICY_FILE = "recordings.json"
DAY = 86_400


@dataclass(frozen=True, slots=True)
class RetentionPolicy:
    max_megabytes: int = 0  # 0: no cap
    keep_days: int = 0  # 0: keep audio forever
    # After a bulk download, delete on Twilio what was verified here (asked each time).
    delete_on_twilio: bool = False


@dataclass(frozen=True, slots=True)
class CachedFile:
    """A recording whose audio is in the cache: when it was recorded and its size."""

    sid: str
    recorded_at: int
    size_bytes: int


def plan_drops(files: list[CachedFile], policy: RetentionPolicy, now: int) -> list[CachedFile]:
    """The files to drop, oldest first: past the retention, then over the cap.

    Example: cap 1 MB, keep 30 days, files of 600 kB at days -40, -10, -1: the first goes for
    its age; the other two make 1.2 MB, so the older (day -10) goes too.
    """
    ordered = sorted(files, key=lambda f: (f.recorded_at, f.sid))
    drops: list[CachedFile] = []
    kept: list[CachedFile] = []
    for item in ordered:
        too_old = policy.keep_days > 0 and item.recorded_at < now - policy.keep_days * DAY
        (drops if too_old else kept).append(item)
    if policy.max_megabytes > 0:
        budget = policy.max_megabytes * 1_000_000
        total = sum(f.size_bytes for f in kept)
        for item in kept:
            if total <= budget:
                break
            drops.append(item)
            total -= item.size_bytes
    return drops


def verified(path: Path, size: int | None, sha256: str | None) -> bool:
    """Whether ``path`` is the file that was downloaded: its size and SHA-256 as recorded."""
    if size is None or not sha256 or not path.is_file() or path.stat().st_size != size:
        return False
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest() == sha256


def load_policy(folder: Path) -> RetentionPolicy:
    path = folder / POLICY_FILE
    if not path.exists():
        return RetentionPolicy()
    try:
        raw = json.loads(path.read_text("utf-8"))
    except (OSError, ValueError) as exc:
        raise DataError(f"cannot read the recordings policy ({exc})", source=str(path)) from exc
    values: dict[str, Any] = {}
    flag = raw.get("delete_on_twilio", False) if isinstance(raw, dict) else None
    if not isinstance(flag, bool):
        raise DataError(f"{flag!r} is not true or false", source=str(path),
                        field="delete_on_twilio")
    values["delete_on_twilio"] = flag
    for name in ("max_megabytes", "keep_days"):
        value = raw.get(name, 0) if isinstance(raw, dict) else None
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise DataError(f"{value!r} is not a whole number >= 0", source=str(path),
                            field=name)
        values[name] = value
    return RetentionPolicy(**values)


def save_policy(folder: Path, policy: RetentionPolicy) -> None:
    for name, value in asdict(policy).items():
        if not isinstance(value, bool) and value < 0:
            raise DataError(f"{value} must be 0 or more", field=name)
    write_text_atomic(folder / POLICY_FILE, json.dumps(asdict(policy), indent=2) + "\n")
