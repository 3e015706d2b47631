"""The call log's SQL: filtered, sorted, keyset-paged blocks, and the review marks.

Every block starts after (or before) a key, so block 2,000 costs what block 1 costs; the
filters are served by the indexes of revision 0003 (``ix_calls_*``), the sorts by review_log's
segments. Only the cost sort (a sum of two columns) sorts the filtered rows.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection

from ppcdesk.core.model import CallRow
from ppcdesk.storage import review_log
from ppcdesk.storage.review_log import Key

# The sorts the log offers (each served by an index: see review_log).
SORTS: frozenset[str] = review_log.SORT_NAMES
# Outcome bits (ppcdesk.core.reasons.ReasonFlag) the filters use.
_DUPLICATE, _SHORT = 1 << 3, 1 << 2



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


def where(f: CallFilter, dialect: str = "sqlite") -> tuple[str, list[Any]]:
    """The WHERE clause (over ``calls c``) and its parameters, for ``dialect``'s engine."""
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
                               "AND v.disputed = 1)")
    if f.billable is True:
        add("EXISTS (SELECT 1 FROM call_outcomes o WHERE o.call_id = c.id AND o.billable = 1)")
    elif f.billable is False:
        add("EXISTS (SELECT 1 FROM call_outcomes o WHERE o.call_id = c.id) AND NOT EXISTS "
            "(SELECT 1 FROM call_outcomes o WHERE o.call_id = c.id AND o.billable = 1)")
    if f.reason_flags:
        add("EXISTS (SELECT 1 FROM call_outcomes o WHERE o.call_id = c.id "
            "AND (o.flags & ?) <> 0)",
            f.reason_flags)
    for wanted, bit in ((f.duplicate, _DUPLICATE), (f.under_buffer, _SHORT)):
        _tristate(add, wanted, f"EXISTS (SELECT 1 FROM call_outcomes o WHERE o.call_id = c.id "
                               f"AND (o.flags & {bit}) <> 0)")
    _search(add, f.search.strip(), prefix_range=dialect == "sqlite")
    # "1 = 1", not "1": PostgreSQL wants a boolean after WHERE.
    return (" AND ".join(parts) or "1 = 1"), params


def _tristate(add: Any, wanted: bool | None, exists: str) -> None:
    if wanted is not None:
        add(exists if wanted else f"NOT {exists}")


def _search(add: Any, text: str, *, prefix_range: bool) -> None:
    """A SID prefix, an E.164 prefix (10+ digits, or a leading +), or digits anywhere.

    SQLite reads a prefix as a range (``x >= 'p' AND x < 'p\x7f'``: its LIKE ignores case and
    so skips the index). PostgreSQL gets ``LIKE 'p%'``: a range is only right in byte order,
    and a server's collation (en_US) ignores the leading "+" of every caller; in the C
    collation the planner turns the LIKE into the same index range.
    """
    if not text:
        return

    def prefix(column: str, value: str) -> None:
        if prefix_range:
            add(f"{column} >= ? AND {column} < ?", value, value + "\x7f")
        else:
            add(f"{column} LIKE ?", value + "%")

    if text[:2].upper() == "CA":
        prefix("c.sid", text)
        return
    digits = "".join(ch for ch in text if ch.isdigit())
    if not digits:
        add("c.caller = ?", text)  # "anonymous"
    elif text.startswith("+") or len(digits) >= 10:
        number = "+" + (digits if text.startswith("+") or len(digits) > 10 else "1" + digits)
        prefix("c.caller", number)
    else:
        add("c.caller LIKE ?", f"%{digits}%")


def block(conn: Connection, f: CallFilter, sort: CallSort, *, after: Key | None = None,
          before: Key | None = None, limit: int = 500, from_end: bool = False) -> list[LogRow]:
    """Up to ``limit`` rows in the log's order: after ``after``, or just before ``before``,
    or the last ``limit`` (``from_end``), or the first ``limit``."""
    clause, params = where(f, conn.dialect.name)
    # Reading backwards (before a key, or the end) flips the order, then the block is reversed.
    backwards = before is not None or from_end
    keys = review_log.block_keys(conn, clause, params, sort.column,
                                 sort.descending != backwards,
                                 after=before if backwards else after, limit=limit)
    if backwards:
        keys.reverse()
    found = review_log.rows_of(conn, [k[1] for k in keys])
    rows = []
    for value, call_id in keys:
        call, extras, (campaign_id, publisher_id, buyer_id) = found[call_id]
        rows.append(LogRow(call=call, sort_value=value, billable=extras.billable,
                           flags=extras.flags, reviewed=extras.reviewed,
                           disputed=extras.disputed, disposition=extras.disposition,
                           campaign_id=campaign_id, publisher_id=publisher_id,
                           buyer_id=buyer_id))
    return rows


def count(conn: Connection, f: CallFilter, *, since: int | None = None,
          until: int | None = None) -> int:
    """How many calls match (those started in ``[since, until)`` when given: a slice)."""
    clause, params = where(f, conn.dialect.name)
    for bound, op in ((since, ">="), (until, "<")):
        if bound is not None:
            clause += f" AND c.started_at {op} ?"
            params.append(bound)
    return int(conn.exec_driver_sql(f"SELECT count(*) FROM calls c WHERE {clause}",
                                    tuple(params)).scalar_one())


def started_span(conn: Connection, f: CallFilter) -> tuple[int, int] | None:
    """The first and last start time a filter can match (two index probes), or None."""
    # Two statements: SQLite reads min() or max() alone off the index, but not both at once.
    low = conn.exec_driver_sql("SELECT min(started_at) FROM calls").scalar()
    high = conn.exec_driver_sql("SELECT max(started_at) FROM calls").scalar()
    if low is None or high is None:
        return None
    low = max(low, f.start) if f.start is not None else low
    high = min(high, f.end - 1) if f.end is not None else high
    return (low, high) if low <= high else None


def key_at(conn: Connection, f: CallFilter, sort: CallSort, offset: int) -> Key | None:
    """The key of row ``offset`` (0-based), walking the indexes alone."""
    clause, params = where(f, conn.dialect.name)
    return review_log.key_at(conn, clause, params, sort.column, sort.descending, offset)


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


def started_at_of(conn: Connection, call_id: int) -> int | None:
    """When the call started (UTC epoch), or None if there is no such call."""
    value = conn.exec_driver_sql("SELECT started_at FROM calls WHERE id = ?",
                                 (call_id,)).scalar()
    return None if value is None else int(value)
