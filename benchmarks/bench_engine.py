"""Print the pure billing engine's throughput on N synthetic calls under 10 contracts.

Usage: ``.venv/bin/python benchmarks/bench_engine.py [--calls 1000000] [--seed 7] [--repeat 1]``

(a) ours: ``engine.evaluate_many`` of 10 contracts (6 buyer contracts with buffers, duplicate
    windows of both bases and scopes, business hours, geography, daily/hourly/monthly caps and
    concurrency; 4 publisher contracts, two of them sharing the buyers' revenue) over the same
    in-memory ``CallFacts``: the workspace index, every rule, every ``Outcome``. No database:
    loading and storing are the billing job's, measured by bench_billing.py.
(b) the reference: a plain Python loop that, per contract, walks every call and computes only
    the buffer flag of the calls whose buyer (or publisher) is the contract's party, into a
    list: the least any per-call Python evaluation can cost.
(c) the ratio (a) / (b), on wall and on CPU time, and ours in microseconds per (call, contract)
    pair the contracts cover.
(d) incremental: the last day of calls evaluated as new, with the calls since each contract's
    ``lookback_start`` as history carrying the full run's verdicts (what the billing job does
    after a sync; goal: under 200 ms). Its outcomes are checked against the full run's.

The calls are generated in memory (a year, 5 campaigns, 8 buyers, 6 publishers, callers that
repeat, a few anonymous), so no temporary files are needed. Figures vary with the machine's
load: use ``--repeat`` for a median, and read the CPU ratio first on a shared machine.
"""

from __future__ import annotations

import argparse
import bisect
import gc
import random
import statistics
import time
from collections.abc import Callable
from datetime import date
from decimal import Decimal

from ppcdesk.billing import engine
from ppcdesk.billing.facts import CallFacts, Outcome, Prior
from ppcdesk.billing.terms import (
    Block,
    Caps,
    Duplicates,
    DuplicateScope,
    Geography,
    Hours,
    Price,
    Terms,
    Tier,
)
from ppcdesk.billing.terms import DuplicateBasis as Basis
from ppcdesk.core.model import Counterparty

CAMPAIGNS = ("Auto", "Home", "Medicare", "Legal", "Debt")
BUYERS = ("Desert Auto", "Apex", "Sunbelt", "Harbor", "Keystone", "Pioneer", "Summit", "Vista")
PUBLISHERS = ("Acme Media", "Blue Fox", "Clicks Co", "Delta Ads", "Echo", "Fable")
AREA_CODES = (("602", "AZ"), ("480", "AZ"), ("212", "NY"), ("305", "FL"), ("713", "TX"),
              ("415", "CA"), ("312", "IL"), ("800", None), ("416", "ON"), ("206", "WA"))
START = 1_767_225_600  # 2026-01-01 UTC


