"""Change-sets: what a write changed, so open pages know whether to reload.

Every write job returns one; the main window relays it; each page marks itself stale when the
change touches what it shows, and reloads when next shown. Widgets never tell each other.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum


class Entity(StrEnum):
    """What a page can depend on."""

    WORKSPACE = "workspace"
    ACCOUNTS = "accounts"
    NUMBERS = "numbers"
    CAMPAIGNS = "campaigns"
    PARTNERS = "partners"  # publishers and buyers
    CALLS = "calls"
    RECORDINGS = "recordings"
    CONTRACTS = "contracts"
    OUTCOMES = "outcomes"
    REVIEW = "review"  # dispositions and notes
    SPEND = "spend"
    IMPORTS = "imports"
    DISPUTES = "disputes"
    SYNC = "sync"


@dataclass(frozen=True, slots=True)
class ChangeSet:
    """The entities a write touched, with counts of rows added or updated per entity."""

    entities: frozenset[Entity] = frozenset()
    counts: Mapping[str, int] = field(default_factory=dict)

    @classmethod
    def of(cls, *entities: Entity, **counts: int) -> ChangeSet:
        return cls(frozenset(entities), dict(counts))

    def touches(self, wanted: Iterable[Entity]) -> bool:
        return not self.entities.isdisjoint(wanted)

    def __or__(self, other: ChangeSet) -> ChangeSet:
        counts = dict(self.counts)
        for key, value in other.counts.items():
            counts[key] = counts.get(key, 0) + value
        return ChangeSet(self.entities | other.entities, counts)

    def __bool__(self) -> bool:
        return bool(self.entities)
