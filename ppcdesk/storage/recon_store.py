"""Reconciliation's SQL: presets, imported partner lines, our side of a period, pairings.

Our side is fetched for the partner's callers only (``json_each`` over the callers of their
lines, then the ``(caller, started_at)`` index), so a 100,000-line report against a million
calls reads the calls that could match, not the whole year.

On PostgreSQL (issue 9) the same reads take the lines' probes as arrays (``unnest``, ``= ANY``)
and plain joins: SQLite's ``CROSS JOIN ... ON`` (its way to fix the join order) is not
PostgreSQL syntax, and PostgreSQL's planner needs no such hint. The bulk reads go through the
driver's cursor on both (``Cursorish`` on PostgreSQL); the bulk writes (a report's lines, the
pairings) go in with ``COPY`` there, where a round trip per row is what costs.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from operator import itemgetter
from typing import Any

from sqlalchemy import Connection

from ppcdesk.core.errors import PpcdeskError
from ppcdesk.storage import dialect

Row = tuple[Any, ...]
_ROW_COLUMNS = ("import_id", "line", "started_at", "caller", "duration_s", "amount_micros",
                "verdict", "partner_call_id", "status", "campaign")


class UnknownPartnerError(PpcdeskError):
    """No buyer or publisher has this name."""


@dataclass(frozen=True, slots=True)
class Party:
    """A partner: a buyer (their contracts bring revenue) or a publisher (we pay them)."""

    kind: str  # buyer | publisher
    id: int
    name: str


def _fixed_join(conn: Connection) -> str:
    """SQLite's CROSS JOIN keeps the tables in the order written; PostgreSQL plans its own."""
    return "CROSS JOIN" if dialect.is_sqlite(conn) else "JOIN"


# ---------------------------------------------------------------- partners and presets
def party(conn: Connection, name: str) -> Party:
    for kind, table in (("buyer", "buyers"), ("publisher", "publishers")):
        found = conn.exec_driver_sql(f"SELECT id, name FROM {table} WHERE lower(name) = "
                                     "lower(?)", (name.strip(),)).first()
        if found is not None:
            return Party(kind, int(found[0]), str(found[1]))
    names = [r[0] for r in conn.exec_driver_sql(
        "SELECT name FROM buyers UNION SELECT name FROM publishers ORDER BY 1")]
    raise UnknownPartnerError(f"no buyer or publisher named {name!r} (there are: "
                              f"{', '.join(names) or 'none yet'})")


def presets(conn: Connection) -> list[str]:
    """Every stored preset, as its JSON text."""
    return [r[0] for r in conn.exec_driver_sql("SELECT body FROM recon_presets ORDER BY name")]


def save_preset(conn: Connection, name: str, partner: str, body: str, now: int) -> None:
    conn.exec_driver_sql(
        "INSERT INTO recon_presets (name, partner, body, updated_at) VALUES (?, ?, ?, ?) "
        "ON CONFLICT (name) DO UPDATE SET partner = excluded.partner, body = excluded.body, "
        "updated_at = excluded.updated_at", (name, partner, body, now))


def delete_preset(conn: Connection, name: str) -> bool:
    return conn.exec_driver_sql("DELETE FROM recon_presets WHERE name = ?",
                                (name,)).rowcount > 0


# ---------------------------------------------------------------- imports
def import_with_hash(conn: Connection, sha256: str, partner: str) -> tuple[int, int] | None:
    """``(id, created_at)`` of a finished import of the same file for the same partner."""
    found = conn.exec_driver_sql(
        "SELECT id, created_at FROM imports WHERE sha256 = ? AND partner = ? AND status = "
        "'done' AND kind = 'partner_report'", (sha256, partner)).first()
    return None if found is None else (int(found[0]), int(found[1]))


def insert_import(conn: Connection, *, file_name: str, sha256: str, partner: str,
                  preset: str, total: int, ok: int, failed: int, now: int) -> int:
    return int(conn.exec_driver_sql(
        "INSERT INTO imports (kind, file_name, sha256, partner, preset, rows_total, rows_ok, "
        "rows_failed, status, created_at) VALUES ('partner_report', ?, ?, ?, ?, ?, ?, ?, "
        "'done', ?) RETURNING id",
        (file_name, sha256, partner, preset, total, ok, failed, now)).scalar_one())


