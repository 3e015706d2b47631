"""Apply one contract to a workspace's columns: array masks, then a short loop in call order.

The rules that need no other call (final, callers, geography, hours, connected, buffer) and
duplicates on the "connected" basis (whose earlier calls depend on no contract) are array
operations over the contract's calls. Only what is truly sequential runs in Python, in call
order, over the calls that passed every rule above: duplicates on the "qualified" basis, caps
and concurrency. The verdicts are those of the reference loop (``_reference``), which a
property test holds this module to.
"""

from __future__ import annotations

import heapq
from collections.abc import Mapping, Sequence
from itertools import repeat
from typing import NamedTuple

import numpy as np

from ppcdesk.billing._columns import (
    OTHER_BASE,
    Bools,
    Columns,
    Ints,
    previous_in_group,
    stable_order,
)
from ppcdesk.billing.facts import Outcome, Prior
from ppcdesk.billing.rules import (
    AFTER_HOURS,
    CALLER_BLOCKED,
    DAY_S,
    DUPLICATE,
    GEO_BLOCKED,
    GEO_UNKNOWN,
    HOUR_S,
    NOT_CONNECTED,
    NOT_FINAL,
    OVER_CAP,
    OVER_CONCURRENCY,
    SHORT,
    Rules,
    reasons_of,
    round_ratio,
)
from ppcdesk.billing.terms import DuplicateScope
from ppcdesk.core import phone

_CANDIDATE, _ADMIT = 1, 2  # kinds of the rows the sequential loop visits


class Shape(NamedTuple):
    """Where a list of outcomes came from: each one's row in the columns, and its flags.

    What ``refusal_words`` words a million refusals from without a pass of Python per call.
    """

    columns: Columns
    at: Ints
    bits: Ints


def evaluate(cols: Columns, in_range: Bools, rules: Rules, history: Sequence[Prior],
             revenue: Mapping[int, int]) -> tuple[list[Outcome], Shape]:
    """Outcomes of the in-range rows ``rules`` cover, in call order (see ``engine.evaluate``),
    and their :class:`Shape`."""
    parties = cols.buyer if rules.is_buyer else cols.publisher
    party = parties.code(rules.party)
    if party < 0:
        nothing = np.zeros(0, dtype=np.int64)
        return [], Shape(cols, nothing, nothing)
    covered = parties.codes == party
    if rules.campaign is not None:
        covered &= cols.campaign.codes == cols.campaign.code(rules.campaign)
    rows = np.flatnonzero(covered)
    local = cols.local(rules.clock)[rows]
    if rules.from_day is not None:
        keep = local // DAY_S >= rules.from_day
        rows, local = rows[keep], local[keep]
    inside = in_range[rows]
    judged = np.flatnonzero(inside & cols.final[rows])  # positions in rows
    bits = np.zeros(len(rows), dtype=np.int64)
    bits[inside & ~cols.final[rows]] = NOT_FINAL
    earlier = np.full(len(rows), -1, dtype=np.int64)  # the row a duplicate repeats
    at = rows[judged]
    bits[judged] = _static_bits(cols, rules, at, local[judged])
    if rules.window_s is not None and not rules.dup_on_qualified:
        previous = cols.previous_answered(rules.dup_scope or DuplicateScope.ALL)[at]
        repeats = (previous >= 0) & (cols.start[at] - cols.start[previous] < rules.window_s)
        bits[judged[repeats]] |= DUPLICATE
        earlier[judged[repeats]] = previous[repeats]
    if rules.has_caps or rules.concurrency is not None or rules.dup_on_qualified:
        _sequential(cols, rules, rows, local, inside, judged, bits, earlier, history)
    qualified = np.zeros(len(rows), dtype=np.bool_)
    qualified[judged] = bits[judged] == 0
    shown = np.flatnonzero(inside)
    at, bits = rows[shown], bits[shown]
    return (_outcomes(cols, rules, at, bits, qualified[shown], earlier[shown], revenue),
            Shape(cols, at, bits))


