"""Say what a contract means in plain sentences that a buyer and a publisher can both check.

Why: a contract is agreed in words ("$45 a call over 90 seconds, business hours, Arizona
only"); showing the terms back in words catches a wrong key before it bills a month of calls.
:func:`reads_as` gives one sentence per rule, in the engine's order; :func:`summary` gives the
whole contract as one line for lists and previews:

    Pays $45.00 for calls connected 90 s or more, Mon-Fri 8:00-18:00 Phoenix time, Arizona
    callers only, one call per caller per 30 days, at most 20 a day.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Sequence
from datetime import date

from ppcdesk.billing.contract_forms import STATE_NAMES
from ppcdesk.billing.terms import (
    WEEKDAYS,
    Block,
    BufferBasis,
    DuplicateBasis,
    Duplicates,
    DuplicateScope,
    Hours,
    Terms,
    UnknownState,
)
from ppcdesk.core.model import Counterparty
from ppcdesk.core.money import Money

_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_CAPS = (("hourly", "an hour"), ("daily", "a day"), ("weekly", "a week"), ("monthly", "a month"))
_SHOWN_BLOCKED = 5  # blocklisted numbers named before "and N more"


def join(items: Sequence[str], word: str = "and") -> str:
    """``["a", "b", "c"]`` -> ``"a, b and c"``."""
    if len(items) <= 1:
        return "".join(items)
    return f"{', '.join(items[:-1])} {word} {items[-1]}"


def upper_first(text: str) -> str:
    """Start a sentence: unlike ``str.capitalize`` it keeps "US" and names as they are."""
    return text[:1].upper() + text[1:]


def money(micros: int) -> str:
    return Money(micros).format(precise=True)


def zone_name(timezone: str) -> str:
    """``America/New_York`` -> ``"New York time"``: the zone as its city, as people say it."""
    city = timezone.rsplit("/", 1)[-1].replace("_", " ")
    return f"{city} time" if "/" in timezone else timezone


def day(value: date) -> str:
    return f"{_MONTHS[value.month - 1]} {value.day}, {value.year}"


def state(code: str) -> str:
    return STATE_NAMES.get(code, code)


def _clock(minutes: int) -> str:
    return f"{minutes // 60}:{minutes % 60:02d}"


def _blocks(blocks: Iterable[Block]) -> str:
    spans = ["all day" if (b.start_min, b.end_min) == (0, 1440)
             else f"{_clock(b.start_min)}-{_clock(b.end_min)}" for b in blocks]
    return join(spans)


def _schedule(hours: Hours) -> str:
    """``Mon-Fri 8:00-18:00, Sat 9:00-13:00``: runs of days with the same blocks grouped."""
    if len(set(hours.weekly)) == 1:
        return f"every day {_blocks(hours.weekly[0])}"
    parts = []
    index = 0
    for blocks, run in itertools.groupby(hours.weekly):
        length = len(list(run))
        if blocks:
            first, last = WEEKDAYS[index], WEEKDAYS[index + length - 1]
            days = first if length == 1 else f"{first}-{last}"
            parts.append(f"{days} {_blocks(blocks)}")
        index += length
    return ", ".join(parts)


def _seconds(count: int) -> str:
    return f"{count} s"


def _window(seconds: int) -> str:
    """``2592000`` -> ``"30 days"``; ``86400`` -> ``"day"`` (as in "one call per day")."""
    for size, unit in ((86_400, "day"), (3_600, "hour"), (60, "minute"), (1, "second")):
        if seconds % size == 0:
            count = seconds // size
            return unit if count == 1 else f"{count} {unit}s"
    return f"{seconds} seconds"  # unreachable: every count divides by 1


def _measured(terms: Terms) -> str:
    return "connected" if terms.buffer_basis is BufferBasis.CONNECTED else "of call time"


def _qualifier(terms: Terms) -> str:
    """``"connected 90 s or more"``; empty when there is no buffer."""
    if not terms.buffer_s:
        return ""
    verb = "connected" if terms.buffer_basis is BufferBasis.CONNECTED else "lasting"
    return f"{verb} {_seconds(terms.buffer_s)} or more"


def _tiers(terms: Terms) -> str:
    return ", ".join(f"{money(tier.amount_micros)} from {_seconds(tier.min_s)}"
                     for tier in terms.price.tiers)


def _price_sentence(terms: Terms) -> str:
    price, payer = terms.price, terms.counterparty is Counterparty.BUYER
    campaign = f"to {terms.campaign}" if terms.campaign is not None else "to any campaign"
    qualifier = _qualifier(terms)
    calls = f"each call {campaign}" + (f" {qualifier}" if qualifier else ", whatever its length")
    who = f"{terms.party} pays" if payer else f"We pay {terms.party}"
    if price.tiers:
        basis = "time connected" if terms.buffer_basis is BufferBasis.CONNECTED else "call length"
        lowest = min(tier.min_s for tier in price.tiers)
        below = f"; nothing below {_seconds(lowest)}" if lowest > terms.buffer_s else ""
        return f"{who} for {calls}, by {basis}: {_tiers(terms)}{below}."
    if price.revenue_share is not None:
        share = f"{price.revenue_share.scaleb(2).normalize():f}%"
        return f"{who} {share} of what the buyer paid for {calls}."
    return f"{who} {money(price.fixed_micros or 0)} for {calls}."


def _hours_sentences(terms: Terms) -> list[str]:
    hours = terms.hours
    if hours is None:
        return ["Calls count at any hour, every day."]
    found = [f"Calls count when they start {_schedule(hours)}, {zone_name(terms.timezone)}."]
    if hours.closed_dates:
        found.append(f"Closed on {join([day(d) for d in sorted(hours.closed_dates)])}.")
    return found


def _geography_sentences(terms: Terms) -> list[str]:
    geo, found = terms.geography, []
    if geo.allowed_states:
        found.append(f"Only callers from {join(sorted(map(state, geo.allowed_states)))} count.")
    if geo.blocked_states:
        found.append(f"Callers from {join(sorted(map(state, geo.blocked_states)))} never count.")
    for codes, template in ((geo.allowed_area_codes, "Only callers from {} count."),
                            (geo.blocked_area_codes, "Callers from {} never count.")):
        if codes:
            noun = "area code" if len(codes) == 1 else "area codes"
            found.append(template.format(f"{noun} {join(sorted(codes))}"))
    if geo.allowed_states or geo.blocked_states or geo.unknown_state is UnknownState.BLOCK:
        verb = "count" if geo.unknown_state is UnknownState.ALLOW else "never count"
        found.append(f"Callers whose state cannot be told from their number {verb}.")
    return found


def _callers_sentences(terms: Terms) -> list[str]:
    callers = terms.callers
    refused = [text for flag, text in ((callers.block_anonymous, "anonymous callers"),
                                       (callers.block_invalid, "invalid numbers"),
                                       (callers.us_ca_only, "callers outside the US and Canada"))
               if flag]
    found = [f"{upper_first(join(refused))} never count." if refused
             else "Anonymous callers and invalid numbers count too."]
    if callers.blocklist:
        numbers = sorted(callers.blocklist)
        shown = ", ".join(numbers[:_SHOWN_BLOCKED])
        more = f" and {len(numbers) - _SHOWN_BLOCKED} more" if len(numbers) > _SHOWN_BLOCKED else ""
        noun = "number" if len(numbers) == 1 else "numbers"
        found.append(f"{len(numbers)} blocked {noun} never count: {shown}{more}.")
    return found


def _duplicates_sentence(terms: Terms) -> str:
    duplicates = terms.duplicates
    if duplicates is None:
        return "Repeat callers count every time."
    earlier = ("that connected" if duplicates.basis is DuplicateBasis.CONNECTED
               else "this contract " + ("billed" if terms.counterparty is Counterparty.BUYER
                                        else "paid"))
    clause = upper_first(_duplicates_clause(duplicates, full=True))
    return f"{clause}, counting earlier calls {earlier}."


def _duplicates_clause(duplicates: Duplicates, *, full: bool = False) -> str:
    same_campaign = " on the same campaign" if full else ""  # the default: said in full only
    scope = {DuplicateScope.CAMPAIGN: same_campaign, DuplicateScope.BUYER: " to the same buyer",
             DuplicateScope.ALL: " across all campaigns"}[duplicates.scope]
    return f"one call per caller per {_window(duplicates.window_s)}{scope}"


def _caps_clauses(terms: Terms) -> list[str]:
    counts = [f"{getattr(terms.caps, key)} {unit}" for key, unit in _CAPS
              if getattr(terms.caps, key) is not None]
    found = [f"at most {join(counts)}"] if counts else []
    if terms.caps.concurrency is not None:
        found.append(f"at most {terms.caps.concurrency} at once")
    return found


def _caps_sentences(terms: Terms) -> list[str]:
    counts = [f"{getattr(terms.caps, key)} {unit}" for key, unit in _CAPS
              if getattr(terms.caps, key) is not None]
    found = [f"At most {join(counts)}, counted in {zone_name(terms.timezone)}."] if counts else []
    if terms.caps.concurrency is not None:
        found.append(f"At most {terms.caps.concurrency} calls at once.")
    return found or ["No caps."]


def reads_as(terms: Terms) -> list[str]:
    """One plain sentence per rule of ``terms``, in the engine's order."""
    found = [_price_sentence(terms), *_hours_sentences(terms), *_geography_sentences(terms),
             *_callers_sentences(terms), _duplicates_sentence(terms), *_caps_sentences(terms)]
    if terms.effective_from is not None:
        found.append(f"In force for calls from {day(terms.effective_from)}.")
    if terms.note:
        found.append(f"Note: {terms.note}")
    return found


