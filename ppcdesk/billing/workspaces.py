"""The calls an evaluation reads, the engine workspaces built over them, and an index by id.

Contracts whose segments cover the same range share one ``engine.Workspace`` (the engine
sorts and indexes the calls once for all). The history before a range is read narrowly: the
earlier calls of the range's callers (duplicates) and the calls each contract qualified (caps,
concurrency); no other earlier call can change an outcome in the range.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import replace
from functools import lru_cache
from operator import itemgetter

import numpy as np
from sqlalchemy import Connection

from ppcdesk.billing import engine
from ppcdesk.billing._vector import Shape
from ppcdesk.billing.facts import CallFacts, Outcome, Prior
from ppcdesk.billing.plan import Segment
from ppcdesk.billing.terms import DuplicateBasis, Terms
from ppcdesk.core.model import Counterparty
from ppcdesk.storage import billing_store as store


def needs_verdicts(terms: Terms) -> bool:
    """Whether the engine counts this contract's earlier verdicts (caps, concurrency, or
    duplicates of qualified calls); other contracts only need the earlier calls."""
    caps = terms.caps
    return (any(v is not None for v in (caps.hourly, caps.daily, caps.weekly, caps.monthly,
                                        caps.concurrency))
            or (terms.duplicates is not None
                and terms.duplicates.basis is DuplicateBasis.QUALIFIED))


def verdicts_from(terms: Terms, start: int) -> int:
    """How far back the engine counts this contract's verdicts of every call from ``start``.

    Its caps' periods and a day for concurrency. Not the duplicate window: a duplicate repeats
    its own caller, so duplicates of qualified calls need the verdicts of the range's callers
    only (:meth:`Facts.qualified_ids`), and a "connected" duplicate none; a daily cap beside
    a 30-day window needs today's verdicts, not a month's.
    """
    return engine.lookback_start(_counted(terms), start)


def qualified_window(terms: Terms) -> int | None:
    """The duplicate window when duplicates are of qualified calls (None otherwise)."""
    duplicates = terms.duplicates
    if duplicates is None or duplicates.basis is not DuplicateBasis.QUALIFIED:
        return None
    return duplicates.window_s


@lru_cache(maxsize=256)
def _counted(terms: Terms) -> Terms:
    """``terms`` without the duplicate window (see :func:`verdicts_from`)."""
    return terms if terms.duplicates is None else replace(terms, duplicates=None)


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
        self._by_id: dict[tuple[int, int], dict[int, CallFacts]] = {}
        self._needs: dict[tuple[int, int], tuple[int, set[int]]] = {}  # lookback, contracts
        self._verdicts: dict[tuple[tuple[int, int], int], dict[int, store.FactRow]] = {}
        self._lookbacks: dict[tuple[tuple[int, int], int], int] = {}
        self._windows: dict[tuple[tuple[int, int], int], int] = {}  # qualified duplicates
        self._ids: dict[tuple[tuple[int, int], int], set[int]] = {}  # see qualified_ids
        # contract -> the kind and ids of the parties of its versions (see parties_of)
        self.parties: dict[int, tuple[str, tuple[int, ...]]] = {}
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
            counted = verdicts_from(segment.terms, segment.start)
            own = self._lookbacks.get((key, contract_id), counted)
            self._lookbacks[(key, contract_id)] = min(own, counted)
            window = qualified_window(segment.terms)
            if window is not None:
                wider = max(window, self._windows.get((key, contract_id), 0))
                self._windows[(key, contract_id)] = wider
        self._needs[key] = (min(back, lookback), wanted)

    def qualified(self, key: tuple[int, int], contract_id: int) -> dict[int, store.FactRow]:
        """The calls the contract qualified in its caps' lookback before ``key``, by id."""
        found = self._verdicts.get((key, contract_id))
        if found is None:
            # Its own lookback, not the workspace's: a daily cap needs today's verdicts only,
            # though a monthly cap beside it makes the workspace reach back a month.
            back = self._lookbacks.get((key, contract_id), self._needs[key][0])
            found = self._verdicts[(key, contract_id)] = {} if back >= key[0] else (
                store.qualified_calls(self.conn, contract_id, back, key[0],
                                      self.parties.get(contract_id)))
        return found

    def qualified_ids(self, key: tuple[int, int], contract_id: int) -> set[int]:
        """The earlier calls the contract qualified that its engine run counts, by id.

        Those of its caps' lookback (:meth:`qualified`) and, when duplicates are of qualified
        calls, those among the workspace's history (the earlier calls of the range's callers)
        within the window: a month of a publisher's verdicts is not read for one day's calls.
        Read once the workspace of ``key`` is built (its history decides what is asked).
        """
        found = self._ids.get((key, contract_id))
        if found is None:
            found = set(self.qualified(key, contract_id))
            window = self._windows.get((key, contract_id))
            cached = self._workspaces.get(key)
            if window is not None and cached is not None:
                since = key[0] - window
                asked = [c.id for c in cached[2] if c.started_at >= since and c.id not in found]
                found |= store.qualified_among(self.conn, contract_id, asked)
            self._ids[(key, contract_id)] = found
        return found

    def by_id(self, start: int, end: int) -> dict[int, CallFacts]:
        """The calls of ``[start, end)`` by id (built once per range)."""
        key = (start, end)
        found = self._by_id.get(key)
        if found is None:
            calls = self.between(start, end)
            found = self._by_id[key] = dict(zip(map(itemgetter(0), calls), calls, strict=True))
        return found

    def prepare(self, contract_id: int | None, segment: Segment) -> None:
        """Read now whatever ``run_segment`` reads for ``segment`` but the buyers' revenue."""
        _, history = self.workspace(segment, contract_id)
        if contract_id is not None and needs_verdicts(segment.terms) and history:
            self.qualified_ids((segment.start, segment.end), contract_id)

    def workspace(self, segment: Segment, contract_id: int | None
                  ) -> tuple[engine.Workspace, list[CallFacts]]:
        """The engine's workspace over ``segment``'s range, and the history it holds."""
        self.plan(contract_id, segment)
        key = (segment.start, segment.end)
        back, wanted = self._needs[key]
        cached = self._workspaces.get(key)
        if cached is not None and cached[0] <= back:
            return cached[1], cached[2]
        extra: dict[int, store.FactRow] = {}
        for contract in sorted(wanted):
            extra.update(self.qualified(key, contract))
        history = (store.load_history(self.conn, back, key[0], key[1], extra, self.known,
                                      CallFacts) if back < key[0] else [])
        found = engine.Workspace(self.between(*key), history)
        self._workspaces[key] = (back, found, history)
        for ids_key in [k for k in self._ids if k[0] == key]:  # asked of a shorter history
            del self._ids[ids_key]
        return found, history


