"""A contract's rules compiled once into tables the engine reads per call, in a fixed order.

The engine applies the rules in :data:`RULE_ORDER` and lists every one that fails. This module
holds everything a rule needs that does not depend on other calls (callers, geography, hours,
connection, buffer, price) and the calendar arithmetic the stateful rules (duplicates, caps,
concurrency, in ``engine``) key their counters on. ``explain`` and the engine's reference loop
call :meth:`Rules.static_bits`; the engine's array path (``_vector``) reads the same tables,
and property tests hold all three to the same verdicts, so the words never disagree.

Why tables: a million calls under ten contracts leaves about a microsecond per (call, contract)
pair. ``zoneinfo`` per call, ``phonenumbers`` per caller (~100 us) or ``Decimal`` per amount would
each cost more than the whole budget, so the zone offset is cached per UTC hour, caller validity
per NANP prefix (NPA-NXX), the week's opening hours are one byte per minute, and a revenue share
is an integer ratio rounded half to even.

To add a rule: give it a :class:`~ppcdesk.core.reasons.Reason`, put it in :data:`RULE_ORDER`,
check it in :meth:`Rules.static_bits` (or in ``engine`` if it needs earlier calls), and give it
a trace in ``explain``.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from functools import lru_cache
from zoneinfo import ZoneInfo

from ppcdesk.billing.facts import CallFacts
from ppcdesk.billing.terms import (
    BufferBasis,
    DuplicateBasis,
    Terms,
    UnknownState,
)
from ppcdesk.core import phone
from ppcdesk.core.model import Counterparty
from ppcdesk.core.reasons import Reason, ReasonFlag

HOUR_S = 3_600
DAY_S = 86_400
WEEK_MIN = 7 * 1_440
EPOCH_ORDINAL = date(1970, 1, 1).toordinal()  # local day numbers count from 1970-01-01
# datetime's range, less a margin for any zone's offset: odd timestamps are clamped, not raised.
_MIN_T, _MAX_T = -62_135_596_800 + 2 * DAY_S, 253_402_300_799 - 2 * DAY_S

# The engine's fixed order: what a call is (final), who calls (callers, geography), when
# (hours), how it went (connected, buffer), then what other calls decide (duplicates, caps).
RULE_ORDER: tuple[Reason, ...] = (
    Reason.NOT_FINAL, Reason.CALLER_BLOCKED, Reason.GEO_BLOCKED, Reason.GEO_UNKNOWN,
    Reason.AFTER_HOURS, Reason.NOT_CONNECTED, Reason.SHORT, Reason.DUPLICATE,
    Reason.OVER_CAP, Reason.OVER_CONCURRENCY,
)
NOT_FINAL = int(ReasonFlag.NOT_FINAL)
CALLER_BLOCKED = int(ReasonFlag.CALLER_BLOCKED)
GEO_BLOCKED = int(ReasonFlag.GEO_BLOCKED)
GEO_UNKNOWN = int(ReasonFlag.GEO_UNKNOWN)
AFTER_HOURS = int(ReasonFlag.AFTER_HOURS)
NOT_CONNECTED = int(ReasonFlag.NOT_CONNECTED)
SHORT = int(ReasonFlag.SHORT)
DUPLICATE = int(ReasonFlag.DUPLICATE)
OVER_CAP = int(ReasonFlag.OVER_CAP)
OVER_CONCURRENCY = int(ReasonFlag.OVER_CONCURRENCY)

_REASONS: dict[int, tuple[Reason, ...]] = {0: ()}


def reasons_of(bits: int) -> tuple[Reason, ...]:
    """The reasons of a flags integer, in the engine's order (one shared tuple per value)."""
    found = _REASONS.get(bits)
    if found is None:
        found = _REASONS[bits] = tuple(r for r in RULE_ORDER if bits & r.flag)
    return found


