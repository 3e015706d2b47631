"""Decide how a demo year's calls were reviewed: dispositions, notes and disputes.

What a desk that has worked for a year holds, and why each is there:
- buyers report a disposition for most answered calls (``DemoBuyer.reports``), a few hours to
  a couple of weeks after the call, so the newest calls are not reviewed yet;
- a call shorter than REJECT_UNDER_S is judged spam, a wrong number or not qualified;
  a longer one is qualified or converted, with a sale amount from its campaign, at a rate
  that its campaign, its publisher (ClickSurge converts worst) and its talk time set;
- a few follow-ups, most settled days later by a second disposition (the latest counts);
- a few notes, and a few disputed calls: ClickSurge's robocalls, Apex hanging up just under
  its buffer, callers who say they never asked.

Demo dispositions create no billing adjustments, and need none: a review turns a call down
only when it talked less than REJECT_UNDER_S, under every demo contract's buffer, so no
contract qualifies it and ``adjust_for_disposition`` would change nothing (a test holds the
contracts to that). Every review time lies after its call and before the demo's present.

Like the outcomes, each block of calls draws from its own random stream, keyed by (seed,
start), so the year's reviews do not depend on how it is consumed.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ppcdesk.core.model import DispositionCode
from ppcdesk.demo.cast import BUYERS, CAMPAIGNS, PUBLISHERS
from ppcdesk.demo.generator import CallsBlock, Plan
from ppcdesk.demo.numeric import BoolArray, IntArray, as_ints

REJECT_UNDER_S = 60  # talk time under every demo contract's buffer (checked by a test)
WRONG_NUMBER_UNDER_S = 20
HOUR, DAY = 3600, 86_400
CODES = tuple(str(code) for code in DispositionCode)
QUALIFIED, NOT_QUALIFIED, CONVERTED, WRONG_NUMBER, SPAM, FOLLOW_UP = (
    CODES.index(str(c)) for c in (
        DispositionCode.QUALIFIED, DispositionCode.NOT_QUALIFIED, DispositionCode.CONVERTED,
        DispositionCode.WRONG_NUMBER, DispositionCode.SPAM, DispositionCode.FOLLOW_UP))
# The desk's reviewers over the year, and how much of the work each did.
AUTHORS = ("dana", "luis", "priya")
AUTHOR_SHARES = (0.55, 0.3, 0.15)
# What a reviewer writes in a note, by disposition.
NOTES: dict[DispositionCode, tuple[str, ...]] = {
    DispositionCode.QUALIFIED: (
        "Good lead: quoted, caller is comparing two offers.",
        "Qualified; agent asked for the caller's current policy to compare."),
    DispositionCode.NOT_QUALIFIED: (
        "Caller already has coverage through an employer.",
        "Outside the service area; agent referred them elsewhere.",
        "Caller wanted a price only, hung up at the first question."),
    DispositionCode.CONVERTED: (
        "Sold on the call; paperwork sent by e-mail.",
        "Signed up; buyer confirmed the sale on the weekly report."),
    DispositionCode.WRONG_NUMBER: (
        "Caller was looking for a pharmacy.",
        "Dialled the wrong number from an old listing."),
    DispositionCode.SPAM: (
        "Silence then a tone: robocall.", "Recorded message offering a vacation: spam."),
    DispositionCode.FOLLOW_UP: (
        "Call back Thursday after 3 pm: wants a spouse on the call.",
        "Caller asked for a written quote first; follow up next week."),
}
_NOTES = tuple(NOTES[DispositionCode(code)] for code in CODES)  # by index into CODES
NOTE_SHARE = 0.02  # of first dispositions; follow-ups get a note far more often
# Why a call was disputed, and with whom.
DISPUTE_REASONS = (
    "Robocall traffic: asking ClickSurge for a credit on this call.",
    "Agent hung up just before the 90 s buffer: asking Apex to pay for the call.",
    "Caller says they never asked to be called about this.",
)
_CONVERTS = np.array([c.converts for c in CAMPAIGNS])
_SALE_USD = np.array([c.sale_usd for c in CAMPAIGNS], dtype=np.float64)
_SALE_SPREAD = np.array([c.sale_spread for c in CAMPAIGNS])
_QUALITY = np.array([p.converts for p in PUBLISHERS])
_JUNK = np.array([p.junk for p in PUBLISHERS])
_REPORTS = np.array([b.reports for b in BUYERS])
_UNDER_BUFFER = np.array([b.hangs_up_under_buffer for b in BUYERS])


@dataclass(frozen=True)
class ReviewsBlock:
    """The reviews of calls ``[start, stop)``; ``*_call`` are indexes into that block."""

    # Dispositions, by call then time: disp_call ascending.
    disp_call: IntArray
    disp_code: IntArray  # index into CODES
    disp_sale_micros: IntArray  # -1: no sale amount
    disp_author: IntArray  # index into AUTHORS
    disp_at: IntArray
    # Notes: note_call ascending.
    note_call: IntArray
    note_text: IntArray  # index into note_texts()
    note_author: IntArray
    note_at: IntArray
    # One call_reviews row per reviewed call: review_call ascending.
    review_call: IntArray
    reviewed_at: IntArray
    reviewed_by: IntArray  # index into AUTHORS
    dispute: IntArray  # index into DISPUTE_REASONS; -1: not disputed
    review_updated_at: IntArray


def note_texts() -> tuple[str, ...]:
    """Every note body, flattened in NOTES' order (ReviewsBlock.note_text indexes it)."""
    return tuple(text for texts in _NOTES for text in texts)