def insert_rows(conn: Connection, import_id: int, rows: Iterable[Row]) -> None:
    """Store checked lines, each ``(line, started_at, caller, duration_s, amount_micros,
    verdict, call_id, status, campaign)`` (a ``PartnerRow``)."""
    stored = ((import_id, *r[:9]) for r in rows)
    if not dialect.is_sqlite(conn):  # COPY: ~10x an executemany of 100,000 INSERTs there
        with _pg_raw(conn).cursor() as cursor, cursor.copy(
                f"COPY partner_rows ({', '.join(_ROW_COLUMNS)}) FROM STDIN") as copy:
            for row in stored:
                copy.write_row(row)
        return
    sql = (f"INSERT INTO partner_rows ({', '.join(_ROW_COLUMNS)}) VALUES "
           f"({', '.join('?' * len(_ROW_COLUMNS))})")
    dialect.driver(conn).executemany(sql, stored)


def _pg_raw(conn: Connection) -> Any:
    """The psycopg connection under ``conn`` (its COPY), in the same transaction."""
    return conn.connection.dbapi_connection


def undo_import(conn: Connection, import_id: int) -> int:
    """Forget an import's lines (its record stays, marked undone); return lines removed."""
    removed = conn.exec_driver_sql("DELETE FROM partner_rows WHERE import_id = ?",
                                   (import_id,)).rowcount
    conn.exec_driver_sql("UPDATE imports SET status = 'undone' WHERE id = ?", (import_id,))
    return int(removed)


def partner_rows(conn: Connection, partner: str, start: int, end: int) -> list[
        tuple[int, Row]]:
    """``(row id, PartnerRow fields)`` of the live imports of ``partner``, in [start, end)."""
    cursor = dialect.driver(conn).execute(
        "SELECT r.id, r.line, r.started_at, r.caller, r.duration_s, r.amount_micros, "
        "r.verdict, r.partner_call_id, r.status, r.campaign FROM partner_rows r "
        "JOIN imports i ON i.id = r.import_id WHERE i.status = 'done' AND lower(i.partner) = "
        "lower(?) AND r.started_at >= ? AND r.started_at < ? ORDER BY r.import_id, r.line",
        (partner, start, end))
    return [(int(r[0]), tuple(r[1:])) for r in cursor]


# ---------------------------------------------------------------- our side
def local_calls(conn: Connection, probes: Iterable[tuple[str, int]], ids: Iterable[str],
                reach: int) -> list[Row]:
    """Our calls within ``reach`` seconds of each ``(caller, started_at)`` probe, and those
    known by one of ``ids``, as ``LocalCall`` fields; a call found by id lists the id (its
    SID or a forwarded leg's)."""
    found: dict[int, Row] = {}
    # The driver's cursor: SQLAlchemy's row objects cost ~15 us a row, a million is seconds.
    raw = dialect.driver(conn)
    cursor, by_id = (_local_postgresql(raw, probes, ids, reach)
                     if isinstance(raw, dialect.Cursorish)
                     else _local_sqlite(raw, probes, ids, reach))
    for cid, at, caller, duration, connected, sid in cursor:
        found[cid] = (cid, at, caller, duration, connected, (sid,))
    for cid, at, caller, duration, connected, sid, known in by_id:
        before = found.get(cid)
        names: tuple[str, ...] = before[5] if before is not None else (sid,)
        found[cid] = (cid, at, caller, duration, connected,
                      names + ((known,) if known not in names else ()))
    return sorted(found.values(), key=itemgetter(1, 0))


_BY_ID = (
    "SELECT c.id, c.started_at, c.caller, c.duration_s, c.connected_s, c.sid, c.sid "
    "FROM calls c WHERE c.sid {in_ids} UNION ALL "
    "SELECT c.id, c.started_at, c.caller, c.duration_s, c.connected_s, c.sid, l.sid "
    "FROM call_legs l JOIN calls c ON c.sid = l.call_sid WHERE l.sid {in_ids}")


