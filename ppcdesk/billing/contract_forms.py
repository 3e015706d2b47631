"""The readable forms a contract file writes values in, read and written both ways.

A contract file is read by people, so its values are written as people say them: money as
``"$45.00"`` (a string: ``12.99`` as a TOML float is not exactly 12.99), durations as ``"90s"``
or ``"30d"``, opening hours as ``"08:00-18:00"``, a revenue share as ``"60%"``. Each ``read_*``
turns a TOML value into the :mod:`ppcdesk.billing.terms` value or raises :class:`FormError`
with the reason; each ``write_*`` gives the one canonical form ``read_*`` turns back into the
same value (``read_duration(write_duration(s)) == s``), which is what makes export round-trip.
"""

from __future__ import annotations

import difflib
import re
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from ppcdesk.billing.terms import Block
from ppcdesk.core.errors import MoneyError, PhoneNumberError
from ppcdesk.core.money import Money, to_micros
from ppcdesk.core.phone import US_STATES, normalize

_UNITS = {"d": 86_400, "h": 3_600, "m": 60, "s": 1}
# ASCII only: \d would also take Arabic-Indic digits for a duration.
_DURATION = re.compile(r"(?:(\d+)\s*d)?\s*(?:(\d+)\s*h)?\s*(?:(\d+)\s*m)?\s*(?:(\d+)\s*s)?",
                       re.ASCII)
_CLOCK = re.compile(r"(\d{1,2}):(\d{2})", re.ASCII)
_SHARE = re.compile(r"(\d+(?:\.\d+)?)\s*%", re.ASCII)
_MICRO_EXPONENT = -6
# phone.US_STATES maps the geocoder's names to codes, with a few aliases; one name per code.
_ALIASES = frozenset({"Washington D.C.", "Washington DC", "Washington State"})
STATE_NAMES = {code: name for name, code in US_STATES.items() if name not in _ALIASES}


class FormError(ValueError):
    """A value not written in its readable form; the message says what to write instead."""


def _kind(value: object) -> str:
    return {bool: "a true/false", int: "a number", float: "a decimal number", list: "a list",
            dict: "a table", str: "a string"}.get(type(value), type(value).__name__)


def read_text(value: object) -> str:
    if not isinstance(value, str):
        raise FormError(f"must be a string in quotes, not {_kind(value)}")
    return value


def read_bool(value: object) -> bool:
    if not isinstance(value, bool):
        raise FormError(f"must be true or false, not {_kind(value)}")
    return value