class LocalClock:
    """Turn UTC epoch seconds into local wall-clock seconds of one zone, fast and exactly.

    The offset is looked up once per UTC hour and cached; an hour in which the offset changes
    (a DST switch off the hour, rare) is never cached and is asked of ``zoneinfo`` per call.
    ``local(t) // 86400`` is the local day number, ``local(t) % 86400`` the time of day.
    """

    __slots__ = ("offsets", "zone")

    def __init__(self, zone: ZoneInfo) -> None:
        self.zone = zone
        self.offsets: dict[int, int] = {}

    def exact_offset(self, t: int) -> int:
        t = min(max(t, _MIN_T), _MAX_T)
        offset = datetime.fromtimestamp(t, self.zone).utcoffset()
        return 0 if offset is None else int(offset.total_seconds())

    def offset(self, t: int) -> int:
        bucket = t // HOUR_S
        found = self.offsets.get(bucket)
        if found is not None:
            return found
        first = self.exact_offset(bucket * HOUR_S)
        if first == self.exact_offset(bucket * HOUR_S + HOUR_S - 1):
            self.offsets[bucket] = first
            return first
        return self.exact_offset(t)

    def local(self, t: int) -> int:
        return t + self.offset(t)

    def midnight(self, day: int) -> int:
        """The first UTC instant of local day number ``day`` (never later than the true one).

        ``fold=0`` picks the first of a repeated midnight, and a skipped midnight lands on the
        instant the clocks jumped: both are where that local date begins.
        """
        local = datetime.combine(date.fromordinal(day + EPOCH_ORDINAL), datetime.min.time(),
                                 tzinfo=self.zone)
        return int(local.timestamp())


@lru_cache(maxsize=64)
def clock_for(timezone: str) -> LocalClock:
    """One shared clock (and offset cache) per zone name."""
    return LocalClock(ZoneInfo(timezone))


_MONTHS: dict[int, int] = {}


def month_of(day: int) -> int:
    """The month number (year * 12 + month - 1) of a local day number, memoised per day."""
    found = _MONTHS.get(day)
    if found is None:
        d = date.fromordinal(day + EPOCH_ORDINAL)
        found = _MONTHS[day] = d.year * 12 + d.month - 1
    return found


def weekday_of(day: int) -> int:
    """Monday 0 .. Sunday 6 of a local day number (1970-01-01 was a Thursday)."""
    return (day + 3) % 7


# Caller classes (bits): who a caller is does not depend on the contract, so it is memoised.
ANONYMOUS, INVALID, FOREIGN = 1, 2, 4
_NANP: dict[str, int] = {}  # "+1NPANXX" -> class of every number in that prefix
_OTHER: dict[str, int] = {}


def caller_class(caller: str) -> int:
    """ANONYMOUS, INVALID (per ppcdesk.core.phone) and FOREIGN (not US/CA) bits of a caller.

    North American numbers are judged once per NPA-NXX prefix, from a fixed number in it:
    libphonenumber's US and Canadian patterns never split a prefix (a test compares it with
    ``phone.geo`` on random numbers), and asking about a fixed number keeps the answer the same
    whatever caller was seen first.
    """
    if len(caller) == 12 and caller.startswith("+1") and caller[2:].isdigit():
        prefix = caller[:8]
        found = _NANP.get(prefix)
        if found is None:
            found = _NANP[prefix] = _classify(prefix + "2000")
        return found
    found = _OTHER.get(caller)
    if found is None:
        found = _classify(caller)
        if len(_OTHER) < 100_000:
            _OTHER[caller] = found
    return found


def _classify(caller: str) -> int:
    if phone.is_anonymous(caller):
        return ANONYMOUS
    if len(caller) == 12 and caller.startswith("+1") and caller[2:].isdigit():
        return _nanp_class(caller[2:])
    geo = phone.geo(caller)
    if not geo.valid:
        return INVALID | FOREIGN
    return 0 if geo.region in {"US", "CA"} else FOREIGN


@lru_cache(maxsize=1)
def _nanp_regions() -> tuple[tuple[str, re.Pattern[str] | None, tuple[re.Pattern[str], ...]],
                             ...]:
    """Per NANP region, in libphonenumber's order: its leading digits and its valid patterns.

    The same metadata and steps as ``phonenumbers.is_valid_number`` and
    ``region_code_for_number``, without their per-call overhead (~40-90 us against ~5 us).
    """
    from phonenumbers import PhoneMetadata
    from phonenumbers.phonenumberutil import COUNTRY_CODE_TO_REGION_CODE

    regions = []
    for region in COUNTRY_CODE_TO_REGION_CODE[1]:
        meta = PhoneMetadata.metadata_for_region(region, None)
        if meta is None:
            continue
        descs = [meta.general_desc] + [
            getattr(meta, kind) for kind in (  # most callers' kinds first: any() stops there
                "fixed_line", "mobile", "toll_free", "premium_rate", "shared_cost", "voip",
                "personal_number", "pager", "uan", "voicemail")]
        patterns = tuple(
            re.compile(d.national_number_pattern) if 10 in (d.possible_length or (10,))
            else _NEVER for d in descs
            if d is not None and d.national_number_pattern)
        leading = re.compile(meta.leading_digits) if meta.leading_digits else None
        regions.append((region, leading, patterns))
    return tuple(regions)


