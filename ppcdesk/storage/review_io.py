"""The SQL behind ppcdesk's call CSV: the columns an export reads and an import writes."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, fields
from typing import Any

from sqlalchemy import Connection


@dataclass(frozen=True, slots=True)
class CallFields:
    """A call as ppcdesk's CSV carries it (names, not ids, so it travels between files)."""

    sid: str
    started_at: int
    ended_at: int | None
    caller: str
    caller_state: str | None
    called: str
    status: str
    duration_s: int
    connected_s: int
    time_to_answer_s: int | None
    cost_micros: int | None
    legs_cost_micros: int | None
    campaign: str | None
    publisher: str | None
    buyer: str | None
    reviewed_at: int | None
    reviewed_by: str
    disputed: bool
    dispute_reason: str
    disposition: str | None
    sale_micros: int | None


def fields_of(conn: Connection, ids: Sequence[int]) -> dict[int, CallFields]:
    """The CSV fields of the calls ``ids`` (one query per export block)."""
    if not ids:
        return {}
    marks = ",".join("?" * len(ids))
    rows = conn.exec_driver_sql(f"""
        SELECT c.id, c.sid, c.started_at, c.ended_at, c.caller, c.caller_state, c.called,
               c.status, c.duration_s, c.connected_s, c.time_to_answer_s, c.cost_micros,
               c.legs_cost_micros, k.name, p.name, b.name, v.reviewed_at,
               coalesce(v.reviewed_by, ''), coalesce(v.disputed, 0),
               coalesce(v.dispute_reason, ''), d.code, d.sale_micros
        FROM calls c
        LEFT JOIN campaigns k ON k.id = c.campaign_id
        LEFT JOIN publishers p ON p.id = c.publisher_id
        LEFT JOIN buyers b ON b.id = c.buyer_id
        LEFT JOIN call_reviews v ON v.call_id = c.id
        LEFT JOIN dispositions d ON d.id = (SELECT id FROM dispositions x WHERE x.call_id = c.id
                                            ORDER BY x.created_at DESC, x.id DESC LIMIT 1)
        WHERE c.id IN ({marks})""", tuple(ids))
    names = [f.name for f in fields(CallFields)]
    return {r[0]: CallFields(**dict(zip(names, (*r[1:18], bool(r[18]), *r[19:]), strict=True)))
            for r in rows}


def _entity_id(conn: Connection, table: str, name: str | None, now: int,
               cache: dict[tuple[str, str], int], zone: str) -> int | None:
    if not name:
        return None
    key = (table, name)
    if key not in cache:
        found = conn.exec_driver_sql(f"SELECT id FROM {table} WHERE name = ?", (name,)).scalar()
        if found is None:
            extra: dict[str, Any] = {  # the models' Python-side defaults
                "campaigns": {"timezone": zone, "vertical": ""},
                "publishers": {"kind": "publisher", "contact": ""},
                "buyers": {"contact": ""}}[table]
            columns = ", ".join(["name", "created_at", *extra])
            values = (name, now, *extra.values())
            found = conn.exec_driver_sql(
                f"INSERT INTO {table} ({columns}) VALUES ({','.join('?' * len(values))}) "
                "RETURNING id", values).scalar_one()
        cache[key] = int(found)
    return cache[key]


def upsert(conn: Connection, calls: Sequence[CallFields], now: int, zone: str,
           author: str) -> int:
    """Store the calls (new or updated by sid) with their review marks; returns rows written.

    Campaigns, publishers and buyers unknown here are created by name; the tracking number is
    linked when this workspace has it. The disposition is added only when it differs from the
    call's latest, so importing a file twice adds nothing the second time.
    """
    cache: dict[tuple[str, str], int] = {}
    for call in calls:
        number = conn.exec_driver_sql("SELECT id FROM tracking_numbers WHERE e164 = ?",
                                      (call.called,)).scalar()
        values = (
            call.sid, number, _entity_id(conn, "campaigns", call.campaign, now, cache, zone),
            _entity_id(conn, "publishers", call.publisher, now, cache, zone), call.caller,
            call.caller_state, call.called, call.status, call.started_at, call.ended_at,
            call.duration_s, call.cost_micros, call.connected_s, call.time_to_answer_s,
            _entity_id(conn, "buyers", call.buyer, now, cache, zone), call.legs_cost_micros,
            now)
        call_id = conn.exec_driver_sql("""
            INSERT INTO calls (sid, tracking_number_id, campaign_id, publisher_id, caller,
                caller_state, called, status, direction, started_at, ended_at, duration_s,
                cost_micros, connected_s, time_to_answer_s, buyer_id, legs_cost_micros,
                updated_at)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'inbound', ?, ?, ?, ?, ?, ?, ?, ?, ?)
            ON CONFLICT (sid) DO UPDATE SET campaign_id = excluded.campaign_id,
                publisher_id = excluded.publisher_id, caller = excluded.caller,
                caller_state = excluded.caller_state, called = excluded.called,
                status = excluded.status, started_at = excluded.started_at,
                ended_at = excluded.ended_at, duration_s = excluded.duration_s,
                cost_micros = excluded.cost_micros, connected_s = excluded.connected_s,
                time_to_answer_s = excluded.time_to_answer_s, buyer_id = excluded.buyer_id,
                legs_cost_micros = excluded.legs_cost_micros, updated_at = excluded.updated_at
            RETURNING id""", values).scalar_one()
        _review(conn, int(call_id), call, now, author)
    return len(calls)


def _review(conn: Connection, call_id: int, call: CallFields, now: int, author: str) -> None:
    marked = call.reviewed_at is not None or call.disputed
    if marked or conn.exec_driver_sql("SELECT 1 FROM call_reviews WHERE call_id = ?",
                                      (call_id,)).first():
        conn.exec_driver_sql("""
            INSERT INTO call_reviews (call_id, reviewed_at, reviewed_by, disputed,
                dispute_reason, updated_at) VALUES (?, ?, ?, ?, ?, ?)
            ON CONFLICT (call_id) DO UPDATE SET reviewed_at = excluded.reviewed_at,
                reviewed_by = excluded.reviewed_by, disputed = excluded.disputed,
                dispute_reason = excluded.dispute_reason, updated_at = excluded.updated_at""",
            (call_id, call.reviewed_at, call.reviewed_by, int(call.disputed),
             call.dispute_reason, now))
    if call.disposition:
        latest = conn.exec_driver_sql(
            "SELECT code, sale_micros FROM dispositions WHERE call_id = ? "
            "ORDER BY created_at DESC, id DESC LIMIT 1", (call_id,)).first()
        if latest is None or tuple(latest) != (call.disposition, call.sale_micros):
            conn.exec_driver_sql(
                "INSERT INTO dispositions (call_id, code, sale_micros, author, created_at) "
                "VALUES (?, ?, ?, ?, ?)", (call_id, call.disposition, call.sale_micros,
                                           author, now))
