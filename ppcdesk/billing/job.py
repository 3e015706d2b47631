"""The evaluation job: apply every contract to the workspace's calls and store the outcomes.

Order: buyer contracts first, then publisher contracts, because a publisher paid a share of
revenue needs what the buyers pay for each call. Each contract is applied version by version
(a version covers its calls from its ``effective_from`` until the next version's), with the
calls before the range as history (``engine.lookback_start``), so caps and duplicate windows
that reach back across the range's start are honoured. Manual adjustments are laid on top of
the engine's verdict every time (they survive re-evaluation); ``flags`` keeps the engine's own
bits plus MANUAL, so history can tell the engine's verdict from a person's.

Incremental runs (after a sync) start, per contract, at the local midnight before the
earliest call written since the contract was last evaluated, and run to the end of the data:
a changed call can move caps and duplicates of every later call, never of an earlier one. A
contract with a new version is evaluated in full. Everything happens in one write transaction:
a cancel leaves the outcomes as they were.
"""

from __future__ import annotations

import bisect
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from functools import lru_cache
from zoneinfo import ZoneInfo

from sqlalchemy import Connection

from ppcdesk.billing import contract_file, engine, explain
from ppcdesk.billing.facts import CallFacts, Outcome, Prior
from ppcdesk.billing.terms import BufferBasis, Terms
from ppcdesk.core.changes import ChangeSet, Entity
from ppcdesk.core.clock import Clock, day_start_epoch, to_epoch
from ppcdesk.core.model import Counterparty
from ppcdesk.core.progress import Job, Progress
from ppcdesk.core.reasons import Reason, ReasonFlag
from ppcdesk.storage import billing_store as store
from ppcdesk.storage.db import Database

MANUAL = int(ReasonFlag.MANUAL)
AfterWrite = Callable[[Connection, int, int], None]
QUALIFIED_FIELDS = {"billable", "payable"}
AMOUNT_FIELDS = {"revenue", "payout"}
FOREVER = 2**62  # later than any call: an open end
NEVER = -FOREVER


@lru_cache(maxsize=256)
def terms_of(text: str, source: str = "contract version") -> Terms:
    """The terms a stored version's canonical TOML holds (its only contract)."""
    parsed = contract_file.parse(text, source=source)
    return parsed.contracts[0]


def effective_epoch(terms: Terms) -> int | None:
    """Where a version starts: local midnight of its ``effective_from`` in its own zone."""
    if terms.effective_from is None:
        return None
    return day_start_epoch(terms.effective_from, terms.timezone)


def local_midnight(epoch: int, zone: str) -> int:
    """The start of the local day (in ``zone``) that ``epoch`` falls in."""
    return day_start_epoch(datetime.fromtimestamp(epoch, ZoneInfo(zone)).date(), zone)


@dataclass(frozen=True, slots=True)
class Segment:
    """The calls ``[start, end)`` that one version of a contract decides."""

    version_id: int
    terms: Terms
    start: int
    end: int


@dataclass(frozen=True, slots=True)
class Plan:
    """One active contract and its versions (oldest first), as the job applies them."""

    contract_id: int
    name: str
    kind: Counterparty
    versions: tuple[tuple[int, Terms, int | None], ...]  # (version id, terms, starts at)
    numbers: tuple[int, ...] = ()  # each version's number (1, 2, ...), as the list shows it

    def number_of(self, version_id: int) -> int:
        index = [v[0] for v in self.versions].index(version_id)
        return self.numbers[index] if self.numbers else index + 1

    @property
    def newest(self) -> tuple[int, Terms]:
        version_id, terms, _ = self.versions[-1]
        return version_id, terms

    def segments(self, start: int, end: int) -> list[Segment]:
        """Cut ``[start, end)`` by version: a later version takes its calls from older ones."""
        found: list[Segment] = []
        cutoff = end
        for version_id, terms, begins in reversed(self.versions):
            lo = max(start, NEVER if begins is None else begins)
            if lo < cutoff:
                found.append(Segment(version_id, terms, lo, cutoff))
            cutoff = min(cutoff, NEVER if begins is None else begins)
            if cutoff <= start:
                break
        return found[::-1]


