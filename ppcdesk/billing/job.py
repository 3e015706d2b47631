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

import json
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from functools import lru_cache
from zoneinfo import ZoneInfo

from sqlalchemy import Connection

from ppcdesk.billing import contract_file, engine, explain
from ppcdesk.billing.facts import CallFacts, Outcome, Prior
from ppcdesk.billing.terms import BufferBasis, DuplicateBasis, Terms
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
        if incremental and start is None and end is None:
            _share_start(conn, found, ranges)
        todo = [p for p in found if p.contract_id in ranges]
        written = removed = 0
        if todo:
            written, removed = yield from _evaluate(conn, found, ranges, now)
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
              now: int) -> Job[tuple[int, int]]:
    """Evaluate the contracts in ``ranges``, store their outcomes: (written, removed)."""
    todo = [p for p in found if p.contract_id in ranges]
    work = [(p, s) for p in todo for s in p.segments(*ranges[p.contract_id])]
    yield Progress(0, len(work), "Reading calls")
    facts = Facts(conn)
    for plan, segment in work:
        facts.plan(plan.contract_id, segment)
    kept: dict[int, set[int]] = {p.contract_id: set() for p in todo}
    billed: dict[int, int] = {}  # what this run's buyer contracts bill per call
    written = removed = 0
    for index, (plan, segment) in enumerate(work):
        yield Progress(index, len(work), f"Evaluating {plan.name}")
        given = billed if _covered(found, ranges, segment) else None
        outcomes, revenue = run_segment(conn, plan.contract_id, segment, facts, given)
        adjusted = store.latest_adjustments(conn, plan.contract_id)
        words = Sentences(segment.terms)
        rows = [outcome_row(plan.contract_id, segment.version_id, segment.terms, call, o,
                            adjusted.get(o.call_id), revenue, now, words)
                for call, o in _paired(facts.between(segment.start, segment.end), outcomes)]
        if plan.kind is Counterparty.BUYER:
            for row in rows:
                if row[5]:
                    billed[row[0]] = billed.get(row[0], 0) + row[5]
        kept[plan.contract_id].update(o.call_id for o in outcomes)
        written += store.upsert_outcomes(conn, rows)
    for plan in todo:
        removed += store.remove_outcomes(conn, plan.contract_id, *ranges[plan.contract_id],
                                         kept[plan.contract_id])
    return written, removed


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


def _paired(calls: Sequence[CallFacts], outcomes: Sequence[Outcome],
            ) -> Iterator[tuple[CallFacts, Outcome]]:
    """Each outcome with its call: both come in call order (start, id)."""
    index = 0
    for outcome in outcomes:
        while calls[index].id != outcome.call_id:
            index += 1
        yield calls[index], outcome


def needs_verdicts(terms: Terms) -> bool:
    """Whether the engine counts this contract's earlier verdicts (caps, concurrency, or
    duplicates of qualified calls); other contracts only need the earlier calls."""
    caps = terms.caps
    return (any(v is not None for v in (caps.hourly, caps.daily, caps.weekly, caps.monthly,
                                        caps.concurrency))
            or (terms.duplicates is not None
                and terms.duplicates.basis is DuplicateBasis.QUALIFIED))


