"""How values look on screen: money, durations, times in the workspace's zone, numbers."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from ppcdesk.core.money import Money
from ppcdesk.core.phone import format_national, mask


def money(micros: int | None, *, precise: bool = False) -> str:
    return "—" if micros is None else Money(micros).format(precise=precise)


def duration(seconds: int | None) -> str:
    if seconds is None:
        return "—"
    minutes, secs = divmod(int(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def when(epoch: int | None, zone: str, *, seconds: bool = False) -> str:
    if epoch is None:
        return "—"
    moment = datetime.fromtimestamp(epoch, UTC).astimezone(ZoneInfo(zone))
    return moment.strftime("%Y-%m-%d %H:%M:%S" if seconds else "%Y-%m-%d %H:%M")


def phone(e164: str, *, masked: bool = False) -> str:
    if not e164.startswith("+"):
        return e164
    return mask(e164) if masked else format_national(e164)


def count(value: int) -> str:
    return f"{value:,}"


def percent(part: int, whole: int) -> str:
    return "n/a" if whole == 0 else f"{100 * part / whole:.1f}%"


def change(current: float, previous: float) -> tuple[str, int]:
    """The change against the previous period as text, and its sign (-1, 0, 1)."""
    if previous == 0:
        return ("new" if current else "—"), 0
    delta = (current - previous) / previous
    sign = (delta > 0) - (delta < 0)
    arrow = "▲" if sign > 0 else "▼" if sign < 0 else "■"
    return f"{arrow} {abs(delta):.1%} vs previous", sign