def plans(conn: Connection) -> list[Plan]:
    """The active contracts, buyers first (publishers may be paid a share of their revenue)."""
    by_contract: dict[int, list[store.StoredVersion]] = {}
    for version in store.versions(conn):
        by_contract.setdefault(version.contract_id, []).append(version)
    found = []
    for contract_id, stored in by_contract.items():
        versions = tuple((v.id, terms_of(v.terms, f"{v.contract} version {v.version}"),
                          v.effective_from) for v in stored)
        kind = Counterparty(stored[0].counterparty_kind)
        found.append(Plan(contract_id, stored[0].contract, kind, versions,
                          tuple(v.version for v in stored)))
    found.sort(key=lambda p: (p.kind is not Counterparty.BUYER, p.name))
    return found


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
    with db.write() as conn:
        found = plans(conn)
        span = store.data_span(conn)
        if not found or span is None:
            return ChangeSet()
        seen = store.calls_seen_at(conn)
        ranges: dict[int, tuple[int, int]] = {}
        for plan in found:
            if start is not None or end is not None:
                wanted: tuple[int, int] | None = (
                    span[0] if start is None else start, span[1] if end is None else end)
            elif incremental:
                wanted = _changed_range(conn, plan, span, changed_since)
            else:
                wanted = span
            if wanted is not None and wanted[0] < wanted[1]:
                ranges[plan.contract_id] = wanted
        todo = [p for p in found if p.contract_id in ranges]
        written = removed = 0
        if todo:
            work = [(p, s) for p in todo for s in p.segments(*ranges[p.contract_id])]
            lo = min(engine.lookback_start(s.terms, s.start) for _, s in work)
            hi = max(r[1] for r in ranges.values())
            yield Progress(0, len(work), "Reading calls")
            facts = Facts(store.load_facts(conn, lo, hi, store.names(conn), CallFacts))
            adjustments = {p.contract_id: store.latest_adjustments(conn, p.contract_id)
                           for p in todo}
            kept: dict[int, set[int]] = {p.contract_id: set() for p in todo}
            for index, (plan, segment) in enumerate(work):
                yield Progress(index, len(work), f"Evaluating {plan.name}")
                outcomes, revenue = run_segment(conn, plan.contract_id, segment, facts)
                by_id = facts.by_id(segment.start, segment.end) if outcomes else {}
                adjusted = adjustments[plan.contract_id]
                rows = [outcome_row(plan.contract_id, segment.version_id, segment.terms,
                                    by_id[o.call_id], o, adjusted.get(o.call_id), revenue, now)
                        for o in outcomes]
                kept[plan.contract_id].update(o.call_id for o in outcomes)
                written += store.upsert_outcomes(conn, rows)
            for plan in todo:
                removed += store.remove_outcomes(conn, plan.contract_id,
                                                 *ranges[plan.contract_id], kept[plan.contract_id])
            if after_write is not None and (written or removed):
                yield Progress(len(work), len(work), "Updating figures")
                after_write(conn, min(r[0] for r in ranges.values()), hi)
        if start is None and end is None:
            for plan in found:
                store.save_evaluation_state(conn, plan.contract_id, store.EvaluationState(
                    plan.newest[0], seen, now))
        yield Progress(len(todo), len(todo), "Saving")
    return ChangeSet.of(Entity.OUTCOMES, outcomes=written, removed=removed,
                        contracts=len(todo))


def _changed_range(conn: Connection, plan: Plan, span: tuple[int, int],
                   changed_since: int | None) -> tuple[int, int] | None:
    state = store.evaluation_state(conn, plan.contract_id)
    if state is None or state.contract_version_id != plan.newest[0]:
        return span
    marks = [state.calls_seen_at] + ([] if changed_since is None else [changed_since - 1])
    firsts = [f for f in (store.first_changed_call(conn, m) for m in marks) if f is not None]
    if not firsts:
        return None
    return local_midnight(min(firsts), plan.newest[1].timezone), span[1]


class Facts:
    """The calls a run reads, in call order, with the workspaces the engine builds over them.

    Contracts whose segments cover the same range share one ``engine.Workspace`` (the engine
    sorts and indexes the calls once for all of them).
    """

    def __init__(self, calls: list[CallFacts]) -> None:
        self.calls = calls
        self.starts = [c.started_at for c in calls]
        self._workspaces: dict[tuple[int, int], engine.Workspace] = {}
        self._lookback: dict[tuple[int, int], int] = {}

    def between(self, start: int, end: int) -> list[CallFacts]:
        return self.calls[bisect.bisect_left(self.starts, start):
                          bisect.bisect_left(self.starts, end)]

    def by_id(self, start: int, end: int) -> dict[int, CallFacts]:
        return {c.id: c for c in self.between(start, end)}

    def workspace(self, start: int, end: int, lookback: int) -> engine.Workspace:
        key = (start, end)
        found = self._workspaces.get(key)
        if found is None or self._lookback[key] > lookback:
            found = engine.Workspace(self.between(start, end), self.between(lookback, start))
            self._workspaces[key], self._lookback[key] = found, lookback
        return found


