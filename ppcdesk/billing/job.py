"""The evaluation job: apply every contract to the workspace's calls and store the outcomes.

Order: buyer contracts first, then publisher contracts, because a publisher paid a share of
revenue needs what the buyers pay for each call. Each contract is applied version by version
(a version covers its calls from its ``effective_from`` until the next version's), with the
calls before the range as history (``engine.lookback_start``), so caps and duplicate windows
that reach back across the range's start are honoured. Manual adjustments are laid on top of
the engine's verdict every time (``outcome_rows``).

Only what changed is worded and written: an outcome whose call was not written since the
contract's last evaluation, with the same version, flags, amount and duplicate as the stored
one, would be stored exactly as it is (its sentences depend on nothing else), so a re-run over
a year that did not move reads the stored outcomes once and writes nothing.

Incremental runs (after a sync) start, per contract, at the local midnight before the
earliest call written since the contract was last evaluated, and run to the end of the data:
a changed call can move caps and duplicates of every later call, never of an earlier one. A
contract with a new version is evaluated in full. Everything happens in one write transaction:
a cancel leaves the outcomes as they were.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from itertools import compress, repeat
from operator import itemgetter, not_, or_

from sqlalchemy import Connection

from ppcdesk.billing._vector import Shape
from ppcdesk.billing.engine import no_gc
from ppcdesk.billing.facts import Outcome
from ppcdesk.billing.outcome_rows import Adjusted, Rows, outcome_row
from ppcdesk.billing.plan import (
    FOREVER,
    NEVER,
    Plan,
    Segment,
    effective_epoch,
    local_midnight,
    plans,
    terms_of,
)
from ppcdesk.billing.refusal_words import forget_phrases
from ppcdesk.billing.workspaces import (
    CallIndex,
    Facts,
    parties_of,
    run_segment,
    run_segment_shaped,
)
from ppcdesk.core.changes import ChangeSet, Entity
from ppcdesk.core.clock import Clock, to_epoch
from ppcdesk.core.model import Counterparty
from ppcdesk.core.progress import Job, Progress
from ppcdesk.storage import billing_store as store
from ppcdesk.storage.db import Database
from ppcdesk.storage.ingest import FlatRows

__all__ = ["FOREVER", "NEVER", "AfterWrite", "Facts", "Plan", "Segment", "effective_epoch",
           "evaluate_job", "local_midnight", "outcome_row", "plans", "run_segment", "terms_of"]

AfterWrite = Callable[[Connection, int, int], None]
Stored = set[tuple[int, int, int, int, int | None]]


def evaluate_job(db: Database, clock: Clock, *, start: int | None = None,
                 end: int | None = None, incremental: bool = False,
                 changed_since: int | None = None,
                 after_write: AfterWrite | None = None) -> Job[ChangeSet]:
    """Evaluate every active contract: in full, over ``[start, end)``, or incrementally.

    ``incremental``: per contract, only from the day of the earliest call written since its
    last evaluation (or since ``changed_since``, e.g. a sync's start) to the end of the data.
    Full and incremental runs record what they have seen; a run over a given range does not.
    ``after_write(conn, since, until)`` runs in the same transaction once outcomes of calls
    started in ``[since, until)`` were written (the services refresh the KPI rollups there).
    """
    yield Progress(0, None, "Reading contracts")
    now = to_epoch(clock.now())
    # A whole-workspace run writes up to millions of rows: a large page cache meanwhile. No
    # run checks keys: every call, contract and version it writes was read in its transaction.
    whole = not incremental and start is None and end is None
    with db.write(bulk=whole, foreign_keys=False) as conn:
        found = plans(conn)
        span = store.data_span(conn)
        if not found or span is None:
            return ChangeSet()
        seen = store.calls_seen_at(conn)
        ranges: dict[int, tuple[int, int]] = {}
        firsts: dict[int, int | None] = {}  # mark -> first changed call (contracts share marks)
        for plan in found:
            if start is not None or end is not None:
                wanted: tuple[int, int] | None = (
                    span[0] if start is None else start, span[1] if end is None else end)
            elif incremental:
                wanted = _changed_range(conn, plan, span, changed_since, firsts)
            else:
                wanted = span
            if wanted is not None and wanted[0] < wanted[1]:
                ranges[plan.contract_id] = wanted
        if incremental and start is None and end is None:
            _share_start(conn, found, ranges)
        todo = [p for p in found if p.contract_id in ranges]
        written = removed = 0
        if todo:
            with no_gc():
                written, removed = yield from _evaluate(conn, found, ranges, now, changed_since)
            if after_write is not None and (written or removed):
                yield Progress(len(todo), len(todo), "Updating figures")
                after_write(conn, min(r[0] for r in ranges.values()),
                            max(r[1] for r in ranges.values()))
        if start is None and end is None:
            for plan in found:
                store.save_evaluation_state(conn, plan.contract_id, store.EvaluationState(
                    plan.newest[0], seen, now))
        yield Progress(len(todo), len(todo), "Saving")
    return ChangeSet.of(Entity.OUTCOMES, outcomes=written, removed=removed,
                        contracts=len(todo))


def _evaluate(conn: Connection, found: list[Plan], ranges: dict[int, tuple[int, int]],
              now: int, changed_since: int | None) -> Job[tuple[int, int]]:
    """Evaluate the contracts in ``ranges``, store their outcomes: (written, removed)."""
    todo = [p for p in found if p.contract_id in ranges]
    work = [(p, s) for p in todo for s in p.segments(*ranges[p.contract_id])]
    yield Progress(0, len(work), "Reading calls")
    facts = Facts(conn)
    for plan in todo:
        parties = parties_of((v[1] for v in plan.versions), facts.known)
        if parties is not None:
            facts.parties[plan.contract_id] = parties
    for plan, segment in work:
        facts.plan(plan.contract_id, segment)
    stored: dict[int, Stored] = {}
    by_range: dict[tuple[int, int], list[int]] = {}
    for plan in todo:
        by_range.setdefault(ranges[plan.contract_id], []).append(plan.contract_id)
    for (lo, hi), ids in by_range.items():  # an incremental run: one range for all
        stored.update(store.stored_outcomes_of(conn, ids, lo, hi))
    unseen = _unseen(conn, [p.contract_id for p in todo], changed_since)
    adjusted = {p.contract_id: store.latest_adjustments(conn, p.contract_id) for p in todo}
    for plan, segment in work:
        facts.prepare(plan.contract_id, segment)
    kept: dict[int, set[int]] = {p.contract_id: set() for p in todo}
    billed: dict[int, int] = {}  # what this run's buyer contracts bill per call
    removed = 0
    writer = _Writer(conn)
    indexes: dict[tuple[int, int], CallIndex] = {}  # the calls of each range, by id
    try:
        for index, (plan, segment) in enumerate(work):
            yield Progress(index, len(work), f"Evaluating {plan.name}")
            given = billed if _covered(found, ranges, segment) else None
            if given is None:
                writer.drain()  # run_segment reads the buyers' stored revenue
            outcomes, revenue, shape = run_segment_shaped(conn, plan.contract_id, segment,
                                                          facts, given)
            changed, shape = _changed(outcomes, shape, segment.version_id,
                                      stored[plan.contract_id], unseen[plan.contract_id],
                                      adjusted[plan.contract_id])
            key = (segment.start, segment.end)
            if key not in indexes:
                indexes[key] = CallIndex(facts.between(*key))
            rows = Rows(plan.contract_id, segment.version_id, segment.terms, now).rows(
                changed, indexes[key], adjusted[plan.contract_id], revenue, shape)
            if plan.kind is Counterparty.BUYER:
                _add_billed(billed, outcomes, rows, adjusted[plan.contract_id])
            kept[plan.contract_id].update(map(itemgetter(0), outcomes))
            writer.write(rows)
        written = writer.drain()
    finally:
        writer.close()  # a cancel waits for the statement in flight, then rolls back
        forget_phrases()
    for plan in todo:
        gone = {k[0] for k in stored[plan.contract_id]} - kept[plan.contract_id]
        removed += store.delete_outcomes(conn, plan.contract_id, gone)
    return written, removed


class _Writer:
    """Upserts rows on a helper thread while the next contract is evaluated.

    A SQLite statement releases the GIL while it runs, so writing one contract's rows costs
    the evaluation of the next almost nothing on a second core. Only this thread uses the
    connection meanwhile: everything the loop reads was read before it (``Facts.prepare``),
    and a read of stored outcomes waits for the writes (``drain``).
    """

    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="ppcdesk-outcomes")
        self._pending: list[Future[int]] = []
        self.written = 0

    def write(self, rows: FlatRows) -> None:
        if rows:
            self._pending.append(self._pool.submit(store.upsert_outcomes, self.conn, rows))

    def drain(self) -> int:
        """Wait for every write so far (raising what one raised); the rows written in all."""
        pending, self._pending = self._pending, []
        for future in pending:
            self.written += future.result()
        return self.written

    def close(self) -> None:
        for future in self._pending:
            future.cancel()
        self._pool.shutdown(wait=True)


def _unseen(conn: Connection, contract_ids: list[int],
            changed_since: int | None) -> dict[int, set[int] | None]:
    """Per contract, the calls written since its last evaluation (None: never evaluated).

    Every stored outcome of any other call was worded from the facts the call still has.
    """
    found: dict[int, set[int] | None] = {}
    by_mark: dict[int, set[int]] = {}
    for contract_id in contract_ids:
        state = store.evaluation_state(conn, contract_id)
        if state is None:
            found[contract_id] = None
            continue
        since = state.calls_seen_at
        if changed_since is not None:
            since = min(since, changed_since - 1)
        if since not in by_mark:
            by_mark[since] = store.calls_written_since(conn, since)
        found[contract_id] = by_mark[since]
    return found


def _changed(outcomes: list[Outcome], shape: Shape | None, version_id: int, stored: Stored,
             unseen: set[int] | None, adjusted: Adjusted,
             ) -> tuple[list[Outcome], Shape | None]:
    """The outcomes whose rows may differ from the stored ones (all, if nothing is stored),
    and their shape (``shape``'s rows for them)."""
    if not stored or unseen is None:
        return outcomes, shape
    # At C speed (maps, no loop of Python per outcome): a re-run checks a million of them.
    ids = list(map(itemgetter(0), outcomes))
    flags = shape.bits.tolist() if shape is not None else [o.flags for o in outcomes]
    keys = zip(ids, repeat(version_id), flags, map(itemgetter(2), outcomes),
               map(itemgetter(4), outcomes))
    moved = map(not_, map(stored.__contains__, keys))
    fresh = unseen | adjusted.keys() if adjusted else unseen
    if fresh:
        moved = map(or_, moved, map(fresh.__contains__, ids))
    places = list(compress(range(len(outcomes)), moved))
    if shape is not None:
        shape = Shape(shape.columns, shape.at[places], shape.bits[places])
    return list(map(outcomes.__getitem__, places)), shape


def _add_billed(billed: dict[int, int], outcomes: list[Outcome], rows: FlatRows,
                adjusted: Adjusted) -> None:
    """Add what a buyer contract bills per call (adjustments applied) to ``billed``.

    ``rows``: those written of ``outcomes`` (every adjusted one is among them).
    """
    amounts = list(map(itemgetter(2), outcomes))
    new = dict(zip(compress(map(itemgetter(0), outcomes), amounts), filter(None, amounts),
                   strict=True))
    touched = [n for n, i in enumerate(rows.values[::rows.width]) if i in adjusted] \
        if adjusted else []
    for row in map(rows.__getitem__, touched):
        if row[5]:
            new[row[0]] = row[5]
        else:
            new.pop(row[0], None)
    for call_id in new.keys() & billed.keys():
        new[call_id] += billed[call_id]
    billed.update(new)


def _changed_range(conn: Connection, plan: Plan, span: tuple[int, int],
                   changed_since: int | None,
                   firsts: dict[int, int | None]) -> tuple[int, int] | None:
    state = store.evaluation_state(conn, plan.contract_id)
    if state is None or state.contract_version_id != plan.newest[0]:
        return span
    marks = [state.calls_seen_at] + ([] if changed_since is None else [changed_since - 1])
    for mark in marks:
        if mark not in firsts:
            firsts[mark] = store.first_changed_call(conn, mark)
    found = [f for f in (firsts[m] for m in marks) if f is not None]
    if not found:
        return None
    return local_midnight(min(found), plan.newest[1].timezone), span[1]


def _share_start(conn: Connection, found: list[Plan],
                 ranges: dict[int, tuple[int, int]]) -> None:
    """Start every incremental contract at the earliest of their starts.

    Contracts in several zones start at several midnights; one start lets them share one
    workspace (calls read and indexed once), and evaluating a little more is still exact.
    """
    incremental = [p.contract_id for p in found if p.contract_id in ranges
                   and (state := store.evaluation_state(conn, p.contract_id)) is not None
                   and state.contract_version_id == p.newest[0]]
    if incremental:
        first = min(ranges[c][0] for c in incremental)
        for contract_id in incremental:
            ranges[contract_id] = (first, ranges[contract_id][1])


def _covered(found: list[Plan], ranges: dict[int, tuple[int, int]], segment: Segment) -> bool:
    """Whether this run evaluated every buyer contract over the whole of ``segment``."""
    return all(p.contract_id in ranges and ranges[p.contract_id][0] <= segment.start
               and ranges[p.contract_id][1] >= segment.end
               for p in found if p.kind is Counterparty.BUYER)