def parties_of(terms: Iterable[Terms], known: store.Names,
               ) -> tuple[str, tuple[int, ...]] | None:
    """The kind and ids of the parties the versions ``terms`` cover; None if one is unknown.

    A contract's outcomes are only of its parties' calls (a buyer's: the calls it answered; a
    publisher's: its numbers'), so its earlier verdicts are found through their index.
    """
    versions = list(terms)
    kinds = {t.counterparty for t in versions}
    if len(kinds) != 1:
        return None
    kind = kinds.pop().value
    ids = [known.id_of(kind, t.party) for t in versions]
    found = tuple(sorted({i for i in ids if i is not None}))
    return (kind, found) if len(found) == len(set(ids)) else None


def run_segment(conn: Connection, contract_id: int | None, segment: Segment, facts: Facts,
                revenue: Mapping[int, int] | None = None,
                ) -> tuple[list[Outcome], Mapping[int, int]]:
    """Apply one version to its calls, with its history and the buyers' revenue if shared.

    ``revenue`` (call id -> what the buyers bill) is read from the stored outcomes when not
    given and the version shares revenue.
    """
    outcomes, revenue, _ = run_segment_shaped(conn, contract_id, segment, facts, revenue)
    return outcomes, revenue


def run_segment_shaped(conn: Connection, contract_id: int | None, segment: Segment,
                       facts: Facts, revenue: Mapping[int, int] | None = None,
                       ) -> tuple[list[Outcome], Mapping[int, int], Shape | None]:
    """:func:`run_segment`, and the outcomes' shape (``engine.Workspace.evaluate_shaped``)."""
    terms = segment.terms
    workspace, history = facts.workspace(segment, contract_id)
    key = (segment.start, segment.end)
    qualified = (facts.qualified_ids(key, contract_id) if contract_id is not None
                 and needs_verdicts(terms) and history else set())
    # The engine reads history's verdicts only to count the qualified calls (its workspace
    # already holds every earlier call): the qualified ones are the priors that matter.
    priors = [Prior(c, qualified=True) for c in history if c.id in qualified] \
        if qualified else []
    if revenue is None:
        revenue = {}
        if terms.counterparty is Counterparty.PUBLISHER and terms.price.revenue_share is not None:
            revenue = store.revenue_by_call(conn, segment.start, segment.end)
    outcomes, shape = workspace.evaluate_shaped(terms, history=priors, revenue=revenue)
    return outcomes, revenue, shape


class CallIndex(Mapping[int, CallFacts]):
    """A range's calls by id, over the list in call order (what the job words refusals of).

    Taking many calls at once (:meth:`many`) finds their places with numpy and reads the
    list in order: a dict of a million calls costs a cache miss or two per lookup.
    """

    def __init__(self, calls: list[CallFacts]) -> None:
        self.calls = calls
        try:
            ids = np.fromiter(map(itemgetter(0), calls), dtype=np.int64, count=len(calls))
        except (OverflowError, TypeError, ValueError):  # odd ids: a plain dict
            self._dict: dict[int, CallFacts] | None = dict(
                zip(map(itemgetter(0), reversed(calls)), reversed(calls), strict=True))
            return
        self._dict = None
        self._order = np.argsort(ids, kind="stable")
        self._sorted = ids[self._order]

    def many(self, ids: list[int]) -> list[CallFacts]:
        """The calls of ``ids``, in that order (KeyError if one is not here)."""
        if self._dict is not None:
            return list(map(self._dict.__getitem__, ids))
        wanted = np.array(ids, dtype=np.int64)
        at = np.minimum(np.searchsorted(self._sorted, wanted), max(len(self._sorted) - 1, 0))
        if len(wanted) and (not len(self._sorted) or bool((self._sorted[at] != wanted).any())):
            raise KeyError("a call not in the range")
        return list(map(self.calls.__getitem__, self._order[at].tolist()))

    def __getitem__(self, call_id: int) -> CallFacts:
        if self._dict is not None:
            return self._dict[call_id]
        try:
            return self.many([call_id])[0]
        except OverflowError:
            raise KeyError(call_id) from None

    def __iter__(self) -> Iterator[int]:
        return map(itemgetter(0), self.calls)

    def __len__(self) -> int:
        return len(self.calls)