def _local_sqlite(raw: Any, probes: Iterable[tuple[str, int]], ids: Iterable[str],
                  reach: int) -> tuple[Iterable[Row], Iterable[Row]]:
    # One seek per probe into ix_calls_caller_started (CROSS JOIN keeps the probes outside):
    # only the calls near their lines, not every call of every caller in the period.
    near = raw.execute(
        "SELECT c.id, c.started_at, c.caller, c.duration_s, c.connected_s, c.sid "
        "FROM json_each(?1) AS j CROSS JOIN calls AS c "
        "ON c.caller = json_extract(j.value, '$[0]') AND c.started_at BETWEEN "
        "json_extract(j.value, '$[1]') - ?2 AND json_extract(j.value, '$[1]') + ?2",
        (json.dumps(list(set(probes))), reach))  # sorting them first buys SQLite nothing
    by_id = raw.execute(_BY_ID.format(in_ids="IN (SELECT value FROM json_each(?1))"),
                        (json.dumps(sorted(set(ids))),))
    return near, by_id


def _local_postgresql(raw: dialect.Cursorish, probes: Iterable[tuple[str, int]],
                      ids: Iterable[str], reach: int) -> tuple[Iterable[Row], Iterable[Row]]:
    # The probes as two arrays side by side (unnest keeps them paired): the planner picks a
    # seek per probe into ix_calls_caller_started or one hash join, whichever is cheaper.
    pairs = set(probes)
    near = raw.execute(
        "SELECT c.id, c.started_at, c.caller, c.duration_s, c.connected_s, c.sid "
        "FROM unnest(CAST(? AS text[]), CAST(? AS bigint[])) AS j (caller, at) "
        "JOIN calls AS c ON c.caller = j.caller AND c.started_at BETWEEN j.at - ? "
        "AND j.at + ?", ([p[0] for p in pairs], [p[1] for p in pairs], reach, reach)).fetchall()
    wanted = sorted(set(ids))
    by_id = raw.execute(_BY_ID.format(in_ids="= ANY(CAST(? AS text[]))"),
                        (wanted, wanted)).fetchall()
    return near, by_id


def outcomes(conn: Connection, who: Party, start: int, end: int) -> list[Row]:
    """``(call id, sid, caller, started_at, qualified, amount, flags)`` of each outcome of a
    contract with ``who`` for a call in [start, end); amount is 0 when not qualified.

    CROSS JOIN keeps the partner's contracts as the outer loop: left to itself, SQLite walks
    every call of the period by start time (a million) and probes each for an outcome.
    """
    amount, decided = (("revenue_micros", "billable") if who.kind == "buyer"
                       else ("payout_micros", "payable"))
    join = _fixed_join(conn)
    return dialect.driver(conn).execute(
        f"SELECT c.id, c.sid, c.caller, c.started_at, o.{decided}, "
        f"CASE WHEN o.{decided} = 1 THEN o.{amount} ELSE 0 END, o.flags "
        f"FROM contracts k {join} call_outcomes o ON o.contract_id = k.id "
        f"{join} calls c ON c.id = o.call_id "
        f"WHERE k.counterparty_kind = ? AND k.{who.kind}_id = ? "
        "AND c.started_at >= ? AND c.started_at < ?", (who.kind, who.id, start, end)).fetchall()


# ---------------------------------------------------------------- pairings
def replace_matches(conn: Connection, row_ids: Sequence[int],
                    matches: Iterable[tuple[int, int | None, str, int, int, str]],
                    now: int) -> None:
    """Forget what earlier reconciles made of these lines; store ``(row id, call id, kind,
    time diff, shift, evidence)`` for each."""
    stored = [(*m, now) for m in matches]
    gone = sorted(set(row_ids).difference(m[0] for m in stored))
    if not dialect.is_sqlite(conn):
        _pg_replace_matches(_pg_raw(conn), stored, gone)
        return
    raw = dialect.driver(conn)
    # One upsert per line (a line has at most one match): no delete-then-insert of 100,000.
    raw.executemany(_UPSERT_MATCHES.format(values="VALUES (?, ?, ?, ?, ?, ?, ?)"), stored)
    raw.executemany("DELETE FROM recon_matches WHERE partner_row_id = ?", ((i,) for i in gone))