def _static_bits(cols: Columns, rules: Rules, at: Ints, local: Ints) -> Ints:
    """``Rules.static_bits`` of the rows ``at`` (their local starts ``local``), as arrays."""
    bits = np.zeros(len(at), dtype=np.int64)
    if rules.blocked_classes:
        bits[(cols.caller_class[at] & rules.blocked_classes) != 0] |= CALLER_BLOCKED
    if rules.blocklist:
        keys = [cols.caller_key(c) for c in rules.blocklist if isinstance(c, str)]
        bits[np.isin(cols.caller[at], keys)] |= CALLER_BLOCKED
    if rules.checks_geo:
        bits |= _geo_bits(cols, rules, at)
    if rules.open is not None:
        day = local // DAY_S
        minute = (day + 3) % 7 * 1_440 + local % DAY_S // 60
        shut = np.frombuffer(rules.open, dtype=np.uint8)[minute] == 0
        if rules.closed_days:
            shut |= np.isin(day, list(rules.closed_days))
        bits[shut] |= AFTER_HOURS
    if rules.on_connected:
        answered = cols.answered[at]
        bits[~answered] |= NOT_CONNECTED  # and no SHORT: a call that never connected
        bits[answered & (cols.connected[at] < rules.buffer_s)] |= SHORT
    else:
        bits[cols.duration[at] < rules.buffer_s] |= SHORT
    return bits


def _geo_bits(cols: Columns, rules: Rules, at: Ints) -> Ints:
    """``Rules.geo_bits``: each distinct state and area code judged once, then looked up."""
    allowed, blocked = rules.allowed_states, rules.blocked_states
    table = np.array([
        (GEO_UNKNOWN if rules.unknown_blocked else 0) if state is None
        else GEO_BLOCKED if (allowed and state not in allowed) or state in blocked else 0
        for state in cols.state.values], dtype=np.int64)
    bits = table[cols.state.codes[at]]
    allowed, blocked = rules.allowed_area_codes, rules.blocked_area_codes
    if allowed or blocked:
        def refused(npa: str | None) -> bool:
            return bool((allowed and npa not in allowed) or npa in blocked)

        nanp = np.array([refused(f"{npa:03d}") for npa in range(1_000)], dtype=np.bool_)
        other = np.array([refused(phone.area_code(text)) for text in cols.other_callers]
                         + [False], dtype=np.bool_)
        area, caller = cols.area_code[at], cols.caller[at]
        bad = np.where(area >= 0, nanp[np.maximum(area, 0)],
                       other[np.clip(caller - OTHER_BASE, 0, len(other) - 1)])
        bits[bad] |= GEO_BLOCKED
    return bits


def _sequential(cols: Columns, rules: Rules, rows: Ints, local: Ints, inside: Bools,  # noqa: PLR0912, PLR0915 - one hot loop
                judged: Ints, bits: Ints, earlier: Ints, history: Sequence[Prior]) -> None:
    """Duplicates on the qualified basis, caps and concurrency, in call order (in place).

    The loop visits the calls that passed every other rule and the history calls this
    contract qualified (they take their cap slots); a call over a cap takes no slot.
    """
    kinds = np.zeros(len(rows), dtype=np.int8)
    kinds[judged[bits[judged] == 0]] = _CANDIDATE
    qualified_before = [p.call.id for p in history if p.qualified]
    if qualified_before:
        kinds[~inside & np.isin(cols.id[rows], qualified_before)] = _ADMIT
    seq = np.flatnonzero(kinds)
    at = rows[seq]
    starts = cols.start[at]
    limits = [(cap, _periods(k, starts, local[seq])) for k, cap in enumerate(rules.caps)
              if cap is not None]
    concurrency = rules.concurrency
    window = rules.window_s
    on_qualified = rules.dup_on_qualified and window is not None
    if len(limits) == 1 and concurrency is None and not on_qualified:
        cap, periods = limits[0]
        bits[seq[_over_one_cap(periods, kinds[seq] == _CANDIDATE, cap)]] |= OVER_CAP
        return
    caps: list[tuple[int, dict[int, int], list[int]]] = [
        (cap, {}, periods.tolist()) for cap, periods in limits]
    answered = cols.answered[at].tolist()
    begins = np.maximum(cols.answered_at[at], starts).tolist()
    ends = (np.maximum(cols.answered_at[at], starts) + cols.connected[at]).tolist()
    scope = rules.dup_scope or DuplicateScope.ALL
    keys = cols.scope_key(scope)[at].tolist() if on_qualified else []
    last: dict[int, tuple[int, int]] = {}  # key -> (start, row) of the latest qualified call
    rows_at = at.tolist()
    active: list[tuple[int, int]] = []  # (end, start) of qualified connected spans
    verdicts = np.zeros(len(seq), dtype=np.int64)
    repeats = np.full(len(seq), -1, dtype=np.int64)
    admitted = np.zeros(len(seq), dtype=np.bool_)
    for n, (kind, t) in enumerate(zip(kinds[seq].tolist(), starts.tolist(), strict=True)):
        if kind == _CANDIDATE:
            if on_qualified and keys[n] >= 0:
                found = last.get(keys[n])
                if found is not None and t - found[0] < window:
                    verdicts[n] = DUPLICATE
                    repeats[n] = found[1]
                    continue
            over = 0
            for cap, counter, period in caps:
                if counter.get(period[n], 0) >= cap:
                    over = OVER_CAP
                    break
            if concurrency is not None and answered[n]:
                moment = begins[n]
                while active and active[0][0] <= t:  # ended before this call began
                    heapq.heappop(active)
                if sum(1 for end, start in active if start <= moment < end) >= concurrency:
                    over |= OVER_CONCURRENCY
            if over:
                verdicts[n] = over
                continue
        admitted[n] = True
        for _, counter, period in caps:
            counter[period[n]] = counter.get(period[n], 0) + 1
        if concurrency is not None and answered[n]:
            heapq.heappush(active, (ends[n], begins[n]))
        if on_qualified and keys[n] >= 0:
            last[keys[n]] = (t, rows_at[n])
    bits[seq] |= verdicts
    if not on_qualified:
        return
    repeated = repeats >= 0
    earlier[seq[repeated]] = repeats[repeated]
    # The calls other rules refused: the latest qualified call of the caller, vectorised.
    counts = np.zeros(len(rows), dtype=np.bool_)
    counts[seq[admitted]] = True
    previous = previous_in_group(cols.scope_key(scope)[rows], counts)
    others = judged[kinds[judged] != _CANDIDATE]
    prev = previous[others]
    hit = (prev >= 0) & (cols.start[rows[others]] - cols.start[rows[np.maximum(prev, 0)]]
                         < window)
    bits[others[hit]] |= DUPLICATE
    earlier[others[hit]] = rows[prev[hit]]


