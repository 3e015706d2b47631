"""A contract's terms as one frozen value: what the engine applies and the file format stores.

A contract binds a campaign (or every campaign) to one counterparty: a buyer, who pays us for
qualified calls (revenue), or a publisher, whom we pay (payout). The terms are checked when they
are built (:func:`Terms.problems` lists what is wrong in words, keyed by the file's dotted key),
so the engine never meets a negative amount or two tiers at one threshold.

Example: "pays $45 for calls connected 90 s or more, Mon-Fri 8:00-18:00 Phoenix time, Arizona
callers only, one call per caller per 30 days, at most 20 a day" is ``Terms(name=...,
counterparty=BUYER, party="Desert Auto", timezone="America/Phoenix", buffer_s=90,
price=Price(fixed_micros=45_000_000), hours=Hours(weekly=(workday,) * 5 + ((), ())),
geography=Geography(allowed_states=frozenset({"AZ"})), duplicates=Duplicates(30 * 86400),
caps=Caps(daily=20))``.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from enum import StrEnum
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from ppcdesk.core.model import Counterparty
from ppcdesk.core.phone import US_STATES

DAY_S = 86_400
WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
STATE_CODES = frozenset(US_STATES.values())  # US states, DC, PR, Canadian provinces
_AREA_CODE = re.compile(r"[2-9][0-9][0-9]")  # a NANP area code (NPA)
_E164 = re.compile(r"\+[1-9][0-9]{6,14}")


class BufferBasis(StrEnum):
    """What the buffer is measured on."""

    CONNECTED = "connected"  # talk time with the buyer (the answered child leg): the default
    CALL = "call"  # the caller's whole call, from its start


class DuplicateScope(StrEnum):
    """Which earlier calls of the same caller count."""

    CAMPAIGN = "campaign"  # same campaign (the default)
    BUYER = "buyer"  # answered by the same buyer
    ALL = "all"  # any call in the workspace


class DuplicateBasis(StrEnum):
    """Which earlier calls make a later one a duplicate."""

    CONNECTED = "connected"  # earlier calls that connected to a buyer (the default)
    QUALIFIED = "qualified"  # earlier calls this contract billed (or paid)


class UnknownState(StrEnum):
    """What geography does with a caller whose state cannot be told."""

    ALLOW = "allow"
    BLOCK = "block"


@dataclass(frozen=True, slots=True, order=True)
class Tier:
    """Pays ``amount_micros`` for a call that reached ``min_s`` (the highest tier reached pays)."""

    min_s: int
    amount_micros: int


@dataclass(frozen=True, slots=True)
class Price:
    """What a qualified call is worth: a fixed amount, tiers by duration, or a revenue share.

    Exactly one of the three. Tiers are measured like the buffer. ``revenue_share`` (publisher
    contracts only) pays that fraction of what the buyers paid for the call: ``Decimal("0.6")``.
    """

    fixed_micros: int | None = None
    tiers: tuple[Tier, ...] = ()
    revenue_share: Decimal | None = None


@dataclass(frozen=True, slots=True, order=True)
class Block:
    """Open from ``start_min`` to ``end_min`` minutes after local midnight (end excluded)."""

    start_min: int
    end_min: int


@dataclass(frozen=True, slots=True)
class Hours:
    """A weekly schedule in the contract's zone: ``weekly[0]`` is Monday's blocks; closed dates.

    A call is inside hours when its local start time falls in one of its weekday's blocks and its
    local date is not closed.
    """

    weekly: tuple[tuple[Block, ...], ...]  # seven entries, Monday first
    closed_dates: frozenset[date] = frozenset()


@dataclass(frozen=True, slots=True)
class Geography:
    """Allowed or blocked states (two-letter) and area codes; empty "allowed" means all."""

    allowed_states: frozenset[str] = frozenset()
    blocked_states: frozenset[str] = frozenset()
    allowed_area_codes: frozenset[str] = frozenset()
    blocked_area_codes: frozenset[str] = frozenset()
    unknown_state: UnknownState = UnknownState.ALLOW


@dataclass(frozen=True, slots=True)
class Callers:
    """Which callers never qualify."""

    block_anonymous: bool = True
    block_invalid: bool = True
    us_ca_only: bool = False
    blocklist: frozenset[str] = frozenset()  # E.164 numbers


@dataclass(frozen=True, slots=True)
class Duplicates:
    """One qualifying call per caller per ``window_s`` seconds, within ``scope``."""

    window_s: int
    scope: DuplicateScope = DuplicateScope.CAMPAIGN
    basis: DuplicateBasis = DuplicateBasis.CONNECTED


@dataclass(frozen=True, slots=True)
class Caps:
    """At most this many qualified calls per local hour, day, week (from Monday) and month.

    Counted in call order among the calls that pass every other rule. ``concurrency``: at most
    this many of the contract's calls connected at the same moment.
    """

    hourly: int | None = None
    daily: int | None = None
    weekly: int | None = None
    monthly: int | None = None
    concurrency: int | None = None


@dataclass(frozen=True, slots=True)
class Terms:
    """One contract: who, for which campaign, and the rules in the engine's fixed order."""

    name: str
    counterparty: Counterparty
    party: str  # the buyer's or the publisher's name
    campaign: str | None  # None: every campaign
    timezone: str
    price: Price
    buffer_s: int = 0
    buffer_basis: BufferBasis = BufferBasis.CONNECTED
    duplicates: Duplicates | None = None
    hours: Hours | None = None  # None: always open
    geography: Geography = field(default_factory=Geography)
    callers: Callers = field(default_factory=Callers)
    caps: Caps = field(default_factory=Caps)
    effective_from: date | None = None  # calls before this date are not this version's
    note: str = ""

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def problems(self) -> list[tuple[str, str]]:
        """What is wrong with these terms: (dotted key, why) pairs; empty when they are sound."""
        found: list[tuple[str, str]] = []
        if not self.name.strip():
            found.append(("name", "a contract needs a name"))
        if not self.party.strip():
            found.append((self.counterparty.value, "names no " + self.counterparty.value))
        try:
            ZoneInfo(self.timezone)
        except (ZoneInfoNotFoundError, ValueError):
            found.append(("timezone", f"{self.timezone!r} is not a zone like America/Phoenix"))
        if self.buffer_s < 0:
            found.append(("buffer", "cannot be negative"))
        found.extend(_price_problems(self.price, self.counterparty))
        if self.duplicates is not None and self.duplicates.window_s <= 0:
            found.append(("duplicates.window", "must be longer than zero"))
        if self.campaign is not None and not self.campaign.strip():
            found.append(("campaign", "names no campaign (leave it out for every campaign)"))
        if self.hours is not None:
            found.extend(_hours_problems(self.hours))
        found.extend(_geography_problems(self.geography))
        found.extend(("callers.blocklist", f"{number!r} is not an E.164 number like +16025550123")
                     for number in sorted(self.callers.blocklist)
                     if not _E164.fullmatch(number))
        for key in ("hourly", "daily", "weekly", "monthly", "concurrency"):
            value = getattr(self.caps, key)
            if value is not None and value < 0:
                found.append((f"caps.{key}", "cannot be negative"))
        return found


