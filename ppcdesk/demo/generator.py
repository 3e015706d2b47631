"""Generate a year of calls, vectorised with numpy and deterministic per (seed, calls, end day).

What is in it, and why (each a thing a later feature must find):
- daily and weekly rhythm in each campaign's zone, a Medicare enrollment-season surge;
- 10-20% repeat callers (more from the junk publisher), anonymous and invalid callers;
- missed (no-answer), busy and failed forwards, fail-over to a second buyer, IVR hang-ups;
- one buyer (Apex Auto Insurance Group) whose agents hang up just under a 90 s buffer;
- one publisher (ClickSurge Network) with junk traffic: short calls, repeats, night calls;
- Twilio's prices per leg, the newest calls not yet rated, recordings for most answered calls.

It is made in two steps. ``plan`` decides, for the whole year at once, who calls which number
and when (the part that fixes the calls' order, and that repeat callers look back into).
``outcomes`` then decides what happened to calls ``[start, stop)``: forwards, legs, talk time,
prices, recordings. Each block draws from its own random stream, keyed by (seed, start), and
the blocks are fixed by the number of calls alone (``blocks``), so the year is the same however
it is consumed; the demo job renders block k+1 on a helper thread while SQLite stores block k.

Everything here is numbers (indexes into the cast, epoch seconds, micros); ``rows`` turns a
block into the strings and tuples the database stores. Sids are random 128-bit values like
Twilio's, in ascending order along the call order (block k draws from the k-th slice of the
128-bit space, sorted): they look the same, and the unique sid indexes then grow at their right
edge instead of at random places, which halves the cost of storing a large year.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
from numpy.typing import NDArray

from ppcdesk.demo.callers import callers
from ppcdesk.demo.cast import (
    BUYERS,
    CAMPAIGNS,
    HOURLY,
    HOURLY_JUNK,
    NUMBERS,
    PUBLISHERS,
    SHORT_CALL_CLIP,
    WEEKDAY,
    WORKSPACE_ZONE,
)
from ppcdesk.demo.numeric import BoolArray, FloatArray, IntArray, as_ints, normalise

DAYS = 365
SidArray = NDArray[Any]  # (n, 2) big-endian uint64: the sid's 32 hex digits, high word first

# Twilio's list prices, in micros per started minute.
INBOUND_TOLL_FREE_PER_MIN = 22_000
INBOUND_LOCAL_PER_MIN = 8_500
OUTBOUND_PER_MIN = 14_000
RECORDING_PER_MIN = 2_500
UNDER_BUFFER_S = 90
SHORT_CALL_S = 30  # a recording shorter than this plays the hang-up clip

PARENT_STATUSES = ("completed", "busy", "failed")
LEG_STATUSES = ("completed", "no-answer", "busy", "failed")
# Every buyer destination, flattened: a leg stores an index into this.
DESTINATIONS = tuple(e164 for b in BUYERS for e164 in b.destinations)
TOLL_FREE_PREFIXES = frozenset({"800", "833", "844", "855", "866", "877", "888"})


BLOCK = 20_000  # calls per block of outcomes (and per chunk the demo job stores)
SPACE = 2**64  # of a sid's high word


@dataclass(frozen=True)
class Plan:
    """Who calls which number, and when: the whole year, in start-time order."""

    seed: int
    number_idx: IntArray  # index into cast.NUMBERS
    campaign_idx: IntArray
    publisher_idx: IntArray
    junk: BoolArray  # from the junk publisher
    after_hours: BoolArray  # in the campaign's zone
    caller: IntArray  # the 10 national digits as a number; callers.ANONYMOUS when withheld
    caller_state: IntArray  # index into callers.STATES
    started_at: IntArray
    rated_before: int  # Twilio has priced the calls that started before this
    now: int  # the demo's present: midnight after the end day, in the workspace's zone

    @property
    def count(self) -> int:
        return len(self.started_at)


@dataclass(frozen=True)
class CallsBlock:
    """Calls ``[start, stop)`` of a plan with their outcomes; index 0 is call ``start``."""

    start: int
    stop: int
    sid: SidArray
    number_idx: IntArray  # index into cast.NUMBERS
    campaign_idx: IntArray
    publisher_idx: IntArray
    caller: IntArray  # the 10 national digits as a number; callers.ANONYMOUS when withheld
    caller_state: IntArray  # index into callers.STATES
    started_at: IntArray
    duration_s: IntArray
    parent_status: IntArray  # index into PARENT_STATUSES
    cost_micros: IntArray
    rated: BoolArray
    connected_s: IntArray
    time_to_answer_s: IntArray  # -1: never answered
    buyer_idx: IntArray  # -1: no buyer answered
    legs_cost_micros: IntArray
    # Child legs, flattened: leg k belongs to call leg_call[k] (ascending).
    leg_call: IntArray
    leg_sid: SidArray
    leg_dest: IntArray  # index into DESTINATIONS
    leg_buyer_idx: IntArray
    leg_status: IntArray  # index into LEG_STATUSES
    leg_started_at: IntArray  # when it was dialled
    leg_ended_at: IntArray  # after ringing (end - start - duration) and talking (duration)
    leg_duration_s: IntArray
    leg_cost_micros: IntArray
    # Recordings: recording k belongs to call rec_call[k] (ascending).
    rec_call: IntArray
    rec_sid: SidArray
    rec_clip: IntArray  # index into cast.CLIPS
    answered_at: IntArray  # when a buyer picked up (the recording's start); -1: nobody did

    @property
    def count(self) -> int:
        return self.stop - self.start


def blocks(calls: int, size: int = BLOCK) -> list[tuple[int, int]]:
    """Split a year of ``calls`` calls into blocks of ``size`` calls, the first ones smaller.

    The store waits for the first block only: at 1/8, 1/4 and 1/2 of ``size`` it starts sooner.
    """
    out = []
    start, step = 0, max(1, size // 8)
    while start < calls:
        out.append((start, min(calls, start + step)))
        start, step = out[-1][1], min(size, step * 2)
    return out


def _sids(rng: np.random.Generator, count: int, start: int, stop: int, total: int) -> SidArray:
    """Draw ``count`` random sids, ascending, from slices ``[start, stop)`` of ``total``.

    Ascending by their high word; two equal high words are ~1e-8 likely, and harmless.
    """
    words = np.empty((count, 2), dtype=np.uint64)
    words[:, 0] = np.sort(rng.integers(start * SPACE // total, stop * SPACE // total,
                                       size=count, dtype=np.uint64))
    words[:, 1] = rng.integers(0, SPACE, size=count, dtype=np.uint64)
    out: SidArray = words.astype(">u8")  # big-endian, so the bytes' hex reads in number order
    return out


def _day_offsets(first: date, zone: str) -> IntArray:
    """UTC epoch of local midnight for each of the DAYS days (offset taken at local noon)."""
    tz = ZoneInfo(zone)
    out = np.empty(DAYS, dtype=np.int64)
    for i in range(DAYS):
        day = first + timedelta(days=i)
        noon = datetime(day.year, day.month, day.day, 12, tzinfo=tz)
        out[i] = int(noon.timestamp()) - 12 * 3600
    return out


def _day_weights(first: date, aep: bool) -> FloatArray:
    days = [first + timedelta(days=i) for i in range(DAYS)]
    weights = np.array([WEEKDAY[d.weekday()] for d in days], dtype=np.float64)
    weights *= np.linspace(0.85, 1.15, DAYS)  # a business that grows over the year
    if aep:
        weights *= np.array([2.6 if (d.month, d.day) >= (10, 15) or
                             (d.month == 12 and d.day <= 7) else 1.0 for d in days])
    out: FloatArray = weights / weights.sum()
    return out


def plan(calls: int, seed: int, end: date) -> Plan:
    """Decide who calls which number and when, for ``calls`` calls in the DAYS ending ``end``."""
    rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(0,)))
    first = end - timedelta(days=DAYS - 1)
    n = calls
    publisher_names = [p.name for p in PUBLISHERS]

    # Campaign, then day (with the campaign's season), then number (publisher share).
    campaign_idx = as_ints(rng.choice(len(CAMPAIGNS), size=n,
                                   p=normalise([c.weight for c in CAMPAIGNS])))
    number_idx = np.empty(n, dtype=np.int64)
    midnight = np.empty(n, dtype=np.int64)
    for ci, campaign in enumerate(CAMPAIGNS):
        mask = campaign_idx == ci
        k = int(mask.sum())
        days = rng.choice(DAYS, size=k, p=_day_weights(first, campaign.aep_season))
        midnight[mask] = _day_offsets(first, campaign.timezone)[days]
        mine = [i for i, row in enumerate(NUMBERS) if row[0] == campaign.name]
        number_idx[mask] = as_ints(mine)[
            rng.choice(len(mine), size=k, p=normalise([NUMBERS[i][4] for i in mine]))]
    publisher_idx = as_ints([publisher_names.index(row[1]) for row in NUMBERS])[number_idx]
    junk: BoolArray = np.array([p.junk for p in PUBLISHERS])[publisher_idx]

    # Time of day in the campaign's zone; junk traffic keeps its own clock.
    hour = np.empty(n, dtype=np.int64)
    hour[junk] = rng.choice(24, size=int(junk.sum()), p=normalise(HOURLY_JUNK))
    hour[~junk] = rng.choice(24, size=int((~junk).sum()), p=normalise(HOURLY))
    started_at = midnight + hour * 3600 + rng.integers(0, 3600, size=n)
    order = np.argsort(started_at, kind="stable")
    campaign_idx, number_idx, publisher_idx, hour, started_at = (
        a[order] for a in (campaign_idx, number_idx, publisher_idx, hour, started_at))
    junk = junk[order]
    caller, caller_state = callers(rng, campaign_idx, junk, started_at)
    # Twilio rates a call some minutes after it ends: the newest calls have no price yet.
    newest = int(started_at[-1]) if n else 0
    return Plan(seed=seed, number_idx=number_idx, campaign_idx=campaign_idx,
                publisher_idx=publisher_idx, junk=junk, after_hours=(hour < 8) | (hour >= 20),
                caller=caller, caller_state=caller_state, started_at=started_at,
                rated_before=newest - 2 * 3600, now=local_midnight(end + timedelta(days=1)))


def local_midnight(day: date) -> int:
    """The epoch of ``day``'s midnight in the workspace's zone (the demo's clock)."""
    return int(datetime(day.year, day.month, day.day, tzinfo=ZoneInfo(WORKSPACE_ZONE))
               .timestamp())


def outcomes(year: Plan, start: int, stop: int) -> CallsBlock:
    """Decide what happened to calls ``[start, stop)`` of ``year``."""
    rng = np.random.default_rng(np.random.SeedSequence(year.seed, spawn_key=(1, start)))
    n = stop - start
    s = slice(start, stop)
    campaign_idx, number_idx, junk = year.campaign_idx[s], year.number_idx[s], year.junk[s]
    after_hours, started_at = year.after_hours[s], year.started_at[s]
    buyer_names = [b.name for b in BUYERS]

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
                           p=normalise([share for _, share in campaign.buyers]))
        buyer_choice[mask] = as_ints([buyer_names.index(x) for x in names])[picks]
    rates = np.array([b.answer_rate for b in BUYERS])
    answer_rate = np.where(after_hours, rates[buyer_choice] * 0.4, rates[buyer_choice])
    leg1_answered = forwarded & (rng.random(n) < answer_rate)
    leg1_outcome = rng.random(n)
    # 0 completed, 1 no-answer, 2 busy, 3 failed (LEG_STATUSES)
    leg1_status = as_ints(np.where(leg1_answered, 0, np.where(
        leg1_outcome < 0.72, 1, np.where(leg1_outcome < 0.94, 2, 3))))
    # Fail-over: half of the unanswered first forwards ring a second buyer of the campaign.
    second_buyer = _other_buyer(campaign_idx, buyer_choice, buyer_names)
    failover = forwarded & ~leg1_answered & (second_buyer >= 0) & (rng.random(n) < 0.5)
    rate2 = rates[np.maximum(second_buyer, 0)]
    leg2_answered = failover & (rng.random(n) < np.where(after_hours, rate2 * 0.4, rate2))
    leg2_status = as_ints(np.where(leg2_answered, 0, np.where(rng.random(n) < 0.8, 1, 2)))

    answered = leg1_answered | leg2_answered
    answering_buyer = as_ints(np.where(leg1_answered, buyer_choice,
                                    np.where(leg2_answered, second_buyer, -1)))
    ring1 = np.clip(rng.gamma(2.0, 5.0, size=n), 3, 40).astype(np.int64)
    ring1 = np.where(leg1_answered, ring1, np.where(leg1_status == 1, 30, 2))  # no-answer: 30 s
    ring2 = np.where(failover, np.clip(rng.gamma(2.0, 5.0, size=n), 3, 30).astype(np.int64), 0)
    ring2 = np.where(failover & ~leg2_answered, np.where(leg2_status == 1, 30, 2), ring2)

    talk = np.where(answered, _talk_times(rng, n, junk, answering_buyer), 0)
    # As the sync derives it (telephony.sync_store): the answered leg's start, which is when
    # it was dialled, minus the call's start. The ring of that leg is its end - start - talk.
    time_to_answer = as_ints(np.where(leg1_answered, ivr_s,
                                   np.where(leg2_answered, ivr_s + ring1, -1)))
    answered_at = as_ints(np.where(answered, started_at + ivr_s + ring1 + ring2, -1))
    tail = rng.integers(0, 3, size=n)
    duration = as_ints(np.where(
        forwarded, ivr_s + ring1 + ring2 + talk + tail,
        np.where(abandon, rng.integers(1, 25, size=n), 0)))
    parent_status = as_ints(np.where(parent_failed, np.where(rng.random(n) < 0.5, 2, 1), 0))

    toll_free = np.array([row[2][2:5] in TOLL_FREE_PREFIXES for row in NUMBERS])[number_idx]
    minutes = (duration + 59) // 60
    cost = minutes * np.where(toll_free, INBOUND_TOLL_FREE_PER_MIN, INBOUND_LOCAL_PER_MIN)

    legs = _legs(rng, forwarded, failover, (buyer_choice, second_buyer),
                 (leg1_status, leg2_status), (leg1_answered, leg2_answered),
                 (started_at + ivr_s, ring1, ring2, talk))
    legs_cost = np.bincount(legs["call"], weights=legs["cost"], minlength=n).astype(np.int64)

    recorded = answered & (rng.random(n) < np.where(junk, 0.7, 0.93))
    rec_call = np.flatnonzero(recorded).astype(np.int64)
    total = year.count
    return CallsBlock(
        start=start, stop=stop, sid=_sids(rng, n, start, stop, total),
        number_idx=number_idx, campaign_idx=campaign_idx,
        publisher_idx=year.publisher_idx[s], caller=year.caller[s],
        caller_state=year.caller_state[s], started_at=started_at, duration_s=duration,
        parent_status=parent_status, cost_micros=as_ints(cost),
        rated=started_at < year.rated_before, connected_s=as_ints(talk),
        time_to_answer_s=time_to_answer, buyer_idx=answering_buyer, legs_cost_micros=legs_cost,
        leg_call=legs["call"], leg_sid=_sids(rng, len(legs["call"]), start, stop, total),
        leg_dest=legs["dest"], leg_buyer_idx=legs["buyer"], leg_status=legs["status"],
        leg_started_at=legs["start"], leg_ended_at=legs["end"], leg_duration_s=legs["duration"],
        leg_cost_micros=legs["cost"],
        rec_call=rec_call, rec_sid=_sids(rng, len(rec_call), start, stop, total),
        rec_clip=_clips(rng, campaign_idx[rec_call], talk[rec_call]), answered_at=answered_at,
    )


