"""Decide which calls a contract bills (or pays), for how much, and why: pure and deterministic.

Calls and terms in, one :class:`~ppcdesk.billing.facts.Outcome` per covered call out, sorted by
(start, id) whatever the input order. The rules run in :data:`~ppcdesk.billing.rules.RULE_ORDER`
and every failing rule is listed:

1. NOT_FINAL: the call is still changing; no other rule judges it, and it neither counts as an
   earlier call for duplicates nor takes a cap slot (it is decided when it completes).
2. CALLER_BLOCKED: anonymous, invalid, outside US/CA (when asked), or on the blocklist. An
   anonymous caller is judged only by ``block_anonymous``.
3. GEO_BLOCKED / GEO_UNKNOWN: the state (``call.caller_state``) and area code (from the E.164)
   against the allowed (empty: all) and blocked sets; an unknown state passes or is GEO_UNKNOWN.
4. AFTER_HOURS: the local start (contract zone) outside its weekday's blocks (end excluded), or
   on a closed date. A call's day is its local start day, for hours and for caps.
5. NOT_CONNECTED (buffer on connected time and nobody answered; then no SHORT as well) and
   SHORT (measured < buffer; exactly the buffer qualifies; the lowest tier acts as a buffer).
6. DUPLICATE: an earlier final call of the same caller (anonymous never matches) that started
   less than ``window_s`` before, in scope (campaign, buyer, all); basis "connected": it was
   answered (whatever this contract said of it); basis "qualified": this contract qualified it.
   ``duplicate_of`` names the most recent one.
7. OVER_CAP / OVER_CONCURRENCY: judged only for calls that passed every rule above, in call
   order; a call over any cap is not qualified and takes no slot. Concurrency counts qualified
   calls of this contract whose connected span (answered_at .. + connected_s) holds this call's
   answer time.

Incremental runs: outcomes of calls at or after ``range_start`` depend only on calls since
:func:`lookback_start`; pass those as ``history`` (every workspace call, with this contract's
earlier verdicts) and the result equals one run over everything (a property test checks it).

Speed: :class:`Workspace` sorts and indexes the calls once (by party, and the previous answered
call of each caller per scope) so that ten contracts share it; each contract is then one loop
over its own calls with its rules compiled to tables (``rules``).
"""

from __future__ import annotations

import gc
import heapq
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from operator import itemgetter

from ppcdesk.billing.facts import CallFacts, Outcome, Prior
from ppcdesk.billing.rules import (
    AFTER_HOURS,
    ANONYMOUS,
    CALLER_BLOCKED,
    DAY_S,
    DUPLICATE,
    EPOCH_ORDINAL,
    HOUR_S,
    NOT_CONNECTED,
    OVER_CAP,
    OVER_CONCURRENCY,
    SHORT,
    Rules,
    caller_class,
    compile_terms,
    month_of,
    reasons_of,
)
from ppcdesk.billing.terms import DuplicateScope, Terms
from ppcdesk.core.reasons import Reason

_NOT_FINAL = (Reason.NOT_FINAL,)
_new = tuple.__new__  # Outcome(...) without the keyword-handling wrapper: millions are built


def applies(terms: Terms, call: CallFacts) -> bool:
    """Whether ``terms`` cover ``call``: campaign, counterparty, and on or after effective_from.

    A buyer contract covers the calls its buyer answered (none when nobody answered); a
    publisher contract covers its tracking numbers' calls, answered or not.
    """
    return compile_terms(terms).applies(call)


def lookback_start(terms: Terms, range_start: int) -> int:
    """The earliest UTC instant whose calls can change outcomes at or after ``range_start``.

    The duplicate window, the start of the local hour, day, week (Monday) and month of
    ``range_start`` for the caps in use, and a day for concurrency (Twilio ends calls at 24 h).
    """
    rules = compile_terms(terms)
    clock = rules.clock
    local = clock.local(range_start)
    day = local // DAY_S
    starts = [range_start]
    if rules.window_s is not None:
        starts.append(range_start - rules.window_s)
    hourly, daily, weekly, monthly = rules.caps
    if hourly is not None:
        starts.append(range_start - local % HOUR_S)
    if daily is not None:
        starts.append(clock.midnight(day))
    if weekly is not None:
        starts.append(clock.midnight(day - (day + 3) % 7))
    if monthly is not None:
        from datetime import date

        starts.append(clock.midnight(day - date.fromordinal(day + EPOCH_ORDINAL).day + 1))
    if rules.concurrency is not None:
        starts.append(range_start - DAY_S)
    return min(starts)