def _pg_replace_matches(raw: Any, stored: list[tuple[Any, ...]], gone: list[int]) -> None:
    # COPY into a scratch table, then one upsert from it: a round trip per line (executemany)
    # cost ~5x more, the columns sent as arrays to unnest ~1.5x (measured on 30,000 lines).
    columns = _UPSERT_COLUMNS
    with raw.cursor() as cursor:
        cursor.execute(f"CREATE TEMP TABLE recon_new_matches AS SELECT {columns} "
                       "FROM recon_matches WITH NO DATA")
        with cursor.copy(f"COPY recon_new_matches ({columns}) FROM STDIN") as copy:
            for row in stored:
                copy.write_row(row)
        cursor.execute(_UPSERT_MATCHES.format(
            values=f"SELECT {columns} FROM recon_new_matches"))
        cursor.execute("DROP TABLE recon_new_matches")
        cursor.execute("DELETE FROM recon_matches WHERE partner_row_id = ANY(%s)", (gone,))


_UPSERT_COLUMNS = ("partner_row_id, call_id, kind, time_diff_s, shift_s, evidence, "
                   "matched_at")
_UPSERT_MATCHES = (
    "INSERT INTO recon_matches (" + _UPSERT_COLUMNS + ") {values} ON CONFLICT (partner_row_id) "
    "DO UPDATE SET call_id = excluded.call_id, kind = excluded.kind, time_diff_s = "
    "excluded.time_diff_s, shift_s = excluded.shift_s, evidence = excluded.evidence, "
    "matched_at = excluded.matched_at")


# ---------------------------------------------------------------- disputes
_DISPUTE_SELECT = (
    "SELECT d.id, d.call_id, c.sid, coalesce(b.name, p.name, ''), d.status, d.reason, "
    "d.claimed_micros, d.recovered_micros, d.deadline, d.opened_at FROM disputes d "
    "LEFT JOIN calls c ON c.id = d.call_id LEFT JOIN buyers b ON b.id = d.buyer_id "
    "LEFT JOIN publishers p ON p.id = d.publisher_id")


def insert_dispute(conn: Connection, who: Party, *, call_id: int | None, import_id: int | None,
                   reason: str, claimed: int, deadline: str | None, now: int) -> int:
    return int(conn.exec_driver_sql(
        "INSERT INTO disputes (call_id, partner_kind, buyer_id, publisher_id, import_id, "
        "status, reason, claimed_micros, recovered_micros, deadline, opened_at, updated_at) "
        "VALUES (?, ?, ?, ?, ?, 'open', ?, ?, 0, ?, ?, ?) RETURNING id",
        (call_id, who.kind, who.id if who.kind == "buyer" else None,
         who.id if who.kind == "publisher" else None, import_id, reason, claimed, deadline,
         now, now)).scalar_one())


def update_dispute(conn: Connection, dispute_id: int, status: str, recovered: int,
                   now: int) -> None:
    conn.exec_driver_sql("UPDATE disputes SET status = ?, recovered_micros = ?, updated_at = ? "
                         "WHERE id = ?", (status, recovered, now, dispute_id))


def disputes(conn: Connection, dispute_id: int | None = None) -> list[Row]:
    """Disputes (all, or one) as ``DisputeLine`` fields, newest first."""
    where = " WHERE d.id = ?" if dispute_id is not None else ""
    params = (dispute_id,) if dispute_id is not None else ()
    return [tuple(r) for r in conn.exec_driver_sql(
        _DISPUTE_SELECT + where + " ORDER BY d.opened_at DESC, d.id DESC", params)]


def call_start(conn: Connection, call_id: int) -> int | None:
    found = conn.exec_driver_sql("SELECT started_at FROM calls WHERE id = ?",
                                 (call_id,)).scalar()
    return None if found is None else int(found)