def _periods(k: int, starts: Ints, local: Ints) -> Ints:
    """The cap periods of calls: local hour (as its UTC start), day, week from Monday, month."""
    if k == 0:
        return starts - local % HOUR_S
    day = local // DAY_S
    if k == 1:
        return day
    if k == 2:  # the caps are hourly, daily, weekly, monthly
        return (day + 3) // 7
    return day.astype("datetime64[D]").astype("datetime64[M]").astype(np.int64)


def _over_one_cap(periods: Ints, candidate: Bools, cap: int) -> Bools:
    """Which candidates a lone cap refuses, without a loop.

    The others are history calls that took a slot. A candidate qualifies exactly when the
    history calls before it in its period plus the candidates before it in its period are
    fewer than the cap: until the period is full every candidate takes a slot, after it none.
    """
    order = stable_order(periods)  # by period, call order within one
    grouped = periods[order]
    new = np.ones(len(order), dtype=np.bool_)
    new[1:] = grouped[1:] != grouped[:-1]
    position = np.arange(len(order))
    before = position - np.flatnonzero(new)[np.cumsum(new) - 1]  # earlier in the period
    over = np.zeros(len(order), dtype=np.bool_)
    over[order] = candidate[order] & (before >= cap)
    return over


def _outcomes(cols: Columns, rules: Rules, at: Ints, bits: Ints, qualified: Bools,
              earlier: Ints, revenue: Mapping[int, int]) -> list[Outcome]:
    """One Outcome per row ``at``: the amounts of the qualified ones, reasons shared per bits."""
    ids = cols.id[at]
    won = np.flatnonzero(qualified)
    amounts = np.zeros(len(at), dtype=np.int64)
    if rules.fixed is not None:
        amounts[won] = rules.fixed
    elif rules.tiers:
        tiers = sorted(rules.tiers)  # a threshold met pays its amount: the highest one reached
        floors = np.array([m for m, _ in tiers], dtype=np.int64)
        worth = np.array([0] + [a for _, a in tiers], dtype=np.int64)
        measured = (cols.connected if rules.on_connected else cols.duration)[at[won]]
        amounts[won] = worth[np.searchsorted(floors, measured, side="right")]
    paid: list[int] = amounts.tolist()
    if rules.fixed is None and rules.share is not None:  # Python ints: shares of any size
        numerator, denominator = rules.share
        for n, call_id in zip(won.tolist(), ids[won].tolist(), strict=True):
            billed = revenue.get(call_id)
            paid[n] = 0 if billed is None else round_ratio(billed, numerator, denominator)
    reasons = np.empty(int(bits.max(initial=0)) + 1, dtype=object)  # one tuple per bits value
    for value in np.flatnonzero(np.bincount(bits)).tolist():
        reasons[value] = reasons_of(value)
    repeats = np.full(len(ids), None, dtype=object)
    found = earlier >= 0
    repeats[found] = cols.id[earlier[found]]
    return list(map(tuple.__new__, repeat(Outcome),
                    zip(ids.tolist(), qualified.tolist(), paid, reasons[bits].tolist(),
                        repeats.tolist(), strict=True)))