def evaluate(terms: Terms, calls: Sequence[CallFacts], *, history: Sequence[Prior] = (),
             revenue: Mapping[int, int] | None = None, problems: list[str] | None = None,
             workspace: Workspace | None = None) -> list[Outcome]:
    """Outcomes of every call in ``calls`` that ``terms`` cover, sorted by (started_at, id).

    ``calls``: every workspace call of the range (duplicates of scope "all" look at calls the
    contract does not cover). ``history``: the calls since :func:`lookback_start` with this
    contract's verdicts. ``revenue``: call id -> what the buyers paid (revenue shares).
    ``problems`` collects odd data found (the engine reports, never raises). ``workspace``: a
    :class:`Workspace` already built over these calls and history, shared by several contracts.
    """
    if workspace is None:
        workspace = Workspace(calls, (p.call for p in history))
    if problems is not None:
        problems.extend(workspace.problems)
    return workspace.evaluate(terms, history=history, revenue=revenue)


def evaluate_many(contracts: Sequence[Terms], calls: Sequence[CallFacts], *,
                  histories: Sequence[Sequence[Prior]] | None = None,
                  revenue: Mapping[int, int] | None = None) -> list[list[Outcome]]:
    """Outcomes of each contract, sharing one :class:`Workspace`; buyers' first.

    Without ``revenue``, what the buyer contracts of this run bill per call is the revenue the
    publisher contracts share.
    """
    histories = histories or [() for _ in contracts]
    workspace = Workspace(calls, (p.call for h in histories for p in h))
    results: list[list[Outcome]] = [[] for _ in contracts]
    order = sorted(range(len(contracts)), key=lambda k: not compile_terms(contracts[k]).is_buyer)
    billed: dict[int, int] = {}
    for k in order:
        rules = compile_terms(contracts[k])
        if not rules.is_buyer and revenue is None:
            revenue = billed
        results[k] = workspace.evaluate(contracts[k], history=histories[k], revenue=revenue)
        if rules.is_buyer:
            for outcome in results[k]:
                if outcome.amount_micros:
                    billed[outcome.call_id] = billed.get(outcome.call_id, 0) + outcome.amount_micros
    return results


