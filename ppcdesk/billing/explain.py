"""Say, rule by rule, why a contract billed a call or not, with the values it compared.

Example: ``connected 84 s, buffer 90 s: short``; ``started Tue 18:05 Phoenix time; open Mon-Fri
08:00-18:00: after hours``; ``same caller as CA123 on 2026-03-01 14:02 (26 days earlier, window
30 days): duplicate``.

The rules that need no other call are judged again here by ``Rules.static_bits``, the very
code the engine inlines (a property test holds them to the same verdicts); the rules that need
earlier calls (duplicates, caps, concurrency) are read from the engine's outcome, which is the
only place that saw those calls.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import lru_cache

from ppcdesk.billing.facts import CallFacts, Outcome
from ppcdesk.billing.rules import (
    ANONYMOUS,
    DAY_S,
    FOREIGN,
    INVALID,
    RULE_ORDER,
    Rules,
    caller_class,
    compile_terms,
)
from ppcdesk.billing.terms import WEEKDAYS, Block, Terms
from ppcdesk.core import phone
from ppcdesk.core.reasons import Reason

RULE_NAMES = {
    Reason.NOT_FINAL: "final", Reason.CALLER_BLOCKED: "callers",
    Reason.GEO_BLOCKED: "geography", Reason.GEO_UNKNOWN: "unknown state",
    Reason.AFTER_HOURS: "hours", Reason.NOT_CONNECTED: "connected", Reason.SHORT: "buffer",
    Reason.DUPLICATE: "duplicates", Reason.OVER_CAP: "caps",
    Reason.OVER_CONCURRENCY: "concurrency",
}


@dataclass(frozen=True, slots=True)
class RuleTrace:
    """One rule's verdict on one call: its words and the values behind them.

    ``judged`` is False for a rule that did not look at the call (every rule after NOT_FINAL
    of a call in progress; caps for a call another rule refused): then ``passed`` is True.
    """

    rule: str
    passed: bool
    sentence: str
    values: dict[str, object] = field(default_factory=dict)
    reason: Reason | None = None
    judged: bool = True


@dataclass(frozen=True, slots=True)
class _Context:
    rules: Rules
    call: CallFacts
    outcome: Outcome
    local: int
    bits: int  # static_bits of the call
    earlier: CallFacts | None


def explain(terms: Terms, call: CallFacts, outcome: Outcome, *,
            earlier: CallFacts | None = None) -> list[RuleTrace]:
    """One trace per rule, in the engine's order (``earlier``: the call a duplicate repeats)."""
    ctx = _context(terms, call, outcome, earlier)
    traces = []
    for reason in RULE_ORDER:
        if reason is not Reason.NOT_FINAL and not call.final:
            traces.append(RuleTrace(RULE_NAMES[reason], passed=True,
                                    sentence="not judged until the call completes",
                                    reason=reason, judged=False))
            continue
        traces.append(_trace(reason, ctx))
    return traces


def sentence(reason: Reason, terms: Terms, call: CallFacts, outcome: Outcome) -> str:
    """The one-line sentence stored with ``reason`` on ``outcome``."""
    if reason is Reason.MANUAL:
        return "set by hand"
    return _trace(reason, _context(terms, call, outcome, None)).sentence


