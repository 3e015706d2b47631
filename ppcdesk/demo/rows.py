"""Turn generated calls into the rows ingest stores, one chunk of calls at a time.

A chunk's rows are built column by column into a numpy object table and flattened with one
``tolist()``: C loops instead of a Python loop per row, and the writer gets ``FlatRows`` it
can bind as they are. The strings (sids, numbers, statuses) are made here, per chunk, so a
helper thread can render chunk k+1 while SQLite stores chunk k.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from ppcdesk.demo import generator
from ppcdesk.demo.cast import BUYERS, CAMPAIGNS, CLIP_CHANNELS, CLIPS, NUMBERS, PUBLISHERS
from ppcdesk.demo.generator import CallsBlock, IntArray, SidArray
from ppcdesk.storage.ingest import FlatRows

ObjectArray = NDArray[np.object_]


@dataclass(frozen=True)
class CastIds:
    """Database ids of the cast, by index into the cast's tuples (cast.NUMBERS, ...)."""

    number: IntArray
    campaign: IntArray
    publisher: IntArray
    buyer: IntArray

    @classmethod
    def of(cls, ids: dict[str, dict[str, int]]) -> CastIds:
        def lookup(kind: str, names: Sequence[str]) -> IntArray:
            out: IntArray = np.array([ids[kind][name] for name in names], dtype=np.int64)
            return out

        return cls(number=lookup("number", [row[2] for row in NUMBERS]),
                   campaign=lookup("campaign", [c.name for c in CAMPAIGNS]),
                   publisher=lookup("publisher", [p.name for p in PUBLISHERS]),
                   buyer=lookup("buyer", [b.name for b in BUYERS]))


@dataclass(frozen=True)
class Chunk:
    """The rows of calls ``[start, stop)``, with their legs and recordings."""

    start: int
    stop: int
    calls: FlatRows
    legs: FlatRows
    recordings: FlatRows


def _objects(values: Sequence[Any]) -> ObjectArray:
    out: ObjectArray = np.empty(len(values), dtype=object)
    out[:] = values
    return out


_CALLED = _objects([row[2] for row in NUMBERS])
_STATES = _objects(generator.STATES)
_PARENT_STATUSES = _objects(generator.PARENT_STATUSES)
_LEG_STATUSES = _objects(generator.LEG_STATUSES)
_DESTINATIONS = _objects(generator.DESTINATIONS)
_CLIPS = _objects(CLIPS)
_CLIP_CHANNELS = np.array(CLIP_CHANNELS, dtype=np.int64)


def sid_text(prefix: str, sids: SidArray) -> list[str]:
    """``prefix`` + 32 lowercase hex digits per sid, as Twilio writes them."""
    if not len(sids):
        return []
    # One C pass each (hex with a separator, prefixing, splitting): ~2x a per-sid loop.
    digits = sids.tobytes().hex("\n", 16)
    return (prefix + digits.replace("\n", "\n" + prefix)).split("\n")


def caller_text(callers: IntArray) -> list[str]:
    """E.164 caller numbers; ``anonymous`` where the caller withheld it (Twilio's word)."""
    return [f"+1{v:010d}" if v >= 0 else "anonymous" for v in callers.tolist()]


def _nullable(values: IntArray, missing: NDArray[np.bool_]) -> ObjectArray:
    out: ObjectArray = values.astype(object)
    out[missing] = None
    return out


def _table(columns: Sequence[Any], count: int) -> FlatRows:
    """Lay ``columns`` (arrays, lists or one value for all rows) side by side into rows."""
    table = np.empty((count, len(columns)), dtype=object)
    for j, column in enumerate(columns):
        table[:, j] = column
    return FlatRows(table.ravel().tolist(), len(columns))


def chunk(block: CallsBlock, ids: CastIds, updated_at: int, start: int, stop: int) -> Chunk:
    """Render calls ``[start, stop)`` of ``block`` and their legs and recordings.

    The columns follow ingest.CALL_COLUMNS, LEG_COLUMNS and RECORDING_COLUMNS, in order.
    """
    b = block
    s = slice(start, stop)
    n = stop - start
    sids = _objects(sid_text("CA", b.sid[s]))
    callers = _objects(caller_text(b.caller[s]))
    started = b.started_at[s]
    unrated = ~b.rated[s]
    buyer = b.buyer_idx[s]
    answer = b.time_to_answer_s[s]
    calls = _table((
        sids, None, ids.number[b.number_idx[s]], ids.campaign[b.campaign_idx[s]],
        ids.publisher[b.publisher_idx[s]], callers, _STATES[b.caller_state[s]],
        _CALLED[b.number_idx[s]], _PARENT_STATUSES[b.parent_status[s]], "inbound", started,
        started + b.duration_s[s], b.duration_s[s], _nullable(b.cost_micros[s], unrated),
        b.connected_s[s], _nullable(answer, answer < 0),
        _nullable(ids.buyer[np.maximum(buyer, 0)], buyer < 0),
        _nullable(b.legs_cost_micros[s], unrated), updated_at,
    ), n)

    lo, hi = np.searchsorted(b.leg_call, [start, stop])
    g = slice(int(lo), int(hi))
    owner = b.leg_call[g] - start
    leg_start = b.leg_started_at[g]
    legs = _table((
        sid_text("CA", b.leg_sid[g]), sids[owner], callers[owner],  # the caller id passes on
        _DESTINATIONS[b.leg_dest[g]], _LEG_STATUSES[b.leg_status[g]], "outbound-dial",
        leg_start, leg_start + b.leg_duration_s[g], b.leg_duration_s[g],
        b.leg_cost_micros[g], ids.buyer[b.leg_buyer_idx[g]],
    ), int(hi - lo))

    lo, hi = np.searchsorted(b.rec_call, [start, stop])
    r = slice(int(lo), int(hi))
    call = b.rec_call[r]
    talk = b.connected_s[call]
    recordings = _table((
        sid_text("RE", b.rec_sid[r]), sids[call - start],
        b.started_at[call] + b.time_to_answer_s[call], talk, _CLIP_CHANNELS[b.rec_clip[r]],
        "completed", (talk + 59) // 60 * generator.RECORDING_PER_MIN, "bundled",
        _CLIPS[b.rec_clip[r]], None, None,
    ), int(hi - lo))
    return Chunk(start, stop, calls, legs, recordings)


def chunks(block: CallsBlock, ids: CastIds, updated_at: int, size: int) -> Iterator[Chunk]:
    """Every call of ``block`` in chunks of up to ``size`` calls, in call order.

    The first chunks are smaller (size/8, size/4, size/2): the writer waits for the first one,
    and starts sooner when it is small.
    """
    start = 0
    step = max(1, size // 8)
    while start < block.count:
        stop = min(block.count, start + step)
        yield chunk(block, ids, updated_at, start, stop)
        start = stop
        step = min(size, step * 2)