_NEVER = re.compile(r"(?!)")


def _nanp_class(national: str) -> int:
    """INVALID / FOREIGN bits of a ten-digit NANP number (see :func:`_nanp_regions`)."""
    for region, leading, (general, *kinds) in _nanp_regions():
        if leading is not None and leading.match(national) is None:
            continue  # not this region's leading digits: its patterns need not be tried
        valid = general.fullmatch(national) is not None and any(
            kind.fullmatch(national) for kind in kinds)
        if leading is not None or valid:
            return (INVALID | FOREIGN if not valid else 0 if region in {"US", "CA"}
                    else FOREIGN)
    return INVALID | FOREIGN


def share_ratio(share: object) -> tuple[int, int]:
    """A Decimal share as an exact integer ratio (0.6 -> (3, 5))."""
    from decimal import Decimal

    if not isinstance(share, Decimal) or not share.is_finite():
        return 0, 1
    return share.as_integer_ratio()


def round_ratio(value: int, numerator: int, denominator: int) -> int:
    """``value * numerator / denominator`` rounded half to even, in integers (money's rule)."""
    quotient, remainder = divmod(value * numerator, denominator)
    twice = 2 * remainder
    if twice > denominator or (twice == denominator and quotient & 1):
        return quotient + 1
    return quotient