def read_count(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise FormError(f"must be a whole number, not {_kind(value)}")
    return value


def read_choice(value: object, choices: tuple[str, ...]) -> str:
    text = read_text(value)
    if text not in choices:
        raise FormError(f"{text!r} is not one of: {', '.join(choices)}")
    return text


def read_money(value: object) -> int:
    """Read ``"$45.00"``, ``"45"`` or ``"0.0085"`` (an int of whole units too) as micros."""
    if isinstance(value, float):
        raise FormError(f"{value!r} is a decimal number, which is not exact: write it as a "
                        f'string, "{value}"')
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise FormError(f'must be an amount like "$45.00", not {_kind(value)}')
    try:
        micros = to_micros(value)
        if isinstance(value, str):
            digits = value.replace(",", "").replace("$", "").strip("()+- ")
            exponent = Decimal(digits).as_tuple().exponent
            if isinstance(exponent, int) and exponent < _MICRO_EXPONENT:
                raise FormError(f"{value!r} is finer than a millionth")
    except (MoneyError, InvalidOperation) as exc:
        raise FormError(f'{value!r} is not an amount like "$45.00"') from exc
    return micros


def write_money(micros: int) -> str:
    return Money(micros).format(precise=True)


def read_duration(value: object) -> int:
    """Read ``"90s"``, ``"2m"``, ``"36h"``, ``"30d"`` or ``"1h30m"`` as seconds."""
    if isinstance(value, bool) or not isinstance(value, str):
        hint = f'"{value}s"' if isinstance(value, int) and not isinstance(value, bool) else '"90s"'
        raise FormError(f"must be a duration with its unit, like {hint}, not {_kind(value)}")
    match = _DURATION.fullmatch(value.strip())
    if not value.strip() or match is None:
        raise FormError(f'{value!r} is not a duration like "90s", "2m", "36h" or "30d"')
    return sum(int(number) * unit for number, unit in zip(match.groups(), _UNITS.values(),
                                                           strict=True) if number)


def write_duration(seconds: int, *, unit: str | None = None) -> str:
    """Write ``seconds`` in ``unit``, or else in the largest unit that divides it exactly."""
    if unit is not None:
        return f"{seconds}{unit}"
    for name, size in _UNITS.items():
        if seconds and seconds % size == 0:
            return f"{seconds // size}{name}"
    return f"{seconds}s"


def _read_clock(text: str, whole: str) -> int:
    match = _CLOCK.fullmatch(text.strip())
    if match is None:
        raise FormError(f'{whole!r} is not a block like "08:00-18:00"')
    hours, minutes = int(match[1]), int(match[2])
    if minutes >= 60 or hours > 24 or (hours == 24 and minutes):
        raise FormError(f"{whole!r}: {text.strip()} is not a time of day (00:00 to 24:00)")
    return hours * 60 + minutes


def read_block(value: object) -> Block:
    """Read ``"08:00-18:00"`` (24:00 ends a block at midnight) as a :class:`Block`."""
    text = read_text(value)
    start, sep, end = text.partition("-")
    if not sep:
        raise FormError(f'{text!r} is not a block like "08:00-18:00"')
    return Block(_read_clock(start, text), _read_clock(end, text))


def write_block(block: Block) -> str:
    return "-".join(f"{m // 60:02d}:{m % 60:02d}" for m in (block.start_min, block.end_min))


def read_share(value: object) -> Decimal:
    """Read ``"60%"`` as ``Decimal("0.60")``."""
    if isinstance(value, float | int) and not isinstance(value, bool):
        raise FormError(f'must be a percentage in quotes, like "{value}%"')
    match = _SHARE.fullmatch(read_text(value).strip())
    if match is None:
        raise FormError(f'{value!r} is not a share like "60%"')
    return Decimal(match[1]).scaleb(-2)


def write_share(share: Decimal) -> str:
    percent = share.scaleb(2).normalize()
    return f"{abs(percent) if percent.is_zero() else percent:f}%"  # never "-0%"


def read_date(value: object) -> date:
    """Read a TOML date (``2026-12-25``, no quotes) or the same as a string."""
    if isinstance(value, datetime):
        raise FormError(f"{value.isoformat()} is a moment: give the day alone, like 2026-12-25")
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(read_text(value))
    except ValueError as exc:
        raise FormError(f"{value!r} is not a date like 2026-12-25") from exc


def read_state(value: object) -> str:
    """Read a two-letter state or province code (any case); a full name gets its code named."""
    text = read_text(value).strip()
    code = text.upper()
    if code in STATE_NAMES:
        return code
    named = {name.lower(): c for name, c in US_STATES.items()}.get(text.lower())
    if named is not None:
        raise FormError(f"write {text!r} as its two-letter code, {named!r}")
    raise FormError(f"{text!r} is not a US state or Canadian province code like 'AZ'")


def read_area_code(value: object) -> str:
    if isinstance(value, int) and not isinstance(value, bool):
        raise FormError(f'write area codes as strings, like "{value}"')
    text = read_text(value).strip()
    if not re.fullmatch(r"[2-9][0-9][0-9]", text):
        raise FormError(f"{text!r} is not an area code like '602'")
    return text


def read_phone(value: object) -> str:
    """Read a phone number as people write it; keep it as E.164 (``+16025550131``)."""
    try:
        return normalize(read_text(value))
    except PhoneNumberError as exc:
        raise FormError(f"{value!r} is not a phone number") from exc


def read_zone(value: object) -> str:
    """Read an IANA time zone name (``America/Phoenix``); a near miss gets a suggestion."""
    text = read_text(value)
    try:
        ZoneInfo(text)
    except (ZoneInfoNotFoundError, ValueError):
        close = difflib.get_close_matches(text, sorted(available_timezones()), n=1)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        raise FormError(f"{text!r} is not a time zone like 'America/Phoenix'{hint}") from None
    return text