def call_by_sid(conn: Connection, sid: str) -> int | None:
    found = conn.exec_driver_sql(
        "SELECT id FROM calls WHERE sid = ? UNION ALL SELECT c.id FROM call_legs l "
        "JOIN calls c ON c.sid = l.call_sid WHERE l.sid = ? LIMIT 1", (sid, sid)).scalar()
    return None if found is None else int(found)


# ---------------------------------------------------------------- statements
def statement_rows(conn: Connection, who: Party, start: int, end: int) -> list[Row]:
    """``(sid, started_at, caller, campaign, duration, connected, amount)`` of each call in
    [start, end) that a contract with ``who`` billed (buyer) or pays (publisher)."""
    amount, decided = (("revenue_micros", "billable") if who.kind == "buyer"
                       else ("payout_micros", "payable"))
    join = _fixed_join(conn)
    # Grouped by the campaign's name too: PostgreSQL takes calls' columns as given by c.id
    # (its key) but not a joined table's. SUM of BIGINT is NUMERIC there: cast back.
    return dialect.driver(conn).execute(
        f"SELECT c.sid, c.started_at, c.caller, cp.name, c.duration_s, c.connected_s, "
        f"CAST(SUM(o.{amount}) AS BIGINT) FROM contracts k {join} call_outcomes o "
        f"ON o.contract_id = k.id {join} calls c ON c.id = o.call_id "
        "LEFT JOIN campaigns cp ON cp.id = c.campaign_id "
        f"WHERE k.counterparty_kind = ? AND k.{who.kind}_id = ? AND o.{decided} = 1 "
        "AND c.started_at >= ? AND c.started_at < ? GROUP BY c.id, cp.name "
        "ORDER BY c.started_at, c.id",
        (who.kind, who.id, start, end)).fetchall()


# ---------------------------------------------------------------- evidence
def evidence_rows(conn: Connection, call_id: int) -> dict[str, list[Row]]:
    """What an evidence packet shows about one call, as rows per part."""
    raw = dialect.driver(conn)
    return {
        "call": raw.execute(
            "SELECT c.sid, c.caller, c.called, c.status, c.started_at, c.ended_at, "
            "c.duration_s, c.connected_s, b.name FROM calls c LEFT JOIN buyers b "
            "ON b.id = c.buyer_id WHERE c.id = ?", (call_id,)).fetchall(),
        "legs": raw.execute(
            "SELECT l.sid, l.to_number, l.status, l.started_at, l.ended_at, l.duration_s "
            "FROM call_legs l JOIN calls c ON c.sid = l.call_sid WHERE c.id = ? "
            "ORDER BY l.started_at, l.sid", (call_id,)).fetchall(),
        "decisions": raw.execute(
            "SELECT k.name, v.version, v.terms, CASE k.counterparty_kind WHEN 'buyer' "
            "THEN o.billable ELSE o.payable END, CASE k.counterparty_kind WHEN 'buyer' "
            "THEN o.revenue_micros ELSE o.payout_micros END, o.reasons "
            "FROM call_outcomes o JOIN contracts k ON k.id = o.contract_id "
            "JOIN contract_versions v ON v.id = o.contract_version_id WHERE o.call_id = ? "
            "ORDER BY k.name", (call_id,)).fetchall(),
        "their_lines": raw.execute(
            "SELECT i.file_name, r.line, r.started_at, r.caller, r.duration_s, "
            "r.amount_micros, r.status, m.evidence FROM recon_matches m "
            "JOIN partner_rows r ON r.id = m.partner_row_id JOIN imports i "
            "ON i.id = r.import_id WHERE m.call_id = ? ORDER BY i.id, r.line",
            (call_id,)).fetchall(),
        "recording": raw.execute(
            "SELECT r.sid, r.file_state, r.local_path FROM recordings r JOIN calls c "
            "ON c.sid = r.call_sid WHERE c.id = ? ORDER BY r.started_at LIMIT 1",
            (call_id,)).fetchall(),
    }
