"""Who calls: caller numbers and their states, and the share of calls that are repeats.

Numbers are kept as integers (the 10 national digits) until ``rows`` writes them as E.164; a
withheld number is ANONYMOUS. Callers come mostly from the campaign's home states; the junk
publisher adds anonymous, invalid and Canadian callers.
"""

from __future__ import annotations

import numpy as np

from ppcdesk.demo.cast import AREA_CODES, CAMPAIGNS, FOREIGN_AREA_CODES
from ppcdesk.demo.numeric import BoolArray, IntArray, as_ints, normalise

ANONYMOUS = -1  # caller code of a withheld number
# Caller states and provinces by code; code 0 is "unknown" (anonymous or invalid callers).
STATES: tuple[str | None, ...] = (None, *sorted(
    {s for _, s, _ in AREA_CODES} | {p for _, p in FOREIGN_AREA_CODES}))


def callers(rng: np.random.Generator, campaign_idx: IntArray, junk: BoolArray,
             started_at: IntArray) -> tuple[IntArray, IntArray]:
    """Draw caller numbers (as codes) and their states.

    Callers are mostly local to the campaign's home states, and a share of calls (10-20%) come
    from someone who called the same campaign minutes, hours or days before.
    """
    n = len(campaign_idx)
    codes = as_ints([int(c) for c, _, _ in AREA_CODES])
    area_state = as_ints([STATES.index(s) for _, s, _ in AREA_CODES])
    area = as_ints(rng.choice(len(codes), size=n, p=normalise([w for _, _, w in AREA_CODES])))
    for ci, campaign in enumerate(CAMPAIGNS):
        home = as_ints([i for i, (_, s, _) in enumerate(AREA_CODES) if s in campaign.home_states])
        mask = (campaign_idx == ci) & (rng.random(n) < 0.7)
        area[mask] = home[rng.integers(0, len(home), size=int(mask.sum()))]
    exchange = rng.integers(200, 1000, size=n)
    exchange = np.where((exchange % 100 == 11) | (exchange == 555), exchange + 1, exchange)
    caller = codes[area] * 10_000_000 + exchange * 10_000 + rng.integers(0, 10_000, size=n)
    state = area_state[area]

    kind = rng.random(n)
    anonymous = junk & (kind < 0.03)
    invalid = junk & (kind >= 0.03) & (kind < 0.04)  # "+10...": no NANP area code starts at 0
    foreign = junk & (kind >= 0.04) & (kind < 0.10)
    caller = np.where(invalid, rng.integers(10**8, 10**9, size=n), caller)
    foreign_code = as_ints([int(c) for c, _ in FOREIGN_AREA_CODES])
    foreign_state = as_ints([STATES.index(p) for _, p in FOREIGN_AREA_CODES])
    which = np.arange(n) % len(FOREIGN_AREA_CODES)
    caller = np.where(foreign, foreign_code[which] * 10_000_000 + caller % 10_000_000, caller)
    state = np.where(foreign, foreign_state[which], np.where(invalid | anonymous, 0, state))
    caller = np.where(anonymous, ANONYMOUS, caller)

    # Repeats: the caller of the campaign's latest call some time before (often within the
    # hour, mostly within days). A repeat of a repeat goes back to the first call of the chain.
    repeat = rng.random(n) < np.where(junk, 0.35, 0.12)
    back = np.where(rng.random(n) < 0.4, rng.exponential(20 * 60, size=n),
                    rng.exponential(3 * 86_400, size=n)).astype(np.int64) + 1
    source = np.arange(n)
    for ci in range(len(CAMPAIGNS)):
        mine = np.flatnonzero(campaign_idx == ci)
        asks = mine[repeat[mine]]
        before = np.searchsorted(started_at[mine], started_at[asks] - back[asks],
                                 side="right") - 1
        found = before >= 0
        source[asks[found]] = mine[before[found]]
    while True:  # pointer jumping: every call points at the root of its chain
        deeper = source[source]
        if np.array_equal(deeper, source):
            break
        source = deeper
    copies = caller[source] != ANONYMOUS
    caller = np.where(copies, caller[source], caller)
    state = np.where(copies, state[source], state)
    return as_ints(caller), as_ints(state)