class Wording:
    """The stored sentence of each reason the engine gave, for one version's outcomes.

    Equal to :func:`sentence` for every reason in ``outcome.reasons`` (the engine and
    ``Rules.static_bits`` agree on the verdicts: a property test holds them to it), but
    without compiling the terms (hashing the whole ``Terms``) and judging the rules again per
    call: a reason's words depend on a few values only (the caller, the local minute of the
    week, the measured seconds...), so each distinct case is worded once. A year's million
    refusals says a few thousand different things; DUPLICATE names the earlier call and is
    worded for every call, from a template.
    """

    def __init__(self, terms: Terms) -> None:
        self.rules = rules = compile_terms(terms)
        self._hours_open = rules.terms.hours is not None
        self._said: dict[tuple[object, ...], str] = {}
        self._week_said: tuple[str, str] | None = None  # after_hours_at's two endings
        window = rules.window_s
        self._duplicate = (f" within {_span(window)}: duplicate" if window is not None
                           else "")
        self._keys: dict[Reason, Callable[[CallFacts, Outcome], tuple[object, ...]]] = {
            Reason.NOT_FINAL: _no_key, Reason.NOT_CONNECTED: _no_key,
            Reason.CALLER_BLOCKED: lambda c, _o: (c.caller,),
            Reason.GEO_BLOCKED: lambda c, _o: (phone.area_code(c.caller), c.caller_state),
            Reason.GEO_UNKNOWN: lambda c, _o: (c.caller_state,),
            Reason.AFTER_HOURS: self._hours_key,
            Reason.SHORT: lambda c, _o: (c.answered_at is None, c.connected_s, c.duration_s),
            Reason.OVER_CAP: lambda c, o: (c.final, o.reasons),
            Reason.OVER_CONCURRENCY: lambda c, o: (c.final, o.reasons),
        }

    def sentence(self, reason: Reason, call: CallFacts, outcome: Outcome) -> str:
        """The sentence :func:`sentence` stores for ``reason``, one of ``outcome.reasons``."""
        if reason is Reason.DUPLICATE and self.rules.window_s is not None:
            return f"same caller as call #{outcome.duplicate_of}{self._duplicate}"
        key = self.key(reason, call, outcome)
        if key is None:  # MANUAL, and DUPLICATE without a rule: as sentence() says it
            return sentence(reason, self.rules.terms, call, outcome)
        text = self._said.get(key)
        if text is None and reason is Reason.AFTER_HOURS and self._hours_open:
            text = self._said[key] = self._after_hours(self.rules.clock.local(call.started_at))
        if text is None:
            local = self.rules.clock.local(call.started_at)
            ctx = _Context(self.rules, call, outcome, local, reason.flag, None)
            text = self._said[key] = _trace(reason, ctx).sentence
        return text

    def key(self, reason: Reason, call: CallFacts, outcome: Outcome) -> tuple[object, ...] | None:
        """What the sentence of ``reason`` depends on (equal keys: equal sentences).

        None for a sentence worded for every call (DUPLICATE names the earlier call).
        """
        keyed = self._keys.get(reason)
        return None if keyed is None else (reason, *keyed(call, outcome))

    def _after_hours(self, local: int) -> str:
        """:func:`_hours`'s sentence of a refused call, from its local start alone.

        A new day of calls brings a new minute of the week per refusal, so the words are put
        together directly (day and minute by arithmetic) instead of through a traced rule.
        """
        closed = local // DAY_S in self.rules.closed_days
        return self.after_hours_at(local // 60 % 10_080, closed)

    def after_hours_at(self, minute: int, closed: bool) -> str:
        """The after-hours sentence of a call started at ``minute`` of the local week (0:
        Thursday 00:00, as epoch day 0), on a closed day or not: all the sentence reads."""
        said = self._week_said
        if said is None:
            terms = self.rules.terms
            assert terms.hours is not None  # noqa: S101 - only asked when the terms have hours
            zone = zone_label(terms.timezone)
            said = self._week_said = (
                f"{zone}; closed that day: after hours",
                f"{zone}; open {schedule_text(terms.hours.weekly)}: after hours")
        at = minute % 1_440
        return (f"started {WEEKDAYS[(minute // 1_440 + 3) % 7]} {at // 60:02d}:{at % 60:02d} "
                f"{said[0] if closed else said[1]}")

    def _hours_key(self, call: CallFacts, _outcome: Outcome) -> tuple[object, ...]:
        """The local minute of the week and whether that day is closed: all _hours reads."""
        if not self._hours_open:
            return ()
        local = self.rules.clock.local(call.started_at)
        return local // 60 % 10_080, local // DAY_S in self.rules.closed_days


def _no_key(_call: CallFacts, _outcome: Outcome) -> tuple[object, ...]:
    return ()


def _context(terms: Terms, call: CallFacts, outcome: Outcome,
             earlier: CallFacts | None) -> _Context:
    rules = compile_terms(terms)
    local = rules.clock.local(call.started_at)
    return _Context(rules, call, outcome, local, rules.static_bits(call, local), earlier)


def _trace(reason: Reason, ctx: _Context) -> RuleTrace:
    if reason in (Reason.OVER_CAP, Reason.OVER_CONCURRENCY) and ctx.call.final and any(
            r not in (Reason.OVER_CAP, Reason.OVER_CONCURRENCY) for r in ctx.outcome.reasons):
        return RuleTrace(RULE_NAMES[reason], passed=True,
                         sentence="not counted: another rule refused the call",
                         reason=reason, judged=False)
    failed = (reason in ctx.outcome.reasons if reason in _STATEFUL
              else bool(ctx.bits & reason.flag))
    words, values = _WORDS[reason](ctx, failed)
    return RuleTrace(RULE_NAMES[reason], not failed, words, values, reason)


_STATEFUL = frozenset({Reason.NOT_FINAL, Reason.DUPLICATE, Reason.OVER_CAP,
                       Reason.OVER_CONCURRENCY})
Words = tuple[str, dict[str, object]]


def _final(ctx: _Context, failed: bool) -> Words:
    if failed or not ctx.call.final:
        return "still in progress: decided when it completes", {"final": False}
    return "completed", {"final": True}


def _callers(ctx: _Context, failed: bool) -> Words:
    caller = ctx.call.caller
    klass = caller_class(caller)
    why = ("withheld" if klass & ANONYMOUS else "invalid number" if klass & INVALID
           else "outside the US and Canada" if klass & FOREIGN else "")
    if caller in ctx.rules.blocklist:
        why = "on the blocklist"
    values: dict[str, object] = {"caller": caller, "class": why or "allowed"}
    if failed:
        return f"caller {caller} ({why}): caller blocked", values
    return f"caller {caller}: allowed", values


def _geography(ctx: _Context, failed: bool) -> Words:
    r, state = ctx.rules, ctx.call.caller_state
    npa = phone.area_code(ctx.call.caller)
    rules_text = "; ".join(part for part in (
        _set("allowed states", r.allowed_states), _set("blocked states", r.blocked_states),
        _set("allowed area codes", r.allowed_area_codes),
        _set("blocked area codes", r.blocked_area_codes)) if part) or "any state"
    seen = f"state {state or 'unknown'}, area code {npa or 'none'}"
    values: dict[str, object] = {"state": state, "area_code": npa}
    return f"{seen}; {rules_text}" + (": geo blocked" if failed else ": allowed"), values


def _unknown(ctx: _Context, failed: bool) -> Words:
    state = ctx.call.caller_state
    if state is not None:
        return f"state {state} known", {"state": state}
    policy = "refused" if ctx.rules.unknown_blocked else "allowed"
    return "state unknown: " + ("geo unknown" if failed else policy), {"state": None}


def _hours(ctx: _Context, failed: bool) -> Words:
    r, local = ctx.rules, ctx.local
    terms = r.terms
    if terms.hours is None:
        return "open at all hours", {}
    moment = datetime.fromtimestamp(local - local % 60, UTC)
    started = f"started {WEEKDAYS[moment.weekday()]} {moment:%H:%M} {zone_label(terms.timezone)}"
    closed = local // DAY_S in r.closed_days
    schedule = "closed that day" if closed else "open " + schedule_text(terms.hours.weekly)
    values: dict[str, object] = {"local": moment.strftime("%Y-%m-%d %H:%M"), "closed": closed}
    return f"{started}; {schedule}" + (": after hours" if failed else ": open"), values


def _connected(ctx: _Context, failed: bool) -> Words:
    if not ctx.rules.on_connected:
        return "measured from the call's start: answering not needed", {}
    if failed:
        return "nobody answered: not connected", {"answered": False}
    return f"answered by {ctx.call.buyer or 'a buyer'}", {"answered": True}


def _buffer(ctx: _Context, failed: bool) -> Words:
    r = ctx.rules
    if r.on_connected and ctx.call.answered_at is None:
        return "no talk time to measure", {"buffer_s": r.buffer_s}
    what = "connected" if r.on_connected else "call lasted"
    measured = r.measured_s(ctx.call)
    values: dict[str, object] = {"measured_s": measured, "buffer_s": r.buffer_s}
    verdict = "short" if failed else "long enough"
    return f"{what} {measured} s, buffer {r.buffer_s} s: {verdict}", values


def _duplicates(ctx: _Context, failed: bool) -> Words:
    r = ctx.rules
    if r.window_s is None:
        return "no duplicate rule", {}
    window = _span(r.window_s)
    values: dict[str, object] = {"window_s": r.window_s, "duplicate_of": ctx.outcome.duplicate_of}
    if not failed:
        return f"no earlier call of this caller within {window}", values
    earlier = ctx.earlier
    if earlier is None:
        return f"same caller as call #{ctx.outcome.duplicate_of} within {window}: duplicate", values
    when = r.clock.local(earlier.started_at)
    shown = datetime.fromtimestamp(when - when % 60, UTC).strftime("%Y-%m-%d %H:%M")
    gap = ctx.call.started_at - earlier.started_at
    values |= {"earlier_sid": earlier.sid, "gap_s": gap}
    return (f"same caller as {earlier.sid} on {shown} ({_span(gap)} earlier, window {window}): "
            "duplicate"), values


def _caps(ctx: _Context, failed: bool) -> Words:
    caps = ctx.rules.terms.caps
    limits = [f"{n} {per}" for n, per in ((caps.hourly, "an hour"), (caps.daily, "a day"),
                                          (caps.weekly, "a week"), (caps.monthly, "a month"))
              if n is not None]
    if not limits:
        return "no caps", {}
    text = "at most " + ", ".join(limits)
    return (f"{text}: over cap" if failed else f"within the cap ({text})"), {"caps": limits}


def _concurrency(ctx: _Context, failed: bool) -> Words:
    limit = ctx.rules.concurrency
    if limit is None:
        return "no concurrency cap", {}
    text = f"at most {limit} connected at once"
    return (f"{text}: over concurrency" if failed else f"within {text}"), {"concurrency": limit}


_WORDS: dict[Reason, Callable[[_Context, bool], Words]] = {
    Reason.NOT_FINAL: _final, Reason.CALLER_BLOCKED: _callers, Reason.GEO_BLOCKED: _geography,
    Reason.GEO_UNKNOWN: _unknown, Reason.AFTER_HOURS: _hours, Reason.NOT_CONNECTED: _connected,
    Reason.SHORT: _buffer, Reason.DUPLICATE: _duplicates, Reason.OVER_CAP: _caps,
    Reason.OVER_CONCURRENCY: _concurrency,
}


@lru_cache(maxsize=256)
def zone_label(timezone: str) -> str:
    """``America/Phoenix`` -> ``Phoenix time``."""
    return timezone.rsplit("/", 1)[-1].replace("_", " ") + " time"


@lru_cache(maxsize=256)
def schedule_text(weekly: tuple[tuple[Block, ...], ...]) -> str:
    """``Mon-Fri 08:00-18:00, Sat 09:00-13:00``: runs of weekdays with the same blocks.

    Cached: every after-hours sentence of a contract says its whole schedule.
    """
    parts: list[str] = []
    day = 0
    while day < len(weekly):
        end = day
        while end + 1 < len(weekly) and weekly[end + 1] == weekly[day]:
            end += 1
        if weekly[day]:
            days = WEEKDAYS[day] if end == day else f"{WEEKDAYS[day]}-{WEEKDAYS[end]}"
            parts.append(days + " " + " and ".join(_block(b) for b in sorted(weekly[day])))
        day = end + 1
    return ", ".join(parts) or "never"


def _block(block: Block) -> str:
    return "-".join(f"{m // 60:02d}:{m % 60:02d}" for m in (block.start_min, block.end_min))


def _set(label: str, values: frozenset[str]) -> str:
    return f"{label} {', '.join(sorted(values))}" if values else ""


def _span(seconds: int) -> str:
    """26 days, 3 hours, 45 min, 30 s: the largest whole unit."""
    for size, unit in ((DAY_S, "day"), (3_600, "hour"), (60, "min")):
        if (seconds >= size and seconds % size == 0) or seconds >= 2 * size:
            count = seconds // size
            return f"{count} {unit}" + ("s" if count != 1 and unit != "min" else "")
    return f"{seconds} s"