class Workspace:
    """The calls of a range and of its lookback, sorted and indexed once for many contracts."""

    def __init__(self, calls: Iterable[CallFacts], history: Iterable[CallFacts] = ()) -> None:
        self.problems: list[str] = []
        rows: list[CallFacts] = list(calls)
        in_range = {c.id for c in rows}
        if len(in_range) != len(rows):
            rows = self._first_of_each(rows)
        rows.extend(c for c in history if c.id not in in_range)
        rows.sort(key=itemgetter(2, 0))  # (started_at, id): call order
        self.rows = rows
        self.in_range = bytes(c.id in in_range for c in rows) if len(rows) > len(in_range) \
            else b"\x01" * len(rows)
        self._parties: tuple[dict[str | None, list[int]], dict[str | None, list[int]]] | None \
            = None
        self._previous: dict[DuplicateScope, list[int]] = {}
        self._classes: bytes | None = None

    def _first_of_each(self, rows: list[CallFacts]) -> list[CallFacts]:
        seen: set[int] = set()
        kept = []
        for call in rows:
            if call.id in seen:
                self.problems.append(f"call {call.sid} (id {call.id}) given twice: the first kept")
                continue
            seen.add(call.id)
            kept.append(call)
        return kept

    def party_rows(self, is_buyer: bool, party: str) -> list[int]:
        """Indexes (in call order) of the rows answered by ``party`` or from its numbers."""
        if self._parties is None:
            buyers: dict[str | None, list[int]] = {}
            publishers: dict[str | None, list[int]] = {}
            for i, call in enumerate(self.rows):
                buyers.setdefault(call.buyer, []).append(i)
                publishers.setdefault(call.publisher, []).append(i)
            self._parties = (buyers, publishers)
        return self._parties[0 if is_buyer else 1].get(party, [])

    def caller_classes(self) -> bytes:
        """Per row, its caller's ANONYMOUS / INVALID / FOREIGN bits (``rules.caller_class``)."""
        if self._classes is None:
            memo: dict[str, int] = {}
            classes = bytearray(len(self.rows))
            for i, call in enumerate(self.rows):
                klass = memo.get(call.caller)
                if klass is None:
                    klass = memo[call.caller] = caller_class(call.caller)
                classes[i] = klass
            self._classes = bytes(classes)
        return self._classes

    def previous_answered(self, scope: DuplicateScope) -> list[int]:
        """Per row, the index of the same caller's latest earlier final answered call in scope.

        -1 when there is none; anonymous callers never have one. It does not depend on any
        contract, so every contract with the same scope shares it.
        """
        found = self._previous.get(scope)
        if found is not None:
            return found
        previous = [-1] * len(self.rows)
        last: dict[object, int] = {}
        classes = self.caller_classes()
        with _no_gc():
            for i, call in enumerate(self.rows):
                if classes[i] & ANONYMOUS:
                    continue
                key: object = (call.caller if scope is DuplicateScope.ALL else
                               (call.caller, call.campaign) if scope is DuplicateScope.CAMPAIGN
                               else (call.caller, call.buyer))
                j = last.get(key)
                if j is not None:
                    previous[i] = j
                if call.final and call.answered_at is not None:
                    last[key] = i
        self._previous[scope] = previous
        return previous

    def evaluate(self, terms: Terms, *, history: Sequence[Prior] = (),
                 revenue: Mapping[int, int] | None = None) -> list[Outcome]:
        """Outcomes of the in-range rows ``terms`` cover (see :func:`evaluate`)."""
        with _no_gc():
            return _Run(self, compile_terms(terms), history, revenue or {}).outcomes()


