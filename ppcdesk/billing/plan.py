"""Which contract versions decide which calls: the plan an evaluation follows.

A contract's versions are immutable; each is in force from local midnight of its
``effective_from`` (in its own zone) until a later version's start, so a range of calls is cut
into segments, one per version (:meth:`Plan.segments`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from zoneinfo import ZoneInfo

from sqlalchemy import Connection

from ppcdesk.billing import contract_file
from ppcdesk.billing.terms import Terms
from ppcdesk.core.clock import day_start_epoch
from ppcdesk.core.model import Counterparty
from ppcdesk.storage import billing_store as store

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