def _price_problems(price: Price, counterparty: Counterparty) -> list[tuple[str, str]]:
    found: list[tuple[str, str]] = []
    kinds = sum((price.fixed_micros is not None, bool(price.tiers),
                 price.revenue_share is not None))
    if kinds != 1:
        found.append(("price", "give exactly one of: amount, tiers, revenue_share"))
    if price.fixed_micros is not None and price.fixed_micros < 0:
        found.append(("price.amount", "cannot be negative"))
    seen: set[int] = set()
    for index, tier in enumerate(price.tiers):
        key = f"price.tiers[{index}]"
        if tier.amount_micros < 0:
            found.append((key, "amount cannot be negative"))
        if tier.min_s < 0:
            found.append((key, "from cannot be negative"))
        if tier.min_s in seen:
            found.append((key, f"overlaps another tier starting at {tier.min_s} s"))
        seen.add(tier.min_s)
    if price.revenue_share is not None:
        if counterparty is not Counterparty.PUBLISHER:
            found.append(("price.revenue_share", "only a publisher contract pays a share"))
        if not Decimal(0) <= price.revenue_share <= Decimal(1):
            found.append(("price.revenue_share", "must be between 0% and 100%"))
    return found


def _hours_problems(hours: Hours) -> list[tuple[str, str]]:
    found: list[tuple[str, str]] = []
    if len(hours.weekly) != 7:
        return [("hours", "needs one entry per weekday, Monday first")]
    if not any(hours.weekly):
        # Never open would refuse every call; "always open" is no hours at all.
        found.append(("hours", "opens on no day (leave hours out to be always open)"))
    for day, blocks in zip(WEEKDAYS, hours.weekly, strict=True):
        key = f"hours.{day.lower()}"
        ordered = sorted(blocks)
        found.extend(
            (key, f"{_span(block)} is not a block of the day (start before end, 00:00-24:00)")
            for block in ordered if not 0 <= block.start_min < block.end_min <= 1440)
        found.extend((key, f"blocks {_span(first)} and {_span(second)} overlap")
                     for first, second in itertools.pairwise(ordered)
                     if second.start_min < first.end_min)
    return found


def _geography_problems(geography: Geography) -> list[tuple[str, str]]:
    found: list[tuple[str, str]] = []
    for key in ("allowed_states", "blocked_states"):
        found.extend(
            (f"geography.{key}", f"{code!r} is not a US state or Canadian province code like AZ")
            for code in sorted(getattr(geography, key)) if code not in STATE_CODES)
    for key in ("allowed_area_codes", "blocked_area_codes"):
        found.extend((f"geography.{key}", f"{code!r} is not an area code like 602")
                     for code in sorted(getattr(geography, key))
                     if not _AREA_CODE.fullmatch(code))
    found.extend(("geography.blocked_states", f"{code} is both allowed and blocked")
                 for code in sorted(geography.allowed_states & geography.blocked_states))
    return found


def _span(block: Block) -> str:
    return "-".join(f"{m // 60:02d}:{m % 60:02d}" for m in (block.start_min, block.end_min))
