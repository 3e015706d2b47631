"""Column mappings and named presets: which of a partner's columns means what.

A preset names a partner and says, once, how their export is laid out: which header holds the
caller, the start time (and the zone it is written in), the duration, the amount, their call
id, the status and the campaign; whether dates are US (``03/01/2026 2:05 PM``) or ISO
(``2026-03-01 14:05``); how many days they allow for disputes. Presets are stored in the
workspace (``recon_presets``) as JSON; two built-in ones cover the plain layouts.

To add a built-in preset: add a ``Preset`` to ``BUILTIN_PRESETS`` with the headers as the
partner's export writes them (matched without regard to case or surrounding spaces).
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field, fields, replace
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from ppcdesk.core.errors import DataError
from ppcdesk.recon.records import Verdict

DATE_FORMATS = ("iso", "us")
# The fields a report can map, in the order the import wizard shows them.
FIELDS = ("time", "caller", "duration", "amount", "call_id", "status", "campaign")
REQUIRED = ("time",)


class PresetError(DataError):
    """A preset or mapping that cannot be used (unknown zone, no time column, bad JSON)."""


@dataclass(frozen=True, slots=True)
class ColumnMapping:
    """Header names for each field (None: the report does not have it)."""

    time: str = ""
    caller: str | None = None
    duration: str | None = None
    amount: str | None = None
    call_id: str | None = None
    status: str | None = None
    campaign: str | None = None
    timezone: str = "UTC"  # the zone of times written without an offset
    timezone_column: str | None = None  # a column naming each row's zone, when there is one
    date_format: str = "iso"  # iso | us | a strftime pattern such as "%d.%m.%Y %H:%M"
    # Extra status words (lower case) and what they mean, beside the usual ones.
    statuses: dict[str, Verdict] = field(default_factory=dict)

    def columns(self) -> dict[str, str]:
        """The mapped fields and their headers (the zone column too, as "timezone")."""
        mapped = {name: getattr(self, name) for name in FIELDS if getattr(self, name)}
        if self.timezone_column:
            mapped["timezone"] = self.timezone_column
        return mapped

    def check(self) -> ColumnMapping:
        """Return self if usable; raise PresetError saying what is wrong otherwise."""
        if not self.time:
            raise PresetError("the mapping has no time column (every line needs a start time)")
        try:
            ZoneInfo(self.timezone)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise PresetError(f"{self.timezone!r} is not a time zone "
                              "(use a name such as America/New_York)") from exc
        if self.date_format not in DATE_FORMATS and "%" not in self.date_format:
            raise PresetError(f"date format {self.date_format!r} is not iso, us or a pattern")
        return self


@dataclass(frozen=True, slots=True)
class Preset:
    """A named mapping for one partner's reports."""

    name: str
    mapping: ColumnMapping
    partner: str = ""  # the buyer or publisher whose report this is
    dispute_window_days: int = 30  # how long after a call they accept a dispute
    builtin: bool = False

    def to_json(self) -> str:
        body = asdict(self)
        body.pop("builtin")
        body["mapping"]["statuses"] = {k: str(v) for k, v in self.mapping.statuses.items()}
        return json.dumps(body, sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> Preset:
        try:
            body = json.loads(text)
            known = {f.name for f in fields(ColumnMapping)}
            raw = {k: v for k, v in body["mapping"].items() if k in known}
            raw["statuses"] = {k: Verdict(v) for k, v in raw.get("statuses", {}).items()}
            mapping = ColumnMapping(**raw)
            return cls(name=str(body["name"]), mapping=mapping.check(),
                       partner=str(body.get("partner", "")),
                       dispute_window_days=int(body.get("dispute_window_days", 30)))
        except (KeyError, TypeError, ValueError) as exc:
            raise PresetError(f"a stored preset cannot be read ({exc})") from exc

    def for_partner(self, partner: str) -> Preset:
        return replace(self, partner=partner)


BUILTIN_PRESETS: tuple[Preset, ...] = (
    Preset("generic-iso", ColumnMapping(
        time="started_at", caller="caller", duration="duration", amount="amount",
        call_id="call_id", status="status", campaign="campaign", date_format="iso"),
        builtin=True),
    Preset("generic-us", ColumnMapping(
        time="Call Date", caller="Caller ID", duration="Duration", amount="Payout",
        call_id="Call ID", status="Status", campaign="Campaign", date_format="us",
        timezone="America/New_York"), builtin=True),
)


def builtin(name: str) -> Preset | None:
    return next((p for p in BUILTIN_PRESETS if p.name == name), None)


def guess_mapping(header: tuple[str, ...]) -> ColumnMapping:
    """A first mapping for the wizard, from header words ("Caller ID" -> caller, ...)."""
    hints: dict[str, tuple[str, ...]] = {
        "time": ("start", "date", "time", "called at"),
        "caller": ("caller", "ani", "from", "phone"),
        "duration": ("duration", "length", "seconds", "talk"),
        "amount": ("amount", "payout", "revenue", "paid", "price", "conversion"),
        "call_id": ("call id", "call_id", "callid", "sid", "id"),
        "status": ("status", "disposition", "billable", "result"),
        "campaign": ("campaign", "offer"),
    }
    found: dict[str, Any] = {}
    taken: set[str] = set()
    for name, words in hints.items():
        for word in words:
            column = next((h for h in header if word in h.lower() and h not in taken), None)
            if column is not None:
                found[name] = column
                taken.add(column)
                break
    return ColumnMapping(**found)
