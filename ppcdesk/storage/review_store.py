"""The call log's SQL: filtered, sorted, keyset-paged blocks, and the review marks.

Every block is one query ordered by ``(sort value, id)`` that starts after (or before) a key,
so block 2,000 costs what block 1 costs. The filters and the usual sorts are served by the
indexes of revision 0003 (``ix_calls_*``); sorts on names, costs or nullable columns are
correct but sort the filtered rows (fine for a workspace, slow on a million calls unfiltered).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection

from ppcdesk.core.model import CallRow

# sort name -> SQL expression (never NULL, so row-value comparisons are total)
SORTS: dict[str, str] = {
    "started": "c.started_at",
    "caller": "c.caller",
    "state": "coalesce(c.caller_state, '')",
    "number": "c.called",
    "campaign": "coalesce((SELECT name FROM campaigns WHERE id = c.campaign_id), '')",
    "publisher": "coalesce((SELECT name FROM publishers WHERE id = c.publisher_id), '')",
    "buyer": "coalesce((SELECT name FROM buyers WHERE id = c.buyer_id), '')",
    "status": "c.status",
    "duration": "c.duration_s",
    "connected": "c.connected_s",
    "answer": "coalesce(c.time_to_answer_s, -1)",
    "cost": "coalesce(c.cost_micros, -1) + coalesce(c.legs_cost_micros, 0)",
    "sid": "c.sid",
}
# Outcome bits (ppcdesk.core.reasons.ReasonFlag) the filters use.
_DUPLICATE, _SHORT = 1 << 3, 1 << 2

Key = tuple[Any, int]  # (sort value, call id)


@dataclass(frozen=True, slots=True)
class CallFilter:
    """Which calls the log shows; None means "either". Times are UTC epoch seconds."""

    start: int | None = None  # started_at >= start
    end: int | None = None  # started_at < end
    statuses: tuple[str, ...] = ()
    campaign_id: int | None = None
    publisher_id: int | None = None
    buyer_id: int | None = None
    number: str | None = None  # the tracking number dialled (E.164)
    state: str | None = None
    has_recording: bool | None = None
    reviewed: bool | None = None
    disputed: bool | None = None
    billable: bool | None = None  # some contract bills it / contracts decided, none bills it
    reason_flags: int = 0  # any of these ReasonFlag bits on an outcome
    duplicate: bool | None = None
    under_buffer: bool | None = None
    search: str = ""  # caller number (digits, a prefix or a part) or call SID (prefix)


@dataclass(frozen=True, slots=True)
class CallSort:
    column: str = "started"
    descending: bool = True


@dataclass(frozen=True, slots=True)
class LogRow:
    """A call log line: the call, and where billing and review stand on it."""

    call: CallRow
    sort_value: Any
    billable: bool | None  # None: no contract decided it yet
    flags: int  # the ReasonFlag bits of every outcome, OR-ed
    reviewed: bool
    disputed: bool
    disposition: str | None  # the latest one
    campaign_id: int | None = None
    publisher_id: int | None = None
    buyer_id: int | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def key(self) -> Key:
        return (self.sort_value, self.call.id)


def where(f: CallFilter) -> tuple[str, list[Any]]:
    """The WHERE clause (over ``calls c``) and its parameters."""
    parts: list[str] = []
    params: list[Any] = []

    def add(sql: str, *values: Any) -> None:
        parts.append(sql)
        params.extend(values)

    if f.start is not None:
        add("c.started_at >= ?", f.start)
    if f.end is not None:
        add("c.started_at < ?", f.end)
    if f.statuses:
        add(f"c.status IN ({','.join('?' * len(f.statuses))})", *f.statuses)
    for column, value in (("campaign_id", f.campaign_id), ("publisher_id", f.publisher_id),
                          ("buyer_id", f.buyer_id), ("called", f.number),
                          ("caller_state", f.state)):
        if value is not None:
            add(f"c.{column} = ?", value)
    _tristate(add, f.has_recording, "EXISTS (SELECT 1 FROM recordings r WHERE r.call_sid = c.sid)")
    _tristate(add, f.reviewed, "EXISTS (SELECT 1 FROM call_reviews v WHERE v.call_id = c.id "
                               "AND v.reviewed_at IS NOT NULL)")
    _tristate(add, f.disputed, "EXISTS (SELECT 1 FROM call_reviews v WHERE v.call_id = c.id "
                               "AND v.disputed)")
    if f.billable is True:
        add("EXISTS (SELECT 1 FROM call_outcomes o WHERE o.call_id = c.id AND o.billable)")
    elif f.billable is False:
        add("EXISTS (SELECT 1 FROM call_outcomes o WHERE o.call_id = c.id) AND NOT EXISTS "
            "(SELECT 1 FROM call_outcomes o WHERE o.call_id = c.id AND o.billable)")
    if f.reason_flags:
        add("EXISTS (SELECT 1 FROM call_outcomes o WHERE o.call_id = c.id AND o.flags & ?)",
            f.reason_flags)
    for wanted, bit in ((f.duplicate, _DUPLICATE), (f.under_buffer, _SHORT)):
        _tristate(add, wanted, f"EXISTS (SELECT 1 FROM call_outcomes o WHERE o.call_id = c.id "
                               f"AND o.flags & {bit})")
    _search(add, f.search.strip())
    return (" AND ".join(parts) or "1"), params


def _tristate(add: Any, wanted: bool | None, exists: str) -> None:
    if wanted is not None:
        add(exists if wanted else f"NOT {exists}")


def _search(add: Any, text: str) -> None:
    """A SID prefix, an E.164 prefix (10+ digits, or a leading +), or digits anywhere."""
    if not text:
        return
    if text[:2].upper() == "CA":
        add("c.sid >= ? AND c.sid < ?", text, text + "\x7f")
        return
    digits = "".join(ch for ch in text if ch.isdigit())
    if not digits:
        add("c.caller = ?", text)  # "anonymous"
    elif text.startswith("+") or len(digits) >= 10:
        prefix = "+" + (digits if text.startswith("+") or len(digits) > 10 else "1" + digits)
        add("c.caller >= ? AND c.caller < ?", prefix, prefix + "\x7f")
    else:
        add("c.caller LIKE ?", f"%{digits}%")


_SELECT = """
SELECT c.id, c.sid, c.started_at, c.caller, c.caller_state, c.called,
       (SELECT name FROM campaigns WHERE id = c.campaign_id),
       (SELECT name FROM publishers WHERE id = c.publisher_id),
       (SELECT name FROM buyers WHERE id = c.buyer_id),
       c.status, c.duration_s, c.connected_s, c.time_to_answer_s,
       c.cost_micros + coalesce(c.legs_cost_micros, 0),
       EXISTS (SELECT 1 FROM recordings r WHERE r.call_sid = c.sid),
       (SELECT max(billable) FROM call_outcomes o WHERE o.call_id = c.id),
       (SELECT group_concat(flags) FROM call_outcomes o WHERE o.call_id = c.id),
       (SELECT reviewed_at IS NOT NULL FROM call_reviews v WHERE v.call_id = c.id),
       (SELECT disputed FROM call_reviews v WHERE v.call_id = c.id),
       (SELECT code FROM dispositions d WHERE d.call_id = c.id
        ORDER BY d.created_at DESC, d.id DESC LIMIT 1),
       c.campaign_id, c.publisher_id, c.buyer_id, {sort}