def reviews(year: Plan, b: CallsBlock) -> ReviewsBlock:
    """Decide who reviewed which calls of block ``b``, when, and what they said."""
    rng = np.random.default_rng(np.random.SeedSequence(year.seed, spawn_key=(2, b.start)))
    n = b.count
    talk, campaign, publisher = b.connected_s, b.campaign_idx, b.publisher_idx
    buyer = np.maximum(b.buyer_idx, 0)
    junk = _JUNK[publisher]
    ended = b.started_at + b.duration_s
    # A buyer's report comes in hours to days after the call (median a day and a half).
    lag = np.clip(np.exp(rng.normal(np.log(36 * HOUR), 0.9, size=n)), HOUR / 2, 20 * DAY)
    first_at = ended + as_ints(lag)
    reviewed = (talk > 0) & (rng.random(n) < _REPORTS[buyer]) & (first_at < year.now)

    short = talk < REJECT_UNDER_S
    u = rng.random(n)
    p_spam = np.where(junk, 0.45, 0.08)
    p_wrong = np.where(talk < WRONG_NUMBER_UNDER_S, 0.4, 0.12)
    short_code = np.where(u < p_spam, SPAM, np.where(u < p_spam + p_wrong, WRONG_NUMBER,
                                                     NOT_QUALIFIED))
    # Long talks sell more: x0.5 at a minute, x1 at four, at most x1.5.
    p_sale = _CONVERTS[campaign] * _QUALITY[publisher] * np.clip(talk / 240, 0.5, 1.5)
    v = rng.random(n)
    long_code = np.where(v < p_sale, CONVERTED, np.where(v < p_sale + 0.05, FOLLOW_UP,
                                                         QUALIFIED))
    first_code = as_ints(np.where(short, short_code, long_code))
    sale = _sales(rng, campaign)
    first_author = _authors(rng, n)

    # Most follow-ups are settled by a second disposition, days later.
    second_at = first_at + rng.integers(DAY, 10 * DAY, size=n)
    settled = (reviewed & (first_code == FOLLOW_UP) & (rng.random(n) < 0.7)
               & (second_at < year.now))
    second_code = np.where(rng.random(n) < 0.45, CONVERTED, QUALIFIED)
    second_author = _authors(rng, n)

    first = np.flatnonzero(reviewed)
    second = np.flatnonzero(settled)
    calls = np.concatenate([first, second])
    order = np.argsort(calls, kind="stable")  # a call's first disposition before its second
    codes = np.concatenate([first_code[first], second_code[second]])[order]
    latest_code = np.where(settled, second_code, first_code)
    latest_at = np.where(settled, second_at, first_at)
    latest_author = np.where(settled, second_author, first_author)

    noted = reviewed & (rng.random(n) < np.where(first_code == FOLLOW_UP, 0.5, NOTE_SHARE))
    note_call = np.flatnonzero(noted)
    dispute, disputed_at = _disputes(rng, b, reviewed, latest_code, first_at, year.now)
    review_call = np.flatnonzero(reviewed)
    return ReviewsBlock(
        disp_call=as_ints(calls[order]), disp_code=as_ints(codes),
        disp_sale_micros=as_ints(np.where(codes == CONVERTED,
                                          np.concatenate([sale[first], sale[second]])[order],
                                          -1)),
        disp_author=as_ints(np.concatenate([first_author[first],
                                            second_author[second]])[order]),
        disp_at=as_ints(np.concatenate([first_at[first], second_at[second]])[order]),
        note_call=as_ints(note_call),
        note_text=_note_texts(rng, first_code[note_call]),
        note_author=first_author[note_call],
        note_at=as_ints(first_at[note_call] + rng.integers(60, 15 * 60, size=len(note_call))),
        review_call=as_ints(review_call), reviewed_at=as_ints(latest_at[review_call]),
        reviewed_by=as_ints(latest_author[review_call]), dispute=dispute[review_call],
        review_updated_at=as_ints(np.maximum(latest_at, disputed_at)[review_call]),
    )


def _sales(rng: np.random.Generator, campaign: IntArray) -> IntArray:
    """A sale amount for every call, in whole dollars, lognormal around its campaign's."""
    dollars = _SALE_USD[campaign] * np.exp(rng.normal(0.0, 1.0, size=len(campaign))
                                           * _SALE_SPREAD[campaign])
    return as_ints(np.maximum(np.rint(dollars), 25) * 1_000_000)


def _authors(rng: np.random.Generator, n: int) -> IntArray:
    return as_ints(rng.choice(len(AUTHORS), size=n, p=AUTHOR_SHARES))


def _note_texts(rng: np.random.Generator, codes: IntArray) -> IntArray:
    counts = np.array([len(texts) for texts in _NOTES])
    offsets = np.concatenate([[0], np.cumsum(counts)[:-1]])
    return as_ints(offsets[codes] + rng.integers(0, 1 << 30, size=len(codes)) % counts[codes])


def _disputes(rng: np.random.Generator, b: CallsBlock, reviewed: BoolArray,
              code: IntArray, reviewed_at: IntArray, now: int) -> tuple[IntArray, IntArray]:
    """Which reviewed calls the desk disputed (index into DISPUTE_REASONS or -1), and when."""
    n = b.count
    junk = _JUNK[b.publisher_idx]
    under = _UNDER_BUFFER[np.maximum(b.buyer_idx, 0)] & (b.buyer_idx >= 0)
    near_buffer = under & (b.connected_s >= 75) & (b.connected_s < 90)
    u = rng.random(n)
    reason = np.where(junk & (code == SPAM) & (u < 0.12), 0,
                      np.where(near_buffer & (u < 0.08), 1,
                               np.where(~junk & (code == QUALIFIED) & (u < 0.002), 2, -1)))
    at = reviewed_at + rng.integers(HOUR, 3 * DAY, size=n)
    reason = np.where(reviewed & (at < now), reason, -1)
    return as_ints(reason), as_ints(np.where(reason >= 0, at, 0))
