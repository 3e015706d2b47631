"""The billing service's reads: contracts with reads-as, explain, what-if, buyer behaviour.

Each function takes the caller's connection. What-if and explain run the engine in memory
over the calls they need (with the same history the evaluation job uses), so what they show
is what an evaluation would store.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import Connection

from ppcdesk.billing import behaviour, contract_file, engine, readsas
from ppcdesk.billing import explain as explain_mod
from ppcdesk.billing import whatif as whatif_mod
from ppcdesk.billing.behaviour import BuyerBehaviour
from ppcdesk.billing.explain import RuleTrace
from ppcdesk.billing.facts import CallFacts, Outcome
from ppcdesk.billing.job import (
    FOREVER,
    Facts,
    Plan,
    Segment,
    effective_epoch,
    local_midnight,
    plans,
    run_segment,
)
from ppcdesk.billing.terms import Terms
from ppcdesk.billing.whatif import WhatIf
from ppcdesk.core.errors import PpcdeskError
from ppcdesk.core.model import Counterparty, DispositionCode
from ppcdesk.core.money import to_micros
from ppcdesk.core.reasons import ReasonFlag
from ppcdesk.kpi.rollups import refresh_rollups
from ppcdesk.storage import billing_store as store

WINDOW_S = 15  # "just under the buffer": the last 15 s before it, against the first 15 s after
__all__ = ["BuyerBehaviour", "CallExplanation", "ContractDetail", "ContractExplanation",
           "ContractSummary", "RuleTrace", "VersionInfo", "WhatIf", "WhatIfReport"]


@dataclass(frozen=True, slots=True)
class ContractSummary:
    """A line of the contracts list."""

    name: str
    counterparty_kind: str  # buyer | publisher
    party: str
    campaign: str | None
    price: str
    reads_as: tuple[str, ...]
    summary: str
    version: int
    versions: int


@dataclass(frozen=True, slots=True)
class VersionInfo:
    version: int
    created_at: int
    effective_from: int | None
    note: str
    terms: str  # the version's canonical TOML
    in_force: bool  # still decides some calls


@dataclass(frozen=True, slots=True)
class ContractDetail:
    summary: ContractSummary
    terms: Terms  # the newest version
    toml: str  # the versions in force, as the editor shows them
    versions: tuple[VersionInfo, ...]  # oldest first
    behaviour: BuyerBehaviour | None  # for a buyer contract


def _price(terms: Terms) -> str:
    price = terms.price
    if price.fixed_micros is not None:
        return f"${price.fixed_micros / 1_000_000:,.2f}"
    if price.tiers:
        tiers = sorted(price.tiers)
        return (f"${tiers[0].amount_micros / 1_000_000:,.2f}-"
                f"${tiers[-1].amount_micros / 1_000_000:,.2f} by duration")
    if price.revenue_share is not None:
        return f"{format((price.revenue_share * 100).normalize(), 'f')}% of revenue"
    return "-"


def _summary(plan: Plan) -> ContractSummary:
    _, terms = plan.newest
    return ContractSummary(plan.name, plan.kind.value, terms.party, terms.campaign,
                           _price(terms), tuple(readsas.reads_as(terms)), readsas.summary(terms),
                           plan.number_of(plan.newest[0]), len(plan.versions))


def contracts(conn: Connection) -> list[ContractSummary]:
    return [_summary(plan) for plan in plans(conn)]


def contract(conn: Connection, name: str) -> ContractDetail | None:
    plan = next((p for p in plans(conn) if p.name == name), None)
    if plan is None:
        return None
    live = {s.version_id for s in plan.segments(-FOREVER, FOREVER)}
    contract_id = plan.contract_id
    infos = tuple(VersionInfo(v.version, v.created_at, v.effective_from, v.note, v.terms,
                              v.id in live) for v in store.versions(conn, contract_id))
    found = None
    if plan.kind is Counterparty.BUYER:
        party = plan.newest[1].party
        found = next((b for b in buyer_behaviour(conn) if b.buyer == party), None)
    toml = contract_file.dumps([t for vid, t, _ in plan.versions if vid in live])
    return ContractDetail(_summary(plan), plan.newest[1], toml, infos, found)


# ---------------------------------------------------------------- what-if
@dataclass(frozen=True, slots=True)
class ChangedCall:
    sid: str
    started_at: int
    before: Outcome | None  # None: the terms did not cover the call
    after: Outcome | None
    change: str  # gained | lost | amount


@dataclass(frozen=True, slots=True)
class ContractWhatIf:
    name: str
    existed: bool
    result: WhatIf
    calls: tuple[ChangedCall, ...]  # the calls whose outcome changes, in call order


@dataclass(frozen=True, slots=True)
class WhatIfReport:
    start: int
    end: int
    contracts: tuple[ContractWhatIf, ...]


def whatif(conn: Connection, drafts: Sequence[Terms], start: int | None,
           end: int | None) -> WhatIfReport:
    span = store.data_span(conn) or (0, 1)
    lo, hi = span[0] if start is None else start, span[1] if end is None else end
    current = {p.name: p for p in plans(conn)}
    facts: Facts | None = None
    found = []
    names = list(dict.fromkeys(t.name for t in drafts))
    for name in names:
        versions = [t for t in drafts if t.name == name]
        old = current.get(name)
        draft = Plan(old.contract_id if old else -1, name, versions[0].counterparty,
                     (*(old.versions if old else ()),
                      *((-1 - i, t, effective_epoch(t)) for i, t in enumerate(versions))))
        segments = draft.segments(lo, hi)
        if facts is None:
            facts = Facts(conn)
        before = _outcomes(conn, old, old.segments(lo, hi) if old else [], facts)
        after = _outcomes(conn, old, segments, facts)
        result = whatif_mod.compare(before, after)
        calls = {c.id: c for c in facts.between(lo, hi)}
        found.append(ContractWhatIf(name, old is not None, result, tuple(
            ChangedCall(calls[c.call_id].sid, calls[c.call_id].started_at, c.before, c.after,
                        c.change.value)
            for c in sorted(result.changes, key=lambda c: (calls[c.call_id].started_at,
                                                           c.call_id)))))
    return WhatIfReport(lo, hi, tuple(found))


def _outcomes(conn: Connection, plan: Plan | None, segments: Sequence[Segment],
              facts: Facts) -> dict[int, Outcome]:
    contract_id = plan.contract_id if plan is not None else None
    return {o.call_id: o for s in segments for o in run_segment(conn, contract_id, s, facts)[0]}


# ---------------------------------------------------------------- explain
@dataclass(frozen=True, slots=True)
class ContractExplanation:
    contract: str
    counterparty_kind: str
    version: int
    qualified: bool
    amount_micros: int
    reasons: tuple[tuple[str, str], ...]  # (code, sentence), adjustments included
    trace: tuple[RuleTrace, ...]
    adjusted: bool


@dataclass(frozen=True, slots=True)
class CallExplanation:
    call: CallFacts
    contracts: tuple[ContractExplanation, ...]
    adjustments: tuple[store.Adjustment, ...]


def explain(conn: Connection, sid: str) -> CallExplanation | None:
    known = store.names(conn)
    call = store.call_by_sid(conn, sid, known, CallFacts)
    if call is None:
        return None
    stored = {o.contract: o for o in store.outcomes_of_call(conn, call.id)}
    found = []
    for plan in plans(conn):
        segments = plan.segments(call.started_at, call.started_at + 1)
        if not segments or not engine.applies(segments[0].terms, call):
            continue
        outcome, earlier, segment = _one(conn, plan, segments[0], call, known)
        if outcome is None:
            continue
        trace = explain_mod.explain(segment.terms, call, outcome, earlier=earlier)
        row = stored.get(plan.name)
        version = plan.number_of(segment.version_id)
        reasons = (tuple((r["code"], r["text"]) for r in json.loads(row.reasons)) if row
                   else tuple((r.value, explain_mod.sentence(r, segment.terms, call, outcome))
                              for r in outcome.reasons))
        found.append(ContractExplanation(
            plan.name, plan.kind.value, version,
            row.qualified if row else outcome.qualified,
            row.amount_micros if row else outcome.amount_micros, reasons, tuple(trace),
            bool(row and row.flags & store.MANUAL)))
    return CallExplanation(call, tuple(found), tuple(store.adjustments_of_call(conn, call.id)))


def _one(conn: Connection, plan: Plan, segment: Segment, call: CallFacts,
         known: store.Names) -> tuple[Outcome | None, CallFacts | None, Segment]:
    """The engine's outcome for one call (its local day up to it, with the usual history),
    and the earlier call it repeats when it is a duplicate."""
    zone = segment.terms.timezone
    start = max(segment.start, local_midnight(call.started_at, zone))
    day = Segment(segment.version_id, segment.terms, start, call.started_at + 1)
    facts = Facts(conn, known)
    outcomes, _ = run_segment(conn, plan.contract_id, day, facts)
    outcome = next((o for o in outcomes if o.call_id == call.id), None)
    repeated = None
    if outcome is not None and outcome.duplicate_of is not None:
        _, history = facts.workspace(day, plan.contract_id)
        repeated = next((c for c in (*history, *facts.between(day.start, day.end))
                         if c.id == outcome.duplicate_of), None)
    return outcome, repeated, day


# ---------------------------------------------------------------- adjustments
_FIELDS = {("buyer", "qualified"): "billable", ("buyer", "amount"): "revenue",
           ("publisher", "qualified"): "payable", ("publisher", "amount"): "payout",
           ("buyer", "billable"): "billable", ("buyer", "revenue"): "revenue",
           ("publisher", "payable"): "payable", ("publisher", "payout"): "payout"}


class AdjustmentError(PpcdeskError):
    """An adjustment that names no call, no contract outcome, or a field it does not have."""


def adjust(conn: Connection, sid: str, name: str, field: str, value: str, reason: str,
           author: str, now: int) -> None:
    """Record a person's override and rewrite that one outcome with it on top."""
    if not reason.strip():
        raise AdjustmentError("say why: an adjustment needs a reason")
    plan = next((p for p in plans(conn) if p.name == name), None)
    if plan is None:
        raise AdjustmentError(f"no contract named {name!r}")
    column = _FIELDS.get((plan.kind.value, field.strip().lower()))
    if column is None:
        raise AdjustmentError(f"a {plan.kind.value} contract has no field {field!r}: use "
                              "qualified or amount")
    known = store.names(conn)
    call = store.call_by_sid(conn, sid, known, CallFacts)
    segments = plan.segments(call.started_at, call.started_at + 1) if call else []
    if call is None or not segments or not engine.applies(segments[0].terms, call):
        raise AdjustmentError(f"{name!r} has no outcome for call {sid!r}")
    row = next((o for o in store.outcomes_of_call(conn, call.id) if o.contract == name), None)
    if column in {"billable", "payable"}:
        after = _yes_no(value)
        before = "true" if row and row.qualified else "false"
    else:
        try:
            after = str(to_micros(value.replace("$", "").replace(",", "").strip()))
        except (ValueError, ArithmeticError, PpcdeskError) as exc:
            raise AdjustmentError(f"{value!r} is not an amount like $45.00") from exc
        before = str(row.amount_micros if row else 0)
    store.add_adjustment(conn, call_id=call.id, contract_id=plan.contract_id, field=column,
                         before=before, after=after, reason=reason.strip(),
                         author=author.strip() or "unknown", now=now)
    outcome, _, segment = _one(conn, plan, segments[0], call, known)
    if outcome is not None:
        from ppcdesk.billing.job import outcome_row

        adjusted = store.latest_adjustments(conn, plan.contract_id).get(call.id)
        revenue = store.revenue_by_call(conn, call.started_at, call.started_at + 1)
        store.upsert_outcomes(conn, [outcome_row(plan.contract_id, segment.version_id,
                                                 segment.terms, call, outcome, adjusted,
                                                 revenue, now)])
        refresh_rollups(conn, call.started_at, call.started_at + 1,  # the dashboard's money
                        calls_added=False)


