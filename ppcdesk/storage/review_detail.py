"""One call in full for the detail view: legs, recordings, outcomes, dispositions, notes."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Connection

from ppcdesk.storage import review_state, review_store
from ppcdesk.storage.review_state import ReviewState
from ppcdesk.storage.review_store import CallFilter, CallSort, LogRow


@dataclass(frozen=True, slots=True)
class LegInfo:
    """A forwarded leg: when it rang, whether and when it was answered, when it ended."""

    sid: str
    to_number: str
    buyer: str | None
    status: str
    started_at: int | None
    ended_at: int | None
    duration_s: int  # talk time (Twilio's duration of the child leg)
    cost_micros: int | None


@dataclass(frozen=True, slots=True)
class RecordingInfo:
    sid: str
    duration_s: int
    channels: int
    file_state: str  # remote | cached | bundled | expired | deleted
    local_path: str | None
    size_bytes: int | None
    sha256: str | None
    started_at: int | None


@dataclass(frozen=True, slots=True)
class OutcomeInfo:
    contract: str
    counterparty_kind: str  # buyer | publisher
    billable: bool
    payable: bool
    revenue_micros: int
    payout_micros: int
    flags: int
    reasons: tuple[tuple[str, str], ...]  # (code, text)
    duplicate_of_sid: str | None
    evaluated_at: int


@dataclass(frozen=True, slots=True)
class DispositionEntry:
    code: str
    sale_micros: int | None
    author: str
    created_at: int


@dataclass(frozen=True, slots=True)
class NoteEntry:
    body: str
    author: str
    created_at: int


@dataclass(frozen=True, slots=True)
class CallDetail:
    row: LogRow
    ended_at: int | None
    legs: tuple[LegInfo, ...]
    recordings: tuple[RecordingInfo, ...]
    outcomes: tuple[OutcomeInfo, ...]
    dispositions: tuple[DispositionEntry, ...]  # newest first
    notes: tuple[NoteEntry, ...]  # newest first
    reviewed_at: int | None
    reviewed_by: str
    dispute_reason: str
    review: ReviewState  # what a review edit of this call is based on (its version token)


def call_detail(conn: Connection, call_id: int) -> CallDetail | None:
    sid = conn.exec_driver_sql("SELECT sid FROM calls WHERE id = ?", (call_id,)).scalar()
    if sid is None:
        return None
    rows = review_store.block(conn, CallFilter(search=str(sid)), CallSort(), limit=1)
    if not rows:
        return None
    q = conn.exec_driver_sql
    ended_at = q("SELECT ended_at FROM calls WHERE id = ?", (call_id,)).scalar()
    legs = tuple(LegInfo(*r) for r in q(
        "SELECT l.sid, l.to_number, b.name, l.status, l.started_at, l.ended_at, l.duration_s, "
        "l.cost_micros FROM call_legs l LEFT JOIN buyers b ON b.id = l.buyer_id "
        "WHERE l.call_sid = ? ORDER BY coalesce(l.started_at, 0), l.id", (sid,)))
    recordings = tuple(RecordingInfo(*r) for r in q(
        "SELECT sid, duration_s, channels, file_state, local_path, size_bytes, sha256, "
        "started_at FROM recordings WHERE call_sid = ? ORDER BY id", (sid,)))
    outcomes = tuple(OutcomeInfo(
        contract=r[0], counterparty_kind=r[1], billable=bool(r[2]), payable=bool(r[3]),
        revenue_micros=r[4], payout_micros=r[5], flags=r[6],
        reasons=tuple((i.get("code", ""), i.get("text", ""))
                      for i in review_store.reasons_json(r[7])),
        duplicate_of_sid=r[8], evaluated_at=r[9]) for r in q(
        "SELECT k.name, k.counterparty_kind, o.billable, o.payable, o.revenue_micros, "
        "o.payout_micros, o.flags, o.reasons, d.sid, o.evaluated_at FROM call_outcomes o "
        "JOIN contracts k ON k.id = o.contract_id LEFT JOIN calls d "
        "ON d.id = o.duplicate_of_call_id WHERE o.call_id = ? ORDER BY k.name", (call_id,)))
    dispositions = tuple(DispositionEntry(*r) for r in q(
        "SELECT code, sale_micros, author, created_at FROM dispositions WHERE call_id = ? "
        "ORDER BY created_at DESC, id DESC", (call_id,)))
    notes = tuple(NoteEntry(*r) for r in q(
        "SELECT body, author, created_at FROM call_notes WHERE call_id = ? "
        "ORDER BY created_at DESC, id DESC", (call_id,)))
    state = review_state.read(conn, call_id)
    return CallDetail(rows[0], ended_at, legs, recordings, outcomes, dispositions, notes,
                      state.reviewed_at, state.reviewed_by, state.dispute_reason, state)