FROM calls c"""


def _row(r: Any) -> LogRow:
    flags = 0
    for bits in (r[16] or "").split(","):
        flags |= int(bits) if bits else 0
    return LogRow(
        call=CallRow(id=r[0], sid=r[1], started_at=r[2], caller=r[3], caller_state=r[4],
                     tracking_number=r[5], campaign=r[6], publisher=r[7], buyer=r[8],
                     status=r[9], duration_s=r[10], connected_s=r[11], time_to_answer_s=r[12],
                     cost_micros=r[13], has_recording=bool(r[14])),
        billable=None if r[15] is None else bool(r[15]), flags=flags, reviewed=bool(r[17]),
        disputed=bool(r[18]), disposition=r[19], campaign_id=r[20], publisher_id=r[21],
        buyer_id=r[22], sort_value=r[23])


def block(conn: Connection, f: CallFilter, sort: CallSort, *, after: Key | None = None,
          before: Key | None = None, limit: int = 500, from_end: bool = False,
          offset: int = 0) -> list[LogRow]:
    """Up to ``limit`` rows in the log's order: after ``after``, or just before ``before``,
    or the last ``limit`` (``from_end``), or from ``offset`` (a scrollbar dropped mid-log)."""
    expr = SORTS[sort.column]
    clause, params = where(f)
    # Reading backwards (before a key, or the end) flips the order, then the block is reversed.
    backwards = before is not None or from_end
    descending = sort.descending != backwards
    if after is not None or before is not None:
        key = after if after is not None else before
        assert key is not None  # noqa: S101 - one of the two, checked above
        clause += f" AND ({expr}, c.id) {'<' if descending else '>'} (?, ?)"
        params += [key[0], key[1]]
    direction = "DESC" if descending else "ASC"
    sql = (_SELECT.format(sort=expr) + f" WHERE {clause} ORDER BY {expr} {direction}, "
           f"c.id {direction} LIMIT ? OFFSET ?")
    rows = [_row(r) for r in conn.exec_driver_sql(sql, (*params, limit, offset))]
    return rows[::-1] if backwards else rows


def count(conn: Connection, f: CallFilter) -> int:
    clause, params = where(f)
    return int(conn.exec_driver_sql(f"SELECT count(*) FROM calls c WHERE {clause}",
                                    tuple(params)).scalar_one())


def key_at(conn: Connection, f: CallFilter, sort: CallSort, offset: int) -> Key | None:
    """The key of row ``offset`` (0-based): one index walk, no row data read."""
    expr = SORTS[sort.column]
    clause, params = where(f)
    direction = "DESC" if sort.descending else "ASC"
    row = conn.exec_driver_sql(
        f"SELECT {expr}, c.id FROM calls c WHERE {clause} ORDER BY {expr} {direction}, "
        f"c.id {direction} LIMIT 1 OFFSET ?", (*params, offset)).first()
    return None if row is None else (row[0], row[1])


def iterate(conn: Connection, f: CallFilter, sort: CallSort,
            size: int = 2000) -> Iterator[LogRow]:
    """Every row of the filter in order, a block at a time (exports)."""
    after: Key | None = None
    while True:
        rows = block(conn, f, sort, after=after, limit=size)
        yield from rows
        if len(rows) < size:
            return
        after = rows[-1].key


# ---------------------------------------------------------------- review marks
def add_disposition(conn: Connection, call_id: int, code: str, sale_micros: int | None,
                    author: str, now: int) -> None:
    conn.exec_driver_sql(
        "INSERT INTO dispositions (call_id, code, sale_micros, author, created_at) "
        "VALUES (?, ?, ?, ?, ?)", (call_id, code, sale_micros, author, now))
    mark(conn, call_id, now, reviewed_by=author)


def add_note(conn: Connection, call_id: int, body: str, author: str, now: int) -> None:
    conn.exec_driver_sql("INSERT INTO call_notes (call_id, body, author, created_at) "
                         "VALUES (?, ?, ?, ?)", (call_id, body, author, now))


def mark(conn: Connection, call_id: int, now: int, *, reviewed_by: str | None = None,
         disputed: bool | None = None, dispute_reason: str | None = None,
         unreview: bool = False) -> None:
    """Set the review marks given (the others stay as they are)."""
    conn.exec_driver_sql(
        "INSERT INTO call_reviews (call_id, reviewed_at, reviewed_by, disputed, "
        "dispute_reason, updated_at) VALUES (?, NULL, '', 0, '', ?) "
        "ON CONFLICT (call_id) DO NOTHING", (call_id, now))
    if reviewed_by is not None:
        conn.exec_driver_sql("UPDATE call_reviews SET reviewed_at = ?, reviewed_by = ?, "
                             "updated_at = ? WHERE call_id = ?", (now, reviewed_by, now, call_id))
    if unreview:
        conn.exec_driver_sql("UPDATE call_reviews SET reviewed_at = NULL, reviewed_by = '', "
                             "updated_at = ? WHERE call_id = ?", (now, call_id))
    if disputed is not None:
        conn.exec_driver_sql("UPDATE call_reviews SET disputed = ?, dispute_reason = ?, "
                             "updated_at = ? WHERE call_id = ?",
                             (int(disputed), dispute_reason or "" if disputed else "", now,
                              call_id))


def call_id_of(conn: Connection, sid: str) -> int | None:
    row = conn.exec_driver_sql("SELECT id FROM calls WHERE sid = ?", (sid,)).first()
    return None if row is None else int(row[0])


def reasons_json(text: str) -> list[dict[str, str]]:
    """An outcome's reasons column as a list of {code, text} (tolerates plain codes)."""
    try:
        raw = json.loads(text or "[]")
    except ValueError:
        return [{"code": "unreadable", "text": text}]
    items = raw if isinstance(raw, list) else [raw]
    return [item if isinstance(item, dict) else {"code": str(item), "text": str(item)}
            for item in items]
