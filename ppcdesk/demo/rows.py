"""Turn generated calls into the rows ingest stores, one block of calls at a time.

A block's rows are built column by column into a numpy object table and flattened with one
``tolist()``: C loops instead of a Python loop per row, and the writer gets ``FlatRows`` it
can bind as they are. The strings (sids, numbers, statuses) are made here, per block, so a
helper thread can make block k+1 while SQLite stores block k.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import numpy as np
from numpy.typing import NDArray

from ppcdesk.config.paths import resources_dir
from ppcdesk.demo import callers, generator, reviews
from ppcdesk.demo.cast import BUYERS, CAMPAIGNS, CLIP_CHANNELS, CLIPS, NUMBERS, PUBLISHERS
from ppcdesk.demo.generator import CallsBlock, Plan, SidArray
from ppcdesk.demo.numeric import IntArray
from ppcdesk.demo.reviews import ReviewsBlock
from ppcdesk.storage.ingest import CALL_COLUMNS, LEG_COLUMNS, RECORDING_COLUMNS, FlatRows

ObjectArray = NDArray[np.object_]
PIECE = 2_000  # calls rendered at a time (see chunk)
DISPOSITION_COLUMNS = ("call_id", "code", "sale_micros", "author", "created_at")
NOTE_COLUMNS = ("call_id", "body", "author", "created_at")
REVIEW_COLUMNS = ("call_id", "reviewed_at", "reviewed_by", "disputed", "dispute_reason",
                  "updated_at")


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
    """The rows of calls ``[start, stop)`` of a year, with their legs, recordings and reviews.

    The review rows (DISPOSITION_COLUMNS, NOTE_COLUMNS, REVIEW_COLUMNS) name calls by their
    database id.
    """

    start: int
    stop: int
    calls: FlatRows
    legs: FlatRows
    recordings: FlatRows
    dispositions: FlatRows
    notes: FlatRows
    reviews: FlatRows


def _objects(values: Sequence[Any]) -> ObjectArray:
    out: ObjectArray = np.empty(len(values), dtype=object)
    out[:] = values
    return out


_CALLED = _objects([row[2] for row in NUMBERS])
_STATES = _objects(callers.STATES)
_PARENT_STATUSES = _objects(generator.PARENT_STATUSES)
_LEG_STATUSES = _objects(generator.LEG_STATUSES)
_DESTINATIONS = _objects(generator.DESTINATIONS)
_CLIPS = _objects(CLIPS)
_CLIP_CHANNELS = np.array(CLIP_CHANNELS, dtype=np.int64)
_CODES = _objects(reviews.CODES)
_AUTHORS = _objects(reviews.AUTHORS)
_NOTES = _objects(reviews.note_texts())
_DISPUTES = _objects(("", *reviews.DISPUTE_REASONS))  # index + 1: "" when not disputed


@lru_cache(maxsize=1)
def clip_files() -> tuple[ObjectArray, ObjectArray]:
    """Measure and hash each bundled clip (None where the file is missing).

    A demo recording's audio is a local file from the start (``file_state`` "bundled"), so it
    carries what a downloaded one carries: the player and the cache can check it the same way.
    """
    sizes: list[int | None] = []
    digests: list[str | None] = []
    for clip in CLIPS:
        path = resources_dir() / clip
        data = path.read_bytes() if path.is_file() else None
        sizes.append(None if data is None else len(data))
        digests.append(None if data is None else hashlib.sha256(data).hexdigest())
    return _objects(sizes), _objects(digests)


def sid_text(prefix: str, sids: SidArray) -> list[str]:
    """Write sids as Twilio does: ``prefix`` and 32 lowercase hex digits."""
    if not len(sids):
        return []
    # One C pass each (hex with a separator, prefixing, splitting): ~2x a per-sid loop.
    digits = sids.tobytes().hex("\n", 16)
    return (prefix + digits.replace("\n", "\n" + prefix)).split("\n")


def caller_text(callers: IntArray) -> list[str]:
    """Write caller codes as E.164 numbers; ``anonymous`` where withheld (Twilio's word)."""
    return [f"+1{v:010d}" if v >= 0 else "anonymous" for v in callers.tolist()]


def _nullable(values: IntArray, missing: NDArray[np.bool_]) -> ObjectArray:
    out: ObjectArray = values.astype(object)
    out[missing] = None
    return out


def _table(columns: Sequence[Any], count: int) -> list[Any]:
    """Lay ``columns`` (arrays, lists or one value for all rows) side by side, row by row."""
    table = np.empty((count, len(columns)), dtype=object)
    for j, column in enumerate(columns):
        table[:, j] = column
    values: list[Any] = table.ravel().tolist()
    return values


def chunk(block: CallsBlock, ids: CastIds, updated_at: int, marks: ReviewsBlock,
          first_call_id: int = 1) -> Chunk:
    """Render the calls of ``block`` and their legs, recordings and review ``marks``.

    The columns follow ingest.CALL_COLUMNS, LEG_COLUMNS and RECORDING_COLUMNS, in order. The
    work goes PIECE calls at a time: a C call that holds the GIL for milliseconds would keep
    the writer waiting each time it comes back from a statement.
    """
    calls: list[Any] = []
    legs: list[Any] = []
    recordings: list[Any] = []
    for lo in range(0, block.count, PIECE):
        part = _piece(block, ids, updated_at, lo, min(block.count, lo + PIECE))
        calls.extend(part[0])
        legs.extend(part[1])
        recordings.extend(part[2])
    return Chunk(block.start, block.stop, FlatRows(calls, len(CALL_COLUMNS)),
                 FlatRows(legs, len(LEG_COLUMNS)), FlatRows(recordings, len(RECORDING_COLUMNS)),
                 *_review_rows(marks, first_call_id + block.start))


def _review_rows(r: ReviewsBlock, first_id: int) -> tuple[FlatRows, FlatRows, FlatRows]:
    """The dispositions, notes and call_reviews rows of ``r``; call k of it has id first_id + k.

    Few rows (a review per answered call at most), so made whole, not PIECE at a time.
    """
    sales = _nullable(r.disp_sale_micros, r.disp_sale_micros < 0)
    dispositions = _table((r.disp_call + first_id, _CODES[r.disp_code], sales,
                           _AUTHORS[r.disp_author], r.disp_at), len(r.disp_call))
    notes = _table((r.note_call + first_id, _NOTES[r.note_text], _AUTHORS[r.note_author],
                    r.note_at), len(r.note_call))
    marks = _table((r.review_call + first_id, r.reviewed_at, _AUTHORS[r.reviewed_by],
                    (r.dispute >= 0).astype(np.int64), _DISPUTES[r.dispute + 1],
                    r.review_updated_at), len(r.review_call))
    return (FlatRows(dispositions, len(DISPOSITION_COLUMNS)),
            FlatRows(notes, len(NOTE_COLUMNS)), FlatRows(marks, len(REVIEW_COLUMNS)))


def _piece(block: CallsBlock, ids: CastIds, updated_at: int, lo: int,
           hi: int) -> tuple[list[Any], list[Any], list[Any]]:
    b = block
    s = slice(lo, hi)
    sids = _objects(sid_text("CA", b.sid[s]))
    callers_ = _objects(caller_text(b.caller[s]))
    started, duration, unrated = b.started_at[s], b.duration_s[s], ~b.rated[s]
    buyer, answer = b.buyer_idx[s], b.time_to_answer_s[s]
    calls = _table((
        sids, None, ids.number[b.number_idx[s]], ids.campaign[b.campaign_idx[s]],
        ids.publisher[b.publisher_idx[s]], callers_, _STATES[b.caller_state[s]],
        _CALLED[b.number_idx[s]], _PARENT_STATUSES[b.parent_status[s]], "inbound", started,
        started + duration, duration, _nullable(b.cost_micros[s], unrated), b.connected_s[s],
        _nullable(answer, answer < 0), _nullable(ids.buyer[np.maximum(buyer, 0)], buyer < 0),
        _nullable(b.legs_cost_micros[s], unrated), updated_at,
    ), hi - lo)

    first, last = np.searchsorted(b.leg_call, [lo, hi])
    g = slice(int(first), int(last))
    owner = b.leg_call[g] - lo
    leg_start = b.leg_started_at[g]
    legs = _table((
        sid_text("CA", b.leg_sid[g]), sids[owner], callers_[owner],  # the caller id passes on
        _DESTINATIONS[b.leg_dest[g]], _LEG_STATUSES[b.leg_status[g]], "outbound-dial",
        leg_start, b.leg_ended_at[g], b.leg_duration_s[g],
        _nullable(b.leg_cost_micros[g], unrated[owner]),  # priced with their parent
        ids.buyer[b.leg_buyer_idx[g]],
    ), len(owner))

    first, last = np.searchsorted(b.rec_call, [lo, hi])
    r = slice(int(first), int(last))
    call = b.rec_call[r]
    clip = b.rec_clip[r]
    talk = b.connected_s[call]
    sizes, digests = clip_files()
    recordings = _table((
        sid_text("RE", b.rec_sid[r]), sids[call - lo],
        b.answered_at[call], talk, _CLIP_CHANNELS[clip], "completed",
        (talk + 59) // 60 * generator.RECORDING_PER_MIN, "bundled", _CLIPS[clip], sizes[clip],
        digests[clip],
    ), len(call))
    return calls, legs, recordings


def chunks(year: Plan, ids: CastIds, updated_at: int,
           first_call_id: int = 1) -> Iterator[Chunk]:
    """Render every call of ``year`` with its outcomes and reviews, block by block in order.

    ``first_call_id``: the database id the year's first call gets (the next ones follow).
    """
    for start, stop in generator.blocks(year.count):
        block = generator.outcomes(year, start, stop)
        yield chunk(block, ids, updated_at, reviews.reviews(year, block), first_call_id)
