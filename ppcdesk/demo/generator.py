"""Generate a year of calls, vectorised with numpy and deterministic per (seed, calls, end day).

What is in it, and why (each a thing a later feature must find):
- daily and weekly rhythm in each campaign's zone, a Medicare enrollment-season surge;
- 10-20% repeat callers (more from the junk publisher), anonymous and invalid callers;
- missed (no-answer), busy and failed forwards, fail-over to a second buyer, IVR hang-ups;
- one buyer (Apex Auto Insurance Group) whose agents hang up just under a 90 s buffer;
- one publisher (ClickSurge Network) with junk traffic: short calls, repeats, night calls;
- Twilio's prices per leg, the newest calls not yet rated, recordings for most answered calls.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import numpy as np
from numpy.typing import NDArray

from ppcdesk.demo.cast import (
    AREA_CODES,
    BUYERS,
    CAMPAIGNS,
    CLIP_CHANNELS,
    CLIPS,
    FOREIGN_AREA_CODES,
    HOURLY,
    HOURLY_JUNK,
    NUMBERS,
    PUBLISHERS,
    WEEKDAY,
)

DAYS = 365
IntArray = NDArray[np.int64]
BoolArray = NDArray[np.bool_]

# Twilio's list prices, in micros per started minute.
INBOUND_TOLL_FREE_PER_MIN = 22_000
INBOUND_LOCAL_PER_MIN = 8_500
OUTBOUND_PER_MIN = 14_000
RECORDING_PER_MIN = 2_500
UNDER_BUFFER_S = 90


@dataclass(frozen=True)
class CallsBlock:
    """Every generated call, as parallel arrays in start-time order (index = call order)."""

    sid: list[str]
    number_idx: IntArray  # index into cast.NUMBERS
    campaign_idx: IntArray
    publisher_idx: IntArray
    caller: list[str]
    caller_state: list[str | None]
    started_at: IntArray
    duration_s: IntArray
    parent_status: list[str]
    cost_micros: IntArray
    rated: BoolArray
    connected_s: IntArray
    time_to_answer_s: IntArray  # -1: never answered
    buyer_idx: IntArray  # -1: no buyer answered
    legs_cost_micros: IntArray
    # Child legs, flattened: leg k belongs to call leg_call[k].
    leg_call: IntArray
    leg_sid: list[str]
    leg_dest: list[str]
    leg_buyer_idx: IntArray
    leg_status: list[str]
    leg_started_at: IntArray
    leg_duration_s: IntArray
    leg_cost_micros: IntArray
    # Recordings: recording k belongs to call rec_call[k].
    rec_call: IntArray
    rec_sid: list[str]
    rec_clip: IntArray

    @property
    def count(self) -> int:
        return len(self.sid)


def _sids(rng: np.random.Generator, prefix: str, n: int) -> list[str]:
    hexed = rng.bytes(16 * n).hex()
    return [prefix + hexed[i * 32:(i + 1) * 32] for i in range(n)]


def _day_offsets(first: date, zone: str) -> IntArray:
    """UTC epoch of local midnight for each of the DAYS days (offset taken at local noon)."""
    tz = ZoneInfo(zone)
    out = np.empty(DAYS, dtype=np.int64)
    for i in range(DAYS):
        day = first + timedelta(days=i)
        noon = datetime(day.year, day.month, day.day, 12, tzinfo=tz)
        out[i] = int(noon.timestamp()) - 12 * 3600
    return out


def _day_weights(first: date, aep: bool) -> NDArray[np.float64]:
    days = [first + timedelta(days=i) for i in range(DAYS)]
    weights = np.array([WEEKDAY[d.weekday()] for d in days])
    weights *= np.linspace(0.85, 1.15, DAYS)  # a business that grows over the year
    if aep:
        weights *= np.array([2.6 if (d.month, d.day) >= (10, 15) or
                             (d.month == 12 and d.day <= 7) else 1.0 for d in days])
    return weights / weights.sum()


def _normalise(values: list[float] | tuple[float, ...]) -> NDArray[np.float64]:
    arr = np.asarray(values, dtype=np.float64)
    return arr / arr.sum()


def generate(calls: int, seed: int, end: date) -> CallsBlock:  # noqa: PLR0915 - one recipe
    """Make ``calls`` calls over the DAYS days that end on ``end``."""
    rng = np.random.default_rng(np.random.PCG64(seed))
    first = end - timedelta(days=DAYS - 1)
    n = calls
    publisher_names = [p.name for p in PUBLISHERS]
    junk_pub = np.array([p.junk for p in PUBLISHERS])
    buyer_names = [b.name for b in BUYERS]

    # Campaign, then day (with the campaign's season), then number (publisher share).
    campaign_idx = rng.choice(len(CAMPAIGNS), size=n, p=_normalise([c.weight for c in CAMPAIGNS]))
    day_idx = np.empty(n, dtype=np.int64)
    number_idx = np.empty(n, dtype=np.int64)
    midnight = np.empty(n, dtype=np.int64)
    for ci, campaign in enumerate(CAMPAIGNS):
        mask = campaign_idx == ci
        k = int(mask.sum())
        days = rng.choice(DAYS, size=k, p=_day_weights(first, campaign.aep_season))
        day_idx[mask] = days
        midnight[mask] = _day_offsets(first, campaign.timezone)[days]
        mine = [i for i, row in enumerate(NUMBERS) if row[0] == campaign.name]
        number_idx[mask] = np.asarray(mine)[
            rng.choice(len(mine), size=k, p=_normalise([NUMBERS[i][4] for i in mine]))]
    publisher_idx = np.array([publisher_names.index(row[1]) for row in NUMBERS])[number_idx]
    junk = junk_pub[publisher_idx]

    # Time of day in the campaign's zone.
    hour = np.where(junk, rng.choice(24, size=n, p=_normalise(HOURLY_JUNK)),
                    rng.choice(24, size=n, p=_normalise(HOURLY)))
    started_at = midnight + hour * 3600 + rng.integers(0, 3600, size=n)
    order = np.argsort(started_at, kind="stable")
    campaign_idx, number_idx, publisher_idx, junk, hour, started_at, day_idx = (
        a[order] for a in (campaign_idx, number_idx, publisher_idx, junk, hour, started_at,
                           day_idx))
    after_hours = (hour < 8) | (hour >= 20)

    callers, caller_state = _callers(rng, campaign_idx, junk)

    # What happens to the call.
    ivr_s = rng.integers(2, 13, size=n)
    abandon = rng.random(n) < np.where(junk, 0.12, 0.04)  # hung up in the IVR, never forwarded
    parent_failed = rng.random(n) < 0.004  # carrier trouble: failed or busy before the IVR
    forwarded = ~abandon & ~parent_failed

    # First forward: the campaign's buyers by share.
    buyer_choice = np.full(n, -1, dtype=np.int64)
    for ci, campaign in enumerate(CAMPAIGNS):
        mask = campaign_idx == ci
        names = [name for name, _ in campaign.buyers]
        picks = rng.choice(len(names), size=int(mask.sum()),
                           p=_normalise([share for _, share in campaign.buyers]))
        buyer_choice[mask] = np.array([buyer_names.index(x) for x in names])[picks]
    answer_rate = np.array([b.answer_rate for b in BUYERS])[buyer_choice]
    answer_rate = np.where(after_hours, answer_rate * 0.4, answer_rate)
    leg1_answered = forwarded & (rng.random(n) < answer_rate)
    leg1_outcome = rng.random(n)
    leg1_status = np.where(leg1_answered, 0, np.where(leg1_outcome < 0.72, 1,
                                                      np.where(leg1_outcome < 0.94, 2, 3)))
    # 0 completed, 1 no-answer, 2 busy, 3 failed
    # Fail-over: half of the unanswered first forwards ring a second buyer of the campaign.
    second_buyer = _other_buyer(rng, campaign_idx, buyer_choice, buyer_names)
    failover = forwarded & ~leg1_answered & (second_buyer >= 0) & (rng.random(n) < 0.5)
    rate2 = np.array([b.answer_rate for b in BUYERS])[np.maximum(second_buyer, 0)]
    leg2_answered = failover & (rng.random(n) < np.where(after_hours, rate2 * 0.4, rate2))
    leg2_status = np.where(leg2_answered, 0, np.where(rng.random(n) < 0.8, 1, 2))

    answered = leg1_answered | leg2_answered
    answering_buyer = np.where(leg1_answered, buyer_choice,
                               np.where(leg2_answered, second_buyer, -1))
    ring1 = np.clip(rng.gamma(2.0, 5.0, size=n), 3, 40).astype(np.int64)
    ring1 = np.where(leg1_answered, ring1, np.where(leg1_status == 1, 30, 2))  # no-answer: 30 s
    ring2 = np.where(failover, np.clip(rng.gamma(2.0, 5.0, size=n), 3, 30).astype(np.int64), 0)
    ring2 = np.where(failover & ~leg2_answered, np.where(leg2_status == 1, 30, 2), ring2)

    talk = _talk_times(rng, n, junk, answering_buyer)
    talk = np.where(answered, talk, 0)
    time_to_answer = np.where(leg1_answered, ivr_s + ring1,
                              np.where(leg2_answered, ivr_s + ring1 + ring2, -1))
    tail = rng.integers(0, 3, size=n)
    duration = np.where(
        forwarded, ivr_s + ring1 + ring2 + talk + tail,
        np.where(abandon, rng.integers(1, 25, size=n), 0))
    parent_status = np.where(parent_failed, np.where(rng.random(n) < 0.5, "failed", "busy"),
                             "completed").tolist()

    toll_free = np.array([row[2][2:5] in {"800", "833", "844", "855", "866", "877", "888"}
                          for row in NUMBERS])[number_idx]
    minutes = (duration + 59) // 60
    cost = minutes * np.where(toll_free, INBOUND_TOLL_FREE_PER_MIN, INBOUND_LOCAL_PER_MIN)
    # Twilio rates a call some minutes after it ends: the newest calls have no price yet.
    newest = started_at >= started_at.max() - 2 * 3600
    rated = ~newest

    legs = _legs(rng, n, forwarded, failover, buyer_choice, second_buyer, leg1_status,
                 leg2_status, leg1_answered, leg2_answered, started_at, ivr_s, ring1, ring2,
                 talk)
    legs_cost = np.bincount(legs["call"], weights=legs["cost"], minlength=n).astype(np.int64)

    recorded = answered & (rng.random(n) < np.where(junk, 0.7, 0.93))
    rec_call = np.flatnonzero(recorded).astype(np.int64)
    return CallsBlock(
        sid=_sids(rng, "CA", n), number_idx=number_idx, campaign_idx=campaign_idx,
        publisher_idx=publisher_idx, caller=callers, caller_state=caller_state,
        started_at=started_at, duration_s=duration, parent_status=parent_status,
        cost_micros=cost, rated=rated, connected_s=talk,
        time_to_answer_s=time_to_answer, buyer_idx=answering_buyer,
        legs_cost_micros=legs_cost,
        leg_call=legs["call"], leg_sid=_sids(rng, "CA", len(legs["call"])),
        leg_dest=legs["dest"], leg_buyer_idx=legs["buyer"], leg_status=legs["status"],
        leg_started_at=legs["start"], leg_duration_s=legs["duration"],
        leg_cost_micros=legs["cost"],
        rec_call=rec_call, rec_sid=_sids(rng, "RE", len(rec_call)),
        rec_clip=rng.choice(len(CLIPS), size=len(rec_call)),
    )


def _callers(rng: np.random.Generator, campaign_idx: IntArray,
             junk: BoolArray) -> tuple[list[str], list[str | None]]:
    """Caller numbers: local to the campaign's states mostly; 10-20% of calls are repeats."""
    n = len(campaign_idx)
    codes = [c for c, _, _ in AREA_CODES]
    states = [s for _, s, _ in AREA_CODES]
    national = _normalise([w for _, _, w in AREA_CODES])
    area = rng.choice(len(codes), size=n, p=national)
    for ci, campaign in enumerate(CAMPAIGNS):
        home = [i for i, s in enumerate(states) if s in campaign.home_states]
        mask = (campaign_idx == ci) & (rng.random(n) < 0.7)
        area[mask] = np.asarray(home)[rng.integers(0, len(home), size=int(mask.sum()))]
    exchange = rng.integers(200, 1000, size=n)
    exchange = np.where((exchange % 100 == 11) | (exchange == 555), exchange + 1, exchange)
    line = rng.integers(0, 10000, size=n)
    numbers = [f"+1{codes[a]}{e:03d}{ln:04d}" for a, e, ln in
               zip(area.tolist(), exchange.tolist(), line.tolist(), strict=True)]
    state: list[str | None] = [states[a] for a in area.tolist()]

    kind = rng.random(n)
    for i in np.flatnonzero(junk & (kind < 0.03)).tolist():
        numbers[i], state[i] = "anonymous", None
    for i in np.flatnonzero(junk & (kind >= 0.03) & (kind < 0.04)).tolist():
        numbers[i], state[i] = f"+10{rng.integers(10**8, 10**9)}", None  # invalid NANP
    for i in np.flatnonzero(junk & (kind >= 0.04) & (kind < 0.10)).tolist():
        code, province = FOREIGN_AREA_CODES[i % len(FOREIGN_AREA_CODES)]
        numbers[i], state[i] = f"+1{code}{numbers[i][5:]}", province

    # Repeats: a call copies the caller of a recent earlier call of the same campaign.
    repeat = rng.random(n) < np.where(junk, 0.35, 0.12)
    back = rng.geometric(1 / 400, size=n)
    for i in np.flatnonzero(repeat).tolist():
        j = i - int(back[i])
        while j >= 0 and campaign_idx[j] != campaign_idx[i]:
            j -= 1
        if j >= 0 and numbers[j] != "anonymous":
            numbers[i], state[i] = numbers[j], state[j]
    return numbers, state


