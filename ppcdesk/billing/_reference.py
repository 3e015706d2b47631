"""Apply one contract to a workspace row by row: the engine's reference, plain Python.

The fast path (``_vector``) must give exactly these verdicts; a property test compares the two
on generated calls and contracts. This path also serves calls whose values the columns cannot
carry (ids or times beyond 64 bits, a caller that is not text).
"""

from __future__ import annotations

import heapq
from collections.abc import Mapping, Sequence

from ppcdesk.billing.facts import CallFacts, Outcome, Prior
from ppcdesk.billing.rules import (
    AFTER_HOURS,
    ANONYMOUS,
    CALLER_BLOCKED,
    DAY_S,
    DUPLICATE,
    HOUR_S,
    NOT_CONNECTED,
    OVER_CAP,
    OVER_CONCURRENCY,
    SHORT,
    Rules,
    caller_class,
    month_of,
    reasons_of,
)
from ppcdesk.billing.terms import DuplicateScope
from ppcdesk.core.reasons import Reason

_NOT_FINAL = (Reason.NOT_FINAL,)
_new = tuple.__new__  # Outcome(...) without the keyword-handling wrapper


class Index:
    """The rows of a workspace in call order, with the per-row indexes the loop reads."""

    def __init__(self, rows: list[CallFacts], in_range: bytes) -> None:
        self.rows = rows
        self.in_range = in_range
        self._parties: tuple[dict[str | None, list[int]], dict[str | None, list[int]]] | None \
            = None
        self._previous: dict[DuplicateScope, list[int]] = {}
        self._classes: bytes | None = None

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

    def __init__(self, workspace: Index, rules: Rules, history: Sequence[Prior],
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


def evaluate(index: Index, rules: Rules, history: Sequence[Prior],
             revenue: Mapping[int, int]) -> list[Outcome]:
    """Outcomes of the in-range rows ``rules`` cover, in call order (see ``engine.evaluate``)."""
    return _Run(index, rules, history, revenue).outcomes()