def _yes_no(value: str) -> str:
    text = value.strip().lower()
    if text in {"yes", "true", "1", "billable", "payable", "y"}:
        return "true"
    if text in {"no", "false", "0", "n", "not billable", "not payable"}:
        return "false"
    raise AdjustmentError(f"{value!r}: say yes or no")


# ---------------------------------------------------------------- buyer behaviour
def buyer_behaviour(conn: Connection) -> list[BuyerBehaviour]:
    """Buyers whose answered calls end just under their contract's buffer more than after."""
    buffers: dict[str, int] = {}
    for plan in plans(conn):
        terms = plan.newest[1]
        if plan.kind is Counterparty.BUYER and terms.buffer_s > 0:
            buffers[terms.party] = max(buffers.get(terms.party, 0), terms.buffer_s)
    if not buffers:
        return []
    # Only the calls near each buffer matter to the flag: the index on connected_s finds them;
    # "answered" is counted apart.
    connected: dict[str, list[int]] = {}
    for buyer, buffer_s in buffers.items():
        connected[buyer] = [int(r[0]) for r in conn.exec_driver_sql(
            "SELECT c.connected_s FROM calls c JOIN buyers b ON b.id = c.buyer_id "
            "WHERE b.name = ? AND c.connected_s >= ? AND c.connected_s < ?",
            (buyer, buffer_s - WINDOW_S, buffer_s + WINDOW_S))]
    answered = {str(n): int(k) for n, k in conn.exec_driver_sql(
        "SELECT b.name, COUNT(*) FROM calls c JOIN buyers b ON b.id = c.buyer_id "
        "WHERE c.connected_s > 0 GROUP BY b.name")}
    return [dataclasses.replace(found, answered=answered.get(found.buyer, 0))
            for found in behaviour.under_buffer(connected, buffers, WINDOW_S)]