def _other_buyer(rng: np.random.Generator, campaign_idx: IntArray, first: IntArray,
                 buyer_names: list[str]) -> IntArray:
    out = np.full(len(first), -1, dtype=np.int64)
    for ci, campaign in enumerate(CAMPAIGNS):
        ids = [buyer_names.index(name) for name, _ in campaign.buyers]
        if len(ids) < 2:
            continue
        mask = campaign_idx == ci
        a, b = ids[0], ids[1]
        out[mask] = np.where(first[mask] == a, b, a)
    del rng
    return out


def _talk_times(rng: np.random.Generator, n: int, junk: BoolArray,
                buyer: IntArray) -> IntArray:
    """Connected seconds: a short-call mass and a long lognormal body; two special cases."""
    long_calls = np.exp(rng.normal(np.log(260), 0.75, size=n))
    short_calls = rng.uniform(4, 75, size=n)
    short_share = np.where(junk, 0.62, 0.22)
    talk = np.where(rng.random(n) < short_share, short_calls, long_calls)
    under = np.array([b.hangs_up_under_buffer for b in BUYERS])[np.maximum(buyer, 0)] & (
        buyer >= 0)
    # Apex's agents end many calls in the 15 s before the 90 s buffer.
    bunch = under & (rng.random(n) < 0.3)
    talk = np.where(bunch, rng.uniform(UNDER_BUFFER_S - 15, UNDER_BUFFER_S - 1, size=n), talk)
    return np.clip(talk, 1, 3600).astype(np.int64)


