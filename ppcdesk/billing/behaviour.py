"""Flag buyers whose answered calls bunch just under the buffer: hanging up to avoid paying.

A buyer's agents who end calls at 75-89 s under a 90 s buffer get the caller's lead for free.
Honest talk times thin out smoothly around any threshold, so clearly more calls ending in the
``window_s`` seconds before the buffer than in the ``window_s`` seconds from it is the tell.

"Clearly": talk times fall off with length (roughly exponentially, mean ~150 s), so an honest
buyer already has ~10% more calls in 75-89 s than in 90-104 s, and the bare "more before than
after" would flag everyone. A buyer is flagged at ``min_ratio`` (1.5) times as many, and at
least ``min_calls`` calls just under. Example: 40 calls connected 75-89 s and 12 connected
90-104 s under a 90 s buffer: flagged, ratio 3.33.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class BuyerBehaviour:
    """One buyer's figures around its buffer, and whether they bunch under it."""

    buyer: str
    buffer_s: int
    just_under: int  # answered calls connected in [buffer - window, buffer)
    just_over: int  # answered calls connected in [buffer, buffer + window)
    answered: int  # every answered call looked at
    flagged: bool

    @property
    def ratio(self) -> float | None:
        """just_under / just_over (None when nothing ended just over: see ``flagged``)."""
        return None if self.just_over == 0 else self.just_under / self.just_over


def under_buffer(connected_by_buyer: Mapping[str, Sequence[int]],
                 buffer_by_buyer: Mapping[str, int], window_s: int = 15,
                 *, min_calls: int = 5, min_ratio: float = 1.5) -> list[BuyerBehaviour]:
    """Every buyer with a buffer, by name, flagged when calls bunch under it.

    ``min_calls``: fewer calls than this just under the buffer never flag a buyer (three
    short calls against one are chance, not a habit).
    """
    found = []
    for buyer in sorted(buffer_by_buyer):
        buffer_s = buffer_by_buyer[buyer]
        connected = connected_by_buyer.get(buyer, ())
        under = sum(1 for s in connected if buffer_s - window_s <= s < buffer_s)
        over = sum(1 for s in connected if buffer_s <= s < buffer_s + window_s)
        flagged = buffer_s > 0 and under >= min_calls and under > over * min_ratio
        found.append(BuyerBehaviour(buyer, buffer_s, under, over, len(connected), flagged))
    return found