# ---------------------------------------------------------------- dispositions
DISPOSITION_PREFIX = "review: "
_REJECTING = frozenset({DispositionCode.NOT_QUALIFIED, DispositionCode.SPAM,
                        DispositionCode.WRONG_NUMBER})
_ACCEPTING = frozenset({DispositionCode.QUALIFIED, DispositionCode.CONVERTED})


def adjust_for_disposition(conn: Connection, call_id: int, code: DispositionCode, author: str,
                           now: int) -> int:
    """Make a reviewer's verdict count in billing; return how many outcomes it changed.

    A call judged not qualified, spam or a wrong number qualifies under no contract: every
    outcome that qualified gets a manual adjustment to "not qualified", its reason naming the
    review. A later "qualified" or "converted" undoes only what a review did: an outcome a
    review had turned down goes back to the contract's own verdict (the engine's bits, without
    MANUAL). A review never makes a call qualify that the contract's rules turned down: that
    takes an explicit adjustment with a reason.
    """
    sid = conn.exec_driver_sql("SELECT sid FROM calls WHERE id = ?", (call_id,)).scalar()
    if sid is None:
        return 0
    label = code.value.replace("_", " ")
    latest: dict[str, store.Adjustment] = {}
    for adjustment in store.adjustments_of_call(conn, call_id):
        if adjustment.field in {"billable", "payable", "qualified"}:
            latest[adjustment.contract] = adjustment
    changed = 0
    for outcome in store.outcomes_of_call(conn, call_id):
        if code in _REJECTING and outcome.qualified:
            adjust(conn, sid, outcome.contract, "qualified", "no",
                   f"{DISPOSITION_PREFIX}{label}", author, now)
            changed += 1
        elif code in _ACCEPTING and not outcome.qualified:
            last = latest.get(outcome.contract)
            engine_qualifies = outcome.flags & ~int(ReasonFlag.MANUAL) == 0
            if last and last.reason.startswith(DISPOSITION_PREFIX) and engine_qualifies:
                adjust(conn, sid, outcome.contract, "qualified", "yes",
                       f"{DISPOSITION_PREFIX}{label}: back to the contract's verdict",
                       author, now)
                changed += 1
    return changed