def _legs(rng: np.random.Generator, n: int, forwarded: BoolArray, failover: BoolArray,
          buyer1: IntArray, buyer2: IntArray, status1: IntArray, status2: IntArray,
          answered1: BoolArray, answered2: BoolArray, started_at: IntArray, ivr: IntArray,
          ring1: IntArray, ring2: IntArray, talk: IntArray) -> dict[str, list[str] | IntArray]:
    names = ("completed", "no-answer", "busy", "failed")
    dest_pick = rng.integers(0, 2, size=n)

    def dest(buyer: IntArray, idx: IntArray) -> list[str]:
        out = []
        for b, pick in zip(buyer[idx].tolist(), dest_pick[idx].tolist(), strict=True):
            numbers = BUYERS[b].destinations
            out.append(numbers[pick % len(numbers)])
        return out

    first = np.flatnonzero(forwarded)
    second = np.flatnonzero(failover)
    # Child start is the moment the buyer answered (or the dial began, when nobody did).
    start1 = started_at + ivr + np.where(answered1, ring1, 0)
    start2 = started_at + ivr + ring1 + np.where(answered2, ring2, 0)
    dur1 = np.where(answered1, talk, 0)
    dur2 = np.where(answered2, talk, 0)
    call = np.concatenate([first, second])
    unsorted_dest = dest(buyer1, first) + dest(buyer2, second)
    order = np.argsort(call, kind="stable")
    buyer = np.concatenate([buyer1[first], buyer2[second]])[order]
    status_codes = np.concatenate([status1[first], status2[second]])[order]
    duration = np.concatenate([dur1[first], dur2[second]])[order]
    return {
        "call": call[order],
        "buyer": buyer,
        "dest": [unsorted_dest[i] for i in order.tolist()],
        "status": [names[s] for s in status_codes.tolist()],
        "start": np.concatenate([start1[first], start2[second]])[order],
        "duration": duration,
        "cost": (duration + 59) // 60 * OUTBOUND_PER_MIN,
    }


def clip_for(index: int) -> tuple[str, int]:
    return CLIPS[index], CLIP_CHANNELS[index]
