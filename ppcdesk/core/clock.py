"""Clocks: code that needs "now" receives one, so tests can fix time."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo


class Clock(Protocol):
    def now(self) -> datetime:
        """Return the current time, timezone-aware, in UTC."""
        ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


class FixedClock:
    """A clock that stays where it is put (and moves only when told), for tests."""

    def __init__(self, at: datetime) -> None:
        if at.tzinfo is None:
            raise ValueError("FixedClock needs an aware datetime")
        self._at = at.astimezone(UTC)

    def now(self) -> datetime:
        return self._at

    def advance(self, delta: timedelta) -> None:
        self._at += delta


def to_epoch(moment: datetime) -> int:
    """Aware datetime to integer UTC epoch seconds (how times are stored)."""
    if moment.tzinfo is None:
        raise ValueError(f"{moment!r} has no time zone; ppcdesk stores UTC only")
    return int(moment.timestamp())


def from_epoch(seconds: int, zone: str | ZoneInfo = "UTC") -> datetime:
    """Integer UTC epoch seconds to an aware datetime in ``zone``."""
    tz = zone if isinstance(zone, ZoneInfo) else ZoneInfo(zone)
    return datetime.fromtimestamp(seconds, UTC).astimezone(tz)


def day_start_epoch(day: date, zone: str) -> int:
    """The UTC epoch second at which ``day`` begins in ``zone``."""
    return to_epoch(datetime(day.year, day.month, day.day, tzinfo=ZoneInfo(zone)))