@contextmanager
def _no_gc() -> Iterator[None]:
    """Pause the cycle collector while building millions of acyclic tuples.

    With a million calls alive, each full collection the new outcomes trigger walks them all:
    a third of the engine's time. Outcomes and keys hold no cycles, so nothing is lost.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _duplicate_key(call: CallFacts, scope: DuplicateScope | None) -> object:
    """The key earlier calls must share with ``call`` (None: anonymous, never a duplicate)."""
    if caller_class(call.caller) & ANONYMOUS:
        return None
    if scope is DuplicateScope.CAMPAIGN:
        return (call.caller, call.campaign)
    if scope is DuplicateScope.BUYER:
        return (call.caller, call.buyer)
    return call.caller


class _Run:
    """One contract over one workspace: the state the stateful rules carry in call order."""

    def __init__(self, workspace: Workspace, rules: Rules, history: Sequence[Prior],
                 revenue: Mapping[int, int]) -> None:
        self.workspace = workspace
        self.rules = rules
        self.qualified_before = {p.call.id for p in history if p.qualified}
        self.revenue = revenue
        self.counters: tuple[dict[int, int], ...] = ({}, {}, {}, {})
        self.active: list[tuple[int, int]] = []  # (end, start) of qualified connected spans
        self.last_qualified: dict[object, tuple[int, int]] = {}  # key -> (started_at, id)

    def admit(self, call: CallFacts, local: int) -> None:
        """Count a qualified call toward the caps, concurrency and "qualified" duplicates."""
        rules = self.rules
        t = call.started_at
        if rules.has_caps:
            day = local // DAY_S
            for counter, period in zip(self.counters, (t - local % HOUR_S, day, (day + 3) // 7,
                                                       month_of(day)), strict=True):
                counter[period] = counter.get(period, 0) + 1
        if rules.concurrency is not None and call.answered_at is not None:
            start = max(call.answered_at, t)
            heapq.heappush(self.active, (start + call.connected_s, start))
        if rules.dup_on_qualified:
            key = _duplicate_key(call, rules.dup_scope)
            if key is not None:
                self.last_qualified[key] = (t, call.id)

    def over_limits(self, call: CallFacts, local: int) -> int:
        """OVER_CAP and OVER_CONCURRENCY bits for a call that passed every other rule."""
        rules = self.rules
        bits = 0
        t = call.started_at
        if rules.has_caps:
            day = local // DAY_S
            keys = (t - local % HOUR_S, day, (day + 3) // 7, month_of(day))
            for cap, counter, key in zip(rules.caps, self.counters, keys, strict=True):
                if cap is not None and counter.get(key, 0) >= cap:
                    bits = OVER_CAP
                    break
        if rules.concurrency is not None and call.answered_at is not None:
            moment = max(call.answered_at, t)
            active = self.active
            while active and active[0][0] <= t:  # ended before this call began: never again
                heapq.heappop(active)
            if sum(1 for end, start in active if start <= moment < end) >= rules.concurrency:
                bits |= OVER_CONCURRENCY
        return bits

    def outcomes(self) -> list[Outcome]:  # noqa: PLR0912, PLR0915 - one hot loop
        """Decide every covered in-range row, in call order.

        The rules of ``Rules.static_bits`` are inlined here (a method call per pair would cost
        a third of the budget); a property test holds the two to the same verdicts.
        """
        ws, rules = self.workspace, self.rules
        rows, in_range, classes = ws.rows, ws.in_range, ws.caller_classes()
        offsets, offset = rules.clock.offsets, rules.clock.offset
        campaign, from_day = rules.campaign, rules.from_day
        blocked_classes, blocklist = rules.blocked_classes, rules.blocklist
        geo_bits = rules.geo_bits if rules.checks_geo else None
        open_table, closed_days = rules.open, rules.closed_days
        on_connected, buffer_s, fixed = rules.on_connected, rules.buffer_s, rules.fixed
        window = rules.window_s
        previous = (ws.previous_answered(rules.dup_scope or DuplicateScope.ALL)
                    if window is not None and not rules.dup_on_qualified else None)
        limited = rules.has_caps or rules.concurrency is not None
        needs_admit = limited or rules.dup_on_qualified
        amount, admit = rules.amount, self.admit
        qualified_before, revenue = self.qualified_before, self.revenue
        out: list[Outcome] = []
        append = out.append
        for i in ws.party_rows(rules.is_buyer, rules.party):
            call = rows[i]
            if campaign is not None and call.campaign != campaign:
                continue
            t = call.started_at
            off = offsets.get(t // HOUR_S)
            local = t + (off if off is not None else offset(t))
            if from_day is not None and local // DAY_S < from_day:
                continue
            if not in_range[i]:
                if needs_admit and call.id in qualified_before:
                    admit(call, local)
                continue
            if not call.final:
                append(_new(Outcome, (call.id, False, 0, _NOT_FINAL, None)))
                continue
            # Rules.static_bits, inlined:
            bits = (CALLER_BLOCKED if classes[i] & blocked_classes
                    or (blocklist and call.caller in blocklist) else 0)
            if geo_bits is not None:
                bits |= geo_bits(call)
            if open_table is not None:
                day = local // DAY_S
                if (not open_table[(day + 3) % 7 * 1_440 + local % DAY_S // 60]
                        or day in closed_days):
                    bits |= AFTER_HOURS
            if on_connected:
                if call.answered_at is None:
                    bits |= NOT_CONNECTED
                elif call.connected_s < buffer_s:
                    bits |= SHORT
            elif call.duration_s < buffer_s:
                bits |= SHORT
            duplicate_of = None
            if window is not None:
                if previous is not None:
                    j = previous[i]
                    if j >= 0 and t - rows[j].started_at < window:
                        bits |= DUPLICATE
                        duplicate_of = rows[j].id
                else:
                    key = _duplicate_key(call, rules.dup_scope)
                    earlier = self.last_qualified.get(key) if key is not None else None
                    if earlier is not None and t - earlier[0] < window:
                        bits |= DUPLICATE
                        duplicate_of = earlier[1]
            if bits == 0 and limited:
                bits = self.over_limits(call, local)
            if bits:
                append(_new(Outcome, (call.id, False, 0, reasons_of(bits), duplicate_of)))
                continue
            if needs_admit:
                admit(call, local)
            append(_new(Outcome, (call.id, True, fixed if fixed is not None
                                  else amount(call, revenue.get(call.id)), (), None)))
        return out