def _summary_price(terms: Terms) -> str:
    verb = "Pays" if terms.counterparty is Counterparty.BUYER else "Earns"
    price, qualifier = terms.price, _qualifier(terms)
    for_calls = f" for calls {qualifier}" if qualifier else ""
    if price.tiers:  # the buffer is worth saying only when it cuts above the lowest tier
        below = terms.buffer_s > min(tier.min_s for tier in price.tiers)
        return f"{verb} {_tiers(terms)} {_measured(terms)}" + (
            f", for calls {qualifier}" if below else "")
    if price.revenue_share is not None:
        share = f"{price.revenue_share.scaleb(2).normalize():f}%"
        return f"{verb} {share} of what the buyer paid{for_calls}"
    return f"{verb} {money(price.fixed_micros or 0)}{for_calls or ' a call'}"


def _summary_callers(terms: Terms) -> list[str]:
    geo, callers = terms.geography, terms.callers
    found = [text for condition, text in (
        (geo.allowed_states, f"{join(sorted(map(state, geo.allowed_states)))} callers only"),
        (geo.blocked_states, f"no {join(sorted(map(state, geo.blocked_states)), 'or')} callers"),
        (geo.allowed_area_codes, f"area codes {join(sorted(geo.allowed_area_codes))} only"),
        (geo.blocked_area_codes, f"no area code {join(sorted(geo.blocked_area_codes), 'or')}"),
        (geo.unknown_state is UnknownState.BLOCK, "known states only"),
        (callers.us_ca_only, "US and Canadian callers only"),
        (not callers.block_anonymous, "anonymous callers count"),
        (not callers.block_invalid, "invalid numbers count"),
    ) if condition]
    if callers.blocklist:
        count = len(callers.blocklist)
        found.append(f"{count} {'number' if count == 1 else 'numbers'} blocked")
    return found


def summary(terms: Terms) -> str:
    """The contract as one sentence of clauses: what it pays and what it asks beyond defaults."""
    clauses = [_summary_price(terms)]
    if terms.hours is not None:
        clauses.append(f"{_schedule(terms.hours)} {zone_name(terms.timezone)}")
        if terms.hours.closed_dates:
            clauses.append("closed " + join([day(d) for d in sorted(terms.hours.closed_dates)]))
    clauses += _summary_callers(terms)
    if terms.duplicates is not None:
        clauses.append(_duplicates_clause(terms.duplicates))
    clauses += _caps_clauses(terms)
    if terms.effective_from is not None:
        clauses.append(f"from {day(terms.effective_from)}")
    return ", ".join(clauses) + "."