def _other_buyer(campaign_idx: IntArray, first: IntArray, buyer_names: list[str]) -> IntArray:
    out = np.full(len(first), -1, dtype=np.int64)
    for ci, campaign in enumerate(CAMPAIGNS):
        ids = [buyer_names.index(name) for name, _ in campaign.buyers]
        if len(ids) < 2:
            continue
        mask = campaign_idx == ci
        a, b = ids[0], ids[1]
        out[mask] = np.where(first[mask] == a, b, a)
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
    return as_ints(np.clip(talk, 1, 3600))


def _legs(rng: np.random.Generator, forwarded: BoolArray, failover: BoolArray,
          buyers: tuple[IntArray, IntArray], statuses: tuple[IntArray, IntArray],
          answered: tuple[BoolArray, BoolArray],
          timing: tuple[IntArray, IntArray, IntArray, IntArray]) -> dict[str, IntArray]:
    """The forwarded legs of every call: first forward, then the fail-over, in call order."""
    dial_at, ring1, ring2, talk = timing
    offsets = np.cumsum([0, *(len(b.destinations) for b in BUYERS)])
    counts = np.diff(offsets)
    dest_pick = rng.integers(0, 2, size=len(dial_at))
    first = np.flatnonzero(forwarded)
    second = np.flatnonzero(failover)
    # As Twilio reports a child leg: it starts when it is dialled, its duration is the talk
    # (0 when nobody answered), and it ends after ringing and talking; the fail-over is
    # dialled when the first forward gives up.
    start1 = dial_at
    start2 = dial_at + ring1
    dur1 = np.where(answered[0], talk, 0)
    dur2 = np.where(answered[1], talk, 0)
    call = np.concatenate([first, second])
    order = np.argsort(call, kind="stable")
    buyer = np.concatenate([buyers[0][first], buyers[1][second]])[order]
    pick = dest_pick[call[order]]
    duration = np.concatenate([dur1[first], dur2[second]])[order]
    return {
        "call": as_ints(call[order]),
        "buyer": as_ints(buyer),
        "dest": as_ints(offsets[buyer] + pick % counts[buyer]),
        "status": as_ints(np.concatenate([statuses[0][first], statuses[1][second]])[order]),
        "start": as_ints(np.concatenate([start1[first], start2[second]])[order]),
        "end": as_ints(np.concatenate([(start1 + ring1 + dur1)[first],
                                       (start2 + ring2 + dur2)[second]])[order]),
        "duration": as_ints(duration),
        "cost": as_ints((duration + 59) // 60 * OUTBOUND_PER_MIN),
    }


def _clips(rng: np.random.Generator, campaign_idx: IntArray, talk: IntArray) -> IntArray:
    """The bundled clip of each recording: one of its campaign's, the hang-up for short calls.

    The clips are ~16-30 s samples, not the whole call (see resources/demo_audio/README.md).
    """
    out = np.full(len(talk), SHORT_CALL_CLIP, dtype=np.int64)
    for ci, campaign in enumerate(CAMPAIGNS):
        mask = campaign_idx == ci
        out[mask] = as_ints(campaign.clips)[rng.integers(0, len(campaign.clips),
                                                        size=int(mask.sum()))]
    out[talk < SHORT_CALL_S] = SHORT_CALL_CLIP
    return out
