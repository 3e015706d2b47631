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

Speed (a million calls under ten contracts in about a second of CPU): :class:`Workspace` reads
the calls once into numpy columns in call order (``_columns``: callers as integer keys with
their classes, parties as codes, local times per zone, the previous answered call of each
caller per scope), shared by every contract. Each contract is then array masks for the rules
that need no other call and for "connected" duplicates, and a short Python loop in call order
over the calls that passed them, for what is sequential: "qualified" duplicates, caps (a lone
cap is a rank within its period) and concurrency (``_vector``). ``_reference`` keeps the
plain per-call loop the rules were first written as; :meth:`Workspace.evaluate_by_rows` runs
it, a property test holds the two to the same outcomes, and calls whose values do not fit the
columns (ids beyond 64 bits) take it.
"""

from __future__ import annotations

import gc
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from itertools import compress
from operator import itemgetter

import numpy as np

from ppcdesk.billing import _reference, _vector
from ppcdesk.billing._columns import Columns, ColumnsUnavailableError, ints
from ppcdesk.billing._vector import Shape
from ppcdesk.billing.facts import CallFacts, Outcome, Prior
from ppcdesk.billing.rules import (
    DAY_S,
    EPOCH_ORDINAL,
    HOUR_S,
    compile_terms,
)
from ppcdesk.billing.terms import Terms


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
            _add_amounts(billed, results[k])
    return results


def _add_amounts(billed: dict[int, int], outcomes: list[Outcome]) -> None:
    """Add what ``outcomes`` bill to ``billed`` (call id -> micros), at C speed.

    A call appears once per contract, so only the calls another contract billed too add up.
    """
    amounts = list(map(itemgetter(2), outcomes))
    new = dict(zip(compress(map(itemgetter(0), outcomes), amounts), filter(None, amounts),
                   strict=True))
    for call_id in new.keys() & billed.keys():
        new[call_id] += billed[call_id]
    billed.update(new)


class Workspace:
    """The calls of a range and of its lookback, sorted and indexed once for many contracts.

    A call given twice in the range keeps its first copy (and is reported in ``problems``);
    a history call is kept once, and not at all when the range holds it.
    """

    def __init__(self, calls: Iterable[CallFacts], history: Iterable[CallFacts] = ()) -> None:
        self.problems: list[str] = []
        rows: list[CallFacts] = list(calls)
        earlier: list[CallFacts] = list(history)
        self._columns: Columns | None = None
        self._index: _reference.Index | None = None
        try:
            self._columns = self._arrange(rows, earlier)
        except ColumnsUnavailableError:
            self._arrange_in_python(rows, earlier)

    def _arrange(self, rows: list[CallFacts], earlier: list[CallFacts]) -> Columns:
        """Drop repeated calls, put the history first, and find call order with numpy."""
        ids = ints(map(itemgetter(0), rows), len(rows))
        ordered = np.sort(ids)  # not np.unique: its hash table costs ten times more here
        if bool((ordered[1:] == ordered[:-1]).any()):
            rows = self._first_of_each(rows)
            ids = ints(map(itemgetter(0), rows), len(rows))
        if earlier:
            before = ints(map(itemgetter(0), earlier), len(earlier))
            _, first = np.unique(before, return_index=True)
            first.sort()  # each history call once, where it first came
            first = first[~np.isin(before[first], ids)]
            earlier = list(map(earlier.__getitem__, first.tolist()))
            ids = np.concatenate((before[first], ids))
        source = earlier + rows
        starts = ints(map(itemgetter(2), source), len(source))
        later = (starts[1:] > starts[:-1]) | ((starts[1:] == starts[:-1]) & (ids[1:] > ids[:-1]))
        order = None if bool(later.all()) else np.lexsort((ids, starts))
        in_range = np.zeros(len(source), dtype=np.bool_)
        in_range[len(earlier):] = True
        self._source, self._order = source, order
        if order is not None:
            starts, ids, in_range = starts[order], ids[order], in_range[order]
        self.in_range = in_range
        return Columns(source, order, starts, ids)

    def _arrange_in_python(self, rows: list[CallFacts], earlier: list[CallFacts]) -> None:
        in_range = {c.id for c in rows}
        if len(in_range) != len(rows):
            rows = self._first_of_each(rows)
        seen = set(in_range)
        for call in earlier:
            if call.id not in seen:
                seen.add(call.id)
                rows.append(call)
        rows.sort(key=itemgetter(2, 0))  # (started_at, id): call order
        self._source, self._order = rows, None
        self.in_range = np.fromiter((c.id in in_range for c in rows), dtype=np.bool_,
                                    count=len(rows))

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

    @property
    def rows(self) -> list[CallFacts]:
        """The calls in call order (built on first use: the fast path reads columns)."""
        if self._order is not None:
            self._source = list(map(self._source.__getitem__, self._order.tolist()))
            self._order = None
        return self._source

    def evaluate(self, terms: Terms, *, history: Sequence[Prior] = (),
                 revenue: Mapping[int, int] | None = None) -> list[Outcome]:
        """Outcomes of the in-range rows ``terms`` cover (see :func:`evaluate`)."""
        return self.evaluate_shaped(terms, history=history, revenue=revenue)[0]

    def evaluate_shaped(self, terms: Terms, *, history: Sequence[Prior] = (),
                        revenue: Mapping[int, int] | None = None,
                        ) -> tuple[list[Outcome], Shape | None]:
        """:meth:`evaluate`'s outcomes and, when the columns made them, their :class:`Shape`
        (None when they came row by row)."""
        rules = compile_terms(terms)
        with no_gc():
            if self._columns is not None:
                try:
                    return _vector.evaluate(self._columns, self.in_range, rules, history,
                                            revenue or {})
                except ColumnsUnavailableError:
                    self._columns = None  # odd values in a column read late: row by row
            return self.evaluate_by_rows(terms, history=history, revenue=revenue), None

    def evaluate_by_rows(self, terms: Terms, *, history: Sequence[Prior] = (),
                         revenue: Mapping[int, int] | None = None) -> list[Outcome]:
        """The same outcomes as :meth:`evaluate`, by the reference loop (slow; for checks)."""
        if self._index is None:
            self._index = _reference.Index(self.rows, self.in_range.tobytes())
        with no_gc():
            return _reference.evaluate(self._index, compile_terms(terms), history,
                                       revenue or {})


@contextmanager
def no_gc() -> Iterator[None]:
    """Pause the cycle collector while building millions of acyclic tuples (facts, rows).

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