def history_of(conn: Connection, contract_id: int | None, terms: Terms, start: int,
               facts: Facts) -> list[Prior]:
    """The calls before ``start`` that the rules look back on, with the contract's verdicts."""
    lookback = engine.lookback_start(terms, start)
    earlier = facts.between(lookback, start)
    if not earlier or contract_id is None:
        return [Prior(f, qualified=False) for f in earlier]
    verdict = store.verdicts(conn, contract_id, lookback, start)
    return [Prior(f, verdict.get(f.id, False)) for f in earlier]


def run_segment(conn: Connection, contract_id: int | None, segment: Segment,
                facts: Facts) -> tuple[list[Outcome], dict[int, int]]:
    """Apply one version to its calls, with history and the buyers' revenue where shared."""
    terms = segment.terms
    history = history_of(conn, contract_id, terms, segment.start, facts)
    revenue: dict[int, int] = {}
    if terms.counterparty is Counterparty.PUBLISHER and terms.price.revenue_share is not None:
        revenue = store.revenue_by_call(conn, segment.start, segment.end)
    workspace = facts.workspace(segment.start, segment.end,
                                engine.lookback_start(terms, segment.start))
    return workspace.evaluate(terms, history=history, revenue=revenue), revenue


def outcome_row(contract_id: int, version_id: int, terms: Terms, call: CallFacts,
                outcome: Outcome, adjusted: Mapping[str, str] | None,
                revenue: Mapping[int, int], now: int) -> tuple[object, ...]:
    """The ``call_outcomes`` row of one outcome (store.OUTCOME_COLUMNS), adjustments on top."""
    qualified, amount, flags = outcome.qualified, outcome.amount_micros, outcome.flags
    reasons = [{"code": r.value, "text": explain.sentence(r, terms, call, outcome)}
               for r in outcome.reasons]
    if adjusted:
        qualified, amount = adjust(terms, call, outcome, adjusted, revenue)
        flags |= MANUAL
        reasons.append({"code": Reason.MANUAL.value, "text": _manual_text(terms, qualified,
                                                                           amount)})
    text = json.dumps(reasons, ensure_ascii=False) if reasons else "[]"
    buyer = terms.counterparty is Counterparty.BUYER
    return (outcome.call_id, contract_id, version_id, int(buyer and qualified),
            int(not buyer and qualified), amount if buyer else 0, 0 if buyer else amount,
            text, flags, outcome.duplicate_of, now)


def adjust(terms: Terms, call: CallFacts, outcome: Outcome, adjusted: Mapping[str, str],
           revenue: Mapping[int, int]) -> tuple[bool, int]:
    """The outcome after a person's overrides: (qualified, amount).

    Marked qualified without an amount: what the terms pay for the call (its list price);
    marked not qualified: nothing, unless an amount was set too.
    """
    qualified, amount = outcome.qualified, outcome.amount_micros
    for field, value in adjusted.items():
        if field in QUALIFIED_FIELDS:
            qualified = value == "true"
            amount = (amount or list_price(terms, call, revenue)) if qualified else 0
    for field, value in adjusted.items():
        if field in AMOUNT_FIELDS:
            amount = int(value)
    return qualified, amount


def list_price(terms: Terms, call: CallFacts, revenue: Mapping[int, int]) -> int:
    """What the terms pay for ``call`` were it qualified (for a person's "mark billable")."""
    price = terms.price
    if price.fixed_micros is not None:
        return price.fixed_micros
    if price.tiers:
        measured = call.connected_s if terms.buffer_basis is BufferBasis.CONNECTED \
            else call.duration_s
        reached = [t.amount_micros for t in sorted(price.tiers) if t.min_s <= measured]
        return reached[-1] if reached else 0
    if price.revenue_share is not None:
        share = Decimal(revenue.get(call.id, 0)) * price.revenue_share
        return int(share.quantize(Decimal(1), rounding=ROUND_HALF_UP))
    return 0


def _manual_text(terms: Terms, qualified: bool, amount: int) -> str:
    what = "billable" if terms.counterparty is Counterparty.BUYER else "payable"
    state = what if qualified else f"not {what}"
    return f"set by hand: {state}, ${Decimal(amount) / 1_000_000:,.2f} (see the adjustments)"