def synthetic_calls(n: int, seed: int) -> list[CallFacts]:
    """N calls over a year, in call order, shaped like a pay-per-call workspace."""
    rng = random.Random(seed)
    pool = [f"+1{rng.choice(AREA_CODES)[0]}{rng.randint(2_000_000, 9_999_999)}"
            for _ in range(max(n * 6 // 10, 1))]
    state_of = dict(AREA_CODES)
    starts = sorted(rng.randrange(START, START + 365 * 86_400) for _ in range(n))
    calls = []
    for i, t in enumerate(starts):
        caller = "anonymous" if rng.random() < 0.01 else rng.choice(pool)
        answered = rng.random() < 0.8
        talk = int(rng.expovariate(1 / 150)) if answered else 0
        ring = rng.randint(2, 25)
        calls.append(CallFacts(
            i + 1, f"CA{i + 1:032d}", t, ring + talk + rng.randint(0, 30), talk,
            t + ring if answered else None, caller, state_of.get(caller[2:5]),
            rng.choice(CAMPAIGNS), rng.choice(PUBLISHERS),
            rng.choice(BUYERS) if answered else None, rng.random() > 0.002))
    return calls


def contracts() -> list[Terms]:
    """Ten contracts that use every rule at least once."""
    workday = (Block(8 * 60, 12 * 60), Block(13 * 60, 18 * 60))
    hours = Hours((workday,) * 5 + ((Block(9 * 60, 13 * 60),), ()),
                  frozenset({date(2026, 7, 4), date(2026, 12, 25)}))
    month = 30 * 86_400

    def buyer(party: str, campaign: str | None, **kw: object) -> Terms:
        return Terms(name=party, counterparty=Counterparty.BUYER, party=party, campaign=campaign,
                     timezone=str(kw.pop("timezone", "America/New_York")),
                     price=Price(fixed_micros=45_000_000), buffer_s=90, **kw)  # type: ignore[arg-type]

    def publisher(party: str, price: Price, **kw: object) -> Terms:
        return Terms(name=party, counterparty=Counterparty.PUBLISHER, party=party, campaign=None,
                     timezone="America/Chicago", price=price, buffer_s=60, **kw)  # type: ignore[arg-type]

    return [
        buyer("Desert Auto", None, timezone="America/Phoenix", hours=hours,
              duplicates=Duplicates(month), caps=Caps(daily=20),
              geography=Geography(allowed_states=frozenset({"AZ"}))),
        buyer("Apex", None, duplicates=Duplicates(month, DuplicateScope.ALL)),
        buyer("Sunbelt", "Auto", duplicates=Duplicates(7 * 86_400, DuplicateScope.BUYER,
                                                       Basis.QUALIFIED), caps=Caps(hourly=3)),
        buyer("Harbor", None, caps=Caps(concurrency=2, monthly=2_000)),
        buyer("Keystone", None, hours=hours, duplicates=Duplicates(86_400)),
        buyer("Pioneer", None, timezone="America/Los_Angeles",
              duplicates=Duplicates(month, basis=Basis.QUALIFIED),
              geography=Geography(blocked_states=frozenset({"NY"}))),
        publisher("Acme Media", Price(revenue_share=Decimal("0.6")),
                  duplicates=Duplicates(month)),
        publisher("Blue Fox", Price(tiers=(Tier(60, 10_000_000), Tier(180, 20_000_000)))),
        publisher("Clicks Co", Price(fixed_micros=12_500_000), hours=hours),
        publisher("Delta Ads", Price(revenue_share=Decimal("0.5")), caps=Caps(weekly=500)),
    ]


class Timer:
    """Wall and CPU seconds of a block (a shared machine shows a gap between the two).

    ``gc``: the CPU seconds CPython's cycle collector spent inside the block. Outcomes hold
    their reasons (enum members), so the collector keeps walking every outcome alive: a full
    collection while a million exist is a real part of the engine's cost, shown apart.
    """

    def __enter__(self) -> Timer:
        self.gc = 0.0
        self._since = 0.0
        gc.callbacks.append(self._collecting)
        self._wall, self._cpu = time.perf_counter(), time.process_time()
        return self

    def _collecting(self, phase: str, _: dict[str, int]) -> None:
        if phase == "start":
            self._since = time.process_time()
        else:
            self.gc += time.process_time() - self._since

    def __exit__(self, *_: object) -> None:
        self.wall = time.perf_counter() - self._wall
        self.cpu = time.process_time() - self._cpu
        gc.callbacks.remove(self._collecting)


def ours(terms: list[Terms], calls: list[CallFacts]) -> tuple[Timer, list[list[Outcome]]]:
    with Timer() as timer:
        results = engine.evaluate_many(terms, calls)
    print(f"    engine run: {timer.wall:.2f} s wall, {timer.cpu:.2f} s CPU "
          f"(of which cycle collector {timer.gc:.2f} s)", flush=True)
    return timer, results


def reference(terms: list[Terms], calls: list[CallFacts]) -> Timer:
    with Timer() as timer:
        for t in terms:
            party, buffer_s = t.party, t.buffer_s
            if t.counterparty is Counterparty.BUYER:
                flags = [c.connected_s >= buffer_s for c in calls if c.buyer == party]
            else:
                flags = [c.connected_s >= buffer_s for c in calls if c.publisher == party]
            del flags
    return timer


def incremental(terms: list[Terms], calls: list[CallFacts],
                whole: list[list[Outcome]]) -> Timer:
    """Evaluate the last day as new calls, as the billing job does; check the outcomes.

    One workspace over the day and the calls since the earliest lookback; each contract
    with its own history (the full run's verdicts since its lookback), buyers first, the
    publishers' revenue shares from what the buyers billed.
    """
    split = bisect.bisect_left([c.started_at for c in calls], calls[-1].started_at - 86_400)
    day, before = calls[split:], calls[:split]
    starts = [c.started_at for c in before]
    since = [bisect.bisect_left(starts, engine.lookback_start(t, day[0].started_at))
             for t in terms]
    histories = []
    for first, outcomes in zip(since, whole, strict=True):
        verdict = {o.call_id: o.qualified for o in outcomes}
        histories.append([Prior(c, verdict.get(c.id, False)) for c in before[first:]])
    order = sorted(range(len(terms)), key=lambda k: terms[k].counterparty is not Counterparty.BUYER)
    results: list[list[Outcome]] = [[] for _ in terms]
    with Timer() as timer:
        workspace = engine.Workspace(day, before[min(since):])
        billed: dict[int, int] = {}
        for k in order:
            results[k] = workspace.evaluate(terms[k], history=histories[k], revenue=billed)
            if terms[k].counterparty is Counterparty.BUYER:
                for o in results[k]:
                    billed[o.call_id] = billed.get(o.call_id, 0) + o.amount_micros
    for t, got, outcomes in zip(terms, results, whole, strict=True):
        if got != [o for o in outcomes if o.call_id >= day[0].id]:
            raise SystemExit(f"incremental run of {t.name} differs from the full run")
    print(f"    incremental run: {len(day):,} new calls, {split - min(since):,} earlier calls: "
          f"{timer.wall * 1e3:.0f} ms wall, {timer.cpu * 1e3:.0f} ms CPU", flush=True)
    return timer


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--repeat", type=int, default=1)
    args = parser.parse_args()
    print(f"generating {args.calls:,} calls ...", flush=True)
    calls = synthetic_calls(args.calls, args.seed)
    terms = contracts()
    engine.evaluate_many(terms, calls[: min(len(calls), 20_000)])  # warm the caller memo
    runs: list[tuple[Timer, Timer, Timer]] = []
    pairs = qualified = 0
    for _ in range(args.repeat):  # alternate, so a machine that slows down hits both
        timer, results = ours(terms, calls)
        runs.append((timer, reference(terms, calls), incremental(terms, calls, results)))
        pairs = sum(len(r) for r in results)
        qualified = sum(o.qualified for r in results for o in r)
        del results

    def median(pick: Callable[[tuple[Timer, Timer, Timer]], float]) -> float:
        return statistics.median(pick(run) for run in runs)

    a, b = median(lambda r: r[0].wall), median(lambda r: r[1].wall)
    a_cpu, b_cpu = median(lambda r: r[0].cpu), median(lambda r: r[1].cpu)
    print(f"(a) engine:      {a:6.2f} s wall {a_cpu:6.2f} s CPU  {pairs:,} covered (call, "
          f"contract) pairs, {qualified:,} qualified; {a_cpu / pairs * 1e6:.2f} us CPU a pair; "
          f"cycle collector {median(lambda r: r[0].gc):.2f} s")
    print(f"(b) reference:   {b:6.2f} s wall {b_cpu:6.2f} s CPU  buffer flag only, "
          "plain loop per contract")
    print(f"(c) ratio a/b:   {a / b:6.2f}   wall {a_cpu / b_cpu:6.2f}   CPU")
    print(f"(d) incremental: {median(lambda r: r[2].wall) * 1e3:6.0f} ms wall "
          f"{median(lambda r: r[2].cpu) * 1e3:6.0f} ms CPU  one new day, 10 contracts "
          "(goal: under 200 ms)")


if __name__ == "__main__":
    main()