class Rules:
    """One contract's terms as the tables and sets the engine's loop reads.

    The buffer in force is the larger of ``buffer_s`` and the lowest tier's ``min_s``: a call
    that reaches no tier would be worth nothing, so it is SHORT rather than a qualified call at
    $0 that would also take a cap slot. Example: tiers from 60 s and a 30 s buffer make 45 s
    short ("connected 45 s, buffer 60 s").
    """

    def __init__(self, terms: Terms) -> None:
        self.terms = terms
        self.clock = clock_for(terms.timezone)
        self.is_buyer = terms.counterparty is Counterparty.BUYER
        self.party = terms.party
        self.campaign = terms.campaign
        self.from_day = (None if terms.effective_from is None
                         else terms.effective_from.toordinal() - EPOCH_ORDINAL)
        self.on_connected = terms.buffer_basis is BufferBasis.CONNECTED
        tiers = sorted(terms.price.tiers)
        self.buffer_s = max([terms.buffer_s, *(t.min_s for t in tiers[:1])])
        self.tiers = tuple((t.min_s, t.amount_micros) for t in reversed(tiers))
        self.fixed = terms.price.fixed_micros
        self.share = (None if terms.price.revenue_share is None
                      else share_ratio(terms.price.revenue_share))
        callers = terms.callers
        self.blocked_classes = ((ANONYMOUS if callers.block_anonymous else 0)
                                | (INVALID if callers.block_invalid else 0)
                                | (FOREIGN if callers.us_ca_only else 0))
        self.blocklist = callers.blocklist
        geo = terms.geography
        self.allowed_states = geo.allowed_states
        self.blocked_states = geo.blocked_states
        self.allowed_area_codes = geo.allowed_area_codes
        self.blocked_area_codes = geo.blocked_area_codes
        self.unknown_blocked = geo.unknown_state is UnknownState.BLOCK
        self.checks_geo = bool(self.allowed_states or self.blocked_states or self.unknown_blocked
                               or self.allowed_area_codes or self.blocked_area_codes)
        self.open = _open_table(terms)
        self.closed_days = frozenset(d.toordinal() - EPOCH_ORDINAL
                                     for d in (terms.hours.closed_dates if terms.hours else ()))
        dup = terms.duplicates
        self.window_s = dup.window_s if dup is not None else None
        self.dup_scope = dup.scope if dup is not None else None
        self.dup_on_qualified = dup is not None and dup.basis is DuplicateBasis.QUALIFIED
        caps = terms.caps
        self.caps = (caps.hourly, caps.daily, caps.weekly, caps.monthly)
        self.has_caps = any(c is not None for c in self.caps)
        self.concurrency = caps.concurrency

    def applies(self, call: CallFacts) -> bool:
        """Same campaign, same counterparty, on or after the first local day of these terms."""
        if self.campaign is not None and call.campaign != self.campaign:
            return False
        if (call.buyer if self.is_buyer else call.publisher) != self.party:
            return False
        return self.from_day is None or self.clock.local(call.started_at) // DAY_S >= self.from_day

    def measured_s(self, call: CallFacts) -> int:
        """What the buffer and the tiers measure: connected time, or the whole call."""
        return call.connected_s if self.on_connected else call.duration_s

    def static_bits(self, call: CallFacts, local: int) -> int:
        """The reasons (bits) of the rules that need no other call; ``local`` = local start."""
        bits = 0
        caller = call.caller
        klass = caller_class(caller)
        if klass & self.blocked_classes or caller in self.blocklist:
            bits = CALLER_BLOCKED
        if self.checks_geo:
            bits |= self.geo_bits(call)
        if self.open is not None and (
                not self.open[weekday_of(local // DAY_S) * 1_440 + local % DAY_S // 60]
                or local // DAY_S in self.closed_days):
            bits |= AFTER_HOURS
        if self.on_connected and call.answered_at is None:
            bits |= NOT_CONNECTED  # and no SHORT: a call that never connected has no talk time
        elif self.measured_s(call) < self.buffer_s:
            bits |= SHORT
        return bits

    def geo_bits(self, call: CallFacts) -> int:
        bits = 0
        state = call.caller_state
        if state is None:
            if self.unknown_blocked:
                bits = GEO_UNKNOWN
        elif ((self.allowed_states and state not in self.allowed_states)
              or state in self.blocked_states):
            bits = GEO_BLOCKED
        npa = phone.area_code(call.caller)
        if ((self.allowed_area_codes and npa not in self.allowed_area_codes)
                or npa in self.blocked_area_codes):
            bits |= GEO_BLOCKED
        return bits

    def amount(self, call: CallFacts, revenue_micros: int | None) -> int:
        """What a qualified call is worth: fixed, the highest tier reached, or the share."""
        if self.fixed is not None:
            return self.fixed
        if self.share is not None:
            return 0 if revenue_micros is None else round_ratio(revenue_micros, *self.share)
        measured = self.measured_s(call)
        for min_s, micros in self.tiers:  # highest first
            if measured >= min_s:
                return micros
        return 0

    def hour_key(self, t: int, local: int) -> int:
        """The UTC start of the local hour holding ``t`` (a repeated DST hour counts twice)."""
        return t - local % HOUR_S


def _open_table(terms: Terms) -> bytes | None:
    """One byte per minute of the week, Monday 00:00 first: 1 where the contract is open."""
    if terms.hours is None:
        return None
    table = bytearray(WEEK_MIN)
    for day, blocks in enumerate(terms.hours.weekly[:7]):
        for block in blocks:
            start = day * 1_440 + max(block.start_min, 0)
            end = day * 1_440 + min(block.end_min, 1_440)
            if end > start:  # sound terms always; a broken block is simply never open
                table[start:end] = b"\x01" * (end - start)
    return bytes(table)


def compile_terms(terms: Terms) -> Rules:
    """The compiled rules of ``terms`` (cached: terms are frozen values).

    Looked up by identity first: hashing a Terms hashes every field, its hours and tiers
    (~20 us), and explaining a million outcomes asks for the same object a million times.
    An entry keeps its Terms alive, so its id cannot be reused while it is cached.
    """
    found = _BY_IDENTITY.get(id(terms))
    if found is not None and found[0] is terms:
        return found[1]
    try:
        rules = _compiled(terms)
    except TypeError:  # a field someone filled with an unhashable value: compile afresh
        return Rules(terms)
    if len(_BY_IDENTITY) >= _IDENTITY_LIMIT:
        _BY_IDENTITY.clear()
    _BY_IDENTITY[id(terms)] = (terms, rules)
    return rules


_IDENTITY_LIMIT = 256
_BY_IDENTITY: dict[int, tuple[Terms, Rules]] = {}


@lru_cache(maxsize=256)
def _compiled(terms: Terms) -> Rules:
    return Rules(terms)


def utc_text(t: int) -> str:
    """A UTC instant as text, for messages about odd data."""
    return datetime.fromtimestamp(min(max(t, _MIN_T), _MAX_T), UTC).strftime("%Y-%m-%d %H:%M:%S")