class Facts:
    """The calls a run reads per range, with the engine workspaces built over them.

    Contracts whose segments cover the same range share one ``engine.Workspace`` (the engine
    sorts and indexes the calls once for all). The history before a range is read narrowly:
    the earlier calls of the range's callers (duplicates) and the calls each contract qualified
    (caps, concurrency); no other earlier call can change an outcome in the range.
    """

    def __init__(self, conn: Connection, known: store.Names | None = None) -> None:
        self.conn = conn
        self.known = known if known is not None else store.names(conn)
        self._calls: dict[tuple[int, int], list[CallFacts]] = {}
        self._needs: dict[tuple[int, int], tuple[int, set[int]]] = {}  # lookback, contracts
        self._verdicts: dict[tuple[tuple[int, int], int], set[int]] = {}
        self._workspaces: dict[tuple[int, int], tuple[int, engine.Workspace,
                                                      list[CallFacts]]] = {}

    def between(self, start: int, end: int) -> list[CallFacts]:
        key = (start, end)
        found = self._calls.get(key)
        if found is None:
            found = self._calls[key] = store.load_facts(self.conn, start, end, self.known,
                                                        CallFacts)
        return found

    def plan(self, contract_id: int | None, segment: Segment) -> None:
        """Say ahead what a segment will need, so one workspace serves its whole range."""
        key = (segment.start, segment.end)
        lookback = engine.lookback_start(segment.terms, segment.start)
        back, wanted = self._needs.get(key, (lookback, set()))
        if contract_id is not None and needs_verdicts(segment.terms):
            wanted.add(contract_id)
        self._needs[key] = (min(back, lookback), wanted)

    def qualified(self, key: tuple[int, int], contract_id: int) -> set[int]:
        """The calls in the lookback before ``key`` that the contract qualified."""
        found = self._verdicts.get((key, contract_id))
        if found is None:
            back, wanted = self._needs[key]
            everyone = store.qualified_calls(self.conn, wanted | {contract_id}, back, key[0])
            for contract, ids in everyone.items():
                self._verdicts[(key, contract)] = ids
            found = everyone[contract_id]
        return found

    def workspace(self, segment: Segment, contract_id: int | None
                  ) -> tuple[engine.Workspace, list[CallFacts]]:
        """The engine's workspace over ``segment``'s range, and the history it holds."""
        self.plan(contract_id, segment)
        key = (segment.start, segment.end)
        back, wanted = self._needs[key]
        cached = self._workspaces.get(key)
        if cached is not None and cached[0] <= back:
            return cached[1], cached[2]
        extra: set[int] = set()
        for contract in sorted(wanted):
            extra |= self.qualified(key, contract)
        history = (store.load_history(self.conn, back, key[0], key[1], extra, self.known,
                                      CallFacts) if back < key[0] else [])
        found = engine.Workspace(self.between(*key), history)
        self._workspaces[key] = (back, found, history)
        return found, history


def run_segment(conn: Connection, contract_id: int | None, segment: Segment, facts: Facts,
                revenue: Mapping[int, int] | None = None,
                ) -> tuple[list[Outcome], Mapping[int, int]]:
    """Apply one version to its calls, with its history and the buyers' revenue if shared.

    ``revenue`` (call id -> what the buyers bill) is read from the stored outcomes when not
    given and the version shares revenue.
    """
    terms = segment.terms
    workspace, history = facts.workspace(segment, contract_id)
    key = (segment.start, segment.end)
    qualified = (facts.qualified(key, contract_id) if contract_id is not None
                 and needs_verdicts(terms) and history else set())
    # The engine reads history's verdicts only to count the qualified calls (its workspace
    # already holds every earlier call): the qualified ones are the priors that matter.
    priors = [Prior(c, qualified=True) for c in history if c.id in qualified] \
        if qualified else []
    if revenue is None:
        revenue = {}
        if terms.counterparty is Counterparty.PUBLISHER and terms.price.revenue_share is not None:
            revenue = store.revenue_by_call(conn, segment.start, segment.end)
    return workspace.evaluate(terms, history=priors, revenue=revenue), revenue


Row = tuple[int, int, int, int, int, int, int, str, int, int | None, int]


class Sentences:
    """The reasons JSON of one version's outcomes (explain.Wording words each case once)."""

    def __init__(self, terms: Terms) -> None:
        self.terms = terms
        self.wording = explain.Wording(terms)
        self._json: dict[tuple[tuple[str, str], ...], str] = {}

    def pairs(self, call: CallFacts, outcome: Outcome) -> list[tuple[str, str]]:
        say = self.wording.sentence
        return [(reason.value, say(reason, call, outcome)) for reason in outcome.reasons]

    def json(self, pairs: list[tuple[str, str]]) -> str:
        key = tuple(pairs)
        text = self._json.get(key)
        if text is None:
            text = json.dumps([{"code": c, "text": t} for c, t in pairs], ensure_ascii=False)
            if len(self._json) < 100_000:
                self._json[key] = text
        return text


def outcome_row(contract_id: int, version_id: int, terms: Terms, call: CallFacts,
                outcome: Outcome, adjusted: Mapping[str, str] | None,
                revenue: Mapping[int, int], now: int, sentences: Sentences | None = None,
                ) -> Row:
    """The ``call_outcomes`` row of one outcome (store.OUTCOME_COLUMNS), adjustments on top."""
    qualified, amount, flags = outcome.qualified, outcome.amount_micros, outcome.flags
    words = sentences if sentences is not None else Sentences(terms)
    pairs = words.pairs(call, outcome) if outcome.reasons else []
    if adjusted:
        qualified, amount = adjust(terms, call, outcome, adjusted, revenue)
        flags |= MANUAL
        pairs.append((Reason.MANUAL.value, _manual_text(terms, qualified, amount)))
    text = words.json(pairs) if pairs else "[]"
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
