"""All billing SQL: call facts and priors for the engine, outcomes, contracts, adjustments.

The evaluation reads up to a million calls at once, so facts come from a plain sqlite3 cursor
as tuples, with campaign, publisher and buyer ids mapped to names through dicts (an ORM row
costs ~20x more). Outcomes go back as multi-row upserts (as ``ingest`` does for calls) whose
``WHERE`` skips rows that did not change, so re-evaluating a year that did not move writes
nothing. Everything here runs in the caller's transaction.
"""

from __future__ import annotations

import itertools
import sqlite3
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, TypeVar

from sqlalchemy import Connection

from ppcdesk.core.model import CallStatus
from ppcdesk.core.reasons import ReasonFlag
from ppcdesk.storage import ingest

UNSETTLED = frozenset(s.value for s in CallStatus if not s.final)
MANUAL = int(ReasonFlag.MANUAL)
CHUNK = 500  # ids per IN (...) list
T = TypeVar("T")

_FACT_COLUMNS = (
    "c.id, c.sid, c.started_at, c.duration_s, c.connected_s, CASE WHEN c.buyer_id IS NOT "
    "NULL THEN c.started_at + COALESCE(c.time_to_answer_s, 0) END, c.caller, c.caller_state, "
    "c.campaign_id, c.publisher_id, c.buyer_id, c.status")
_FACTS_SQL = (f"SELECT {_FACT_COLUMNS} FROM calls AS c WHERE c.started_at >= ? "
              "AND c.started_at < ? ORDER BY c.started_at, c.id")

OUTCOME_COLUMNS = (
    "call_id", "contract_id", "contract_version_id", "billable", "payable", "revenue_micros",
    "payout_micros", "reasons", "flags", "duplicate_of_call_id", "evaluated_at")


def driver(conn: Connection) -> sqlite3.Connection:
    """The sqlite3 connection under ``conn`` (billing reads and writes tuples on it)."""
    raw: object = conn.connection.dbapi_connection
    if not isinstance(raw, sqlite3.Connection):
        raise TypeError(f"billing needs the sqlite3 driver, not {type(raw).__name__}")
    return raw


# ---------------------------------------------------------------- names and facts
@dataclass(frozen=True, slots=True)
class Names:
    """Ids to names (and back) of the campaigns, publishers and buyers."""

    campaigns: dict[int, str]
    publishers: dict[int, str]
    buyers: dict[int, str]

    def id_of(self, kind: str, name: str | None) -> int | None:
        table = {"campaign": self.campaigns, "publisher": self.publishers,
                 "buyer": self.buyers}[kind]
        return next((i for i, n in table.items() if n == name), None)


def names(conn: Connection) -> Names:
    def pairs(table: str) -> dict[int, str]:
        return {int(i): str(n) for i, n in conn.exec_driver_sql(f"SELECT id, name FROM {table}")}

    return Names(pairs("campaigns"), pairs("publishers"), pairs("buyers"))


def load_facts(conn: Connection, start: int, end: int, known: Names,
               make: Callable[..., T]) -> list[T]:
    """Every call started in ``[start, end)``, in call order (start time, then id).

    ``make`` builds one record from the billing engine's fields (``CallFacts``: storage sits
    below billing and does not import it): id, sid, started_at, duration_s, connected_s,
    answered_at, caller, caller_state, campaign, publisher, buyer, final.
    """
    campaigns, publishers, buyers = known.campaigns, known.publishers, known.buyers
    cursor = driver(conn).execute(_FACTS_SQL, (start, end))
    unsettled = UNSETTLED
    try:
        return [make(i, sid, at, dur, con, ans, caller, state, campaigns.get(cid),
                          publishers.get(pid), buyers.get(bid), status not in unsettled)
                for i, sid, at, dur, con, ans, caller, state, cid, pid, bid, status in cursor]
    finally:
        cursor.close()


def call_by_sid(conn: Connection, sid: str, known: Names, make: Callable[..., T]) -> T | None:
    row = conn.exec_driver_sql("SELECT started_at FROM calls WHERE sid = ?", (sid,)).first()
    if row is None:
        return None
    at = int(row[0])
    found = [f for f, s in zip(load_facts(conn, at, at + 1, known, make), _sids(conn, at),
                               strict=True) if s == sid]
    return found[0] if found else None


def _sids(conn: Connection, at: int) -> list[str]:
    return [str(r[0]) for r in conn.exec_driver_sql(
        "SELECT sid FROM calls WHERE started_at = ? ORDER BY started_at, id", (at,))]


def load_history(conn: Connection, lookback: int, start: int, end: int, ids: Iterable[int],
                 known: Names, make: Callable[..., T]) -> list[T]:
    """The calls in ``[lookback, start)`` that can matter to calls in ``[start, end)``.

    Those of the same callers (a duplicate repeats its own caller), found through the caller
    index, and the calls named in ``ids`` (the ones a contract qualified, which its caps
    count); in call order.
    """
    rows = driver(conn).execute(
        f"SELECT {_FACT_COLUMNS} FROM (SELECT DISTINCT caller FROM calls "
        "WHERE started_at >= ? AND started_at < ?) AS r CROSS JOIN calls AS c "
        "ON c.caller = r.caller AND c.started_at >= ? AND c.started_at < ?",
        (start, end, lookback, start)).fetchall()
    have = {row[0] for row in rows}
    wanted = sorted(set(ids) - have)
    for part in _chunks(wanted):
        rows += driver(conn).execute(
            f"SELECT {_FACT_COLUMNS} FROM calls AS c WHERE c.id IN "
            f"({', '.join('?' * len(part))})", tuple(part)).fetchall()
    rows.sort(key=lambda r: (r[2], r[0]))
    campaigns, publishers, buyers = known.campaigns, known.publishers, known.buyers
    return [make(i, sid, at, dur, con, ans, caller, state, campaigns.get(cid),
                 publishers.get(pid), buyers.get(bid), status not in UNSETTLED)
            for i, sid, at, dur, con, ans, caller, state, cid, pid, bid, status in rows]


def data_span(conn: Connection) -> tuple[int, int] | None:
    """The first call's start and one second past the last one's; None without calls."""
    # Two subqueries: MIN and MAX together in one SELECT make SQLite scan every call.
    lo, hi = conn.exec_driver_sql("SELECT (SELECT MIN(started_at) FROM calls), "
                                  "(SELECT MAX(started_at) FROM calls)").one()
    return None if lo is None else (int(lo), int(hi) + 1)


def calls_seen_at(conn: Connection) -> int:
    """The newest ``calls.updated_at``: what an evaluation has seen."""
    return int(conn.exec_driver_sql("SELECT COALESCE(MAX(updated_at), 0) FROM calls").scalar_one())


def first_changed_call(conn: Connection, since: int) -> int | None:
    """The earliest start among calls written after ``since`` (``updated_at > since``)."""
    # Through the updated_at index: left alone, the planner may walk the start-time index in
    # order for MIN() and read every call when none changed.
    value = conn.exec_driver_sql(
        "SELECT MIN(started_at) FROM calls INDEXED BY ix_calls_updated_at WHERE updated_at > ?",
        (since,)).scalar_one()
    return None if value is None else int(value)


# ---------------------------------------------------------------- outcomes
def verdicts(conn: Connection, contract_id: int, start: int, end: int) -> dict[int, bool]:
    """The engine's own verdict (qualified, adjustments aside) per call in ``[start, end)``."""
    # Calls by start time first, then each one's outcome by its unique (call, contract) key.
    rows = driver(conn).execute(
        "SELECT o.call_id, o.flags FROM calls c CROSS JOIN call_outcomes o "
        "ON o.call_id = c.id AND o.contract_id = ? WHERE c.started_at >= ? AND c.started_at < ?",
        (contract_id, start, end))
    return {call_id: not (flags & ~MANUAL) for call_id, flags in rows}


def qualified_calls(conn: Connection, contract_ids: Iterable[int], start: int,
                    end: int) -> dict[int, set[int]]:
    """Per contract, the calls in ``[start, end)`` the engine qualified: one pass for all."""
    wanted = set(contract_ids)
    found: dict[int, set[int]] = {c: set() for c in wanted}
    if not wanted:
        return found
    rows = driver(conn).execute(
        "SELECT o.contract_id, o.call_id FROM calls c CROSS JOIN call_outcomes o "
        f"ON o.call_id = c.id WHERE c.started_at >= ? AND c.started_at < ? "
        f"AND (o.flags & ~{MANUAL}) = 0", (start, end))
    for contract, call_id in rows:
        if contract in wanted:
            found[contract].add(call_id)
    return found


def revenue_by_call(conn: Connection, start: int, end: int) -> dict[int, int]:
    """What the buyers' contracts earn per call in ``[start, end)`` (billable ones only)."""
    rows = driver(conn).execute(
        "SELECT o.call_id, SUM(o.revenue_micros) FROM calls c CROSS JOIN call_outcomes o "
        "ON o.call_id = c.id JOIN contracts k ON k.id = o.contract_id "
        "WHERE k.counterparty_kind = 'buyer' AND o.billable AND c.started_at >= ? "
        "AND c.started_at < ? GROUP BY o.call_id", (start, end))
    return {int(i): int(v) for i, v in rows}


@lru_cache(maxsize=16)
def _upsert_outcomes_sql(rows: int) -> str:
    one = "(" + ", ".join("?" for _ in OUTCOME_COLUMNS) + ")"
    compared = OUTCOME_COLUMNS[2:-1]
    sets = ", ".join(f"{c} = excluded.{c}" for c in OUTCOME_COLUMNS[2:])
    changed = " OR ".join(f"call_outcomes.{c} IS NOT excluded.{c}" for c in compared)
    return (f"INSERT INTO call_outcomes ({', '.join(OUTCOME_COLUMNS)}) VALUES "
            + ", ".join(itertools.repeat(one, rows))
            + f" ON CONFLICT(call_id, contract_id) DO UPDATE SET {sets} WHERE {changed}")


def upsert_outcomes(conn: Connection, rows: Sequence[Sequence[Any]]) -> int:
    """Insert or update outcomes (OUTCOME_COLUMNS order); unchanged rows are not rewritten.

    Returns the rows written (new or changed).
    """
    width = len(OUTCOME_COLUMNS)
    values = list(itertools.chain.from_iterable(rows))
    raw = driver(conn)
    limit = min(ingest.MAX_PARAMETERS, raw.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER))
    written = start = 0
    cursor = raw.cursor()
    try:
        for size in ingest.statement_sizes(len(rows), max(1, limit // width)):
            stop = start + size * width
            cursor.execute(_upsert_outcomes_sql(size), values[start:stop])
            written += max(0, cursor.rowcount)
            start = stop
    finally:
        cursor.close()
    return written


def remove_outcomes(conn: Connection, contract_id: int, start: int, end: int,
                    keep: set[int]) -> int:
    """Delete the contract's outcomes of calls in ``[start, end)`` that are not in ``keep``."""
    span = data_span(conn)
    if span is not None and start <= span[0] and end >= span[1]:
        # Every call: the contract's own index lists its outcomes without visiting calls.
        gone = [int(i) for (i,) in driver(conn).execute(
            "SELECT call_id FROM call_outcomes WHERE contract_id = ?", (contract_id,))
            if i not in keep]
    else:
        gone = [i for i in verdicts(conn, contract_id, start, end) if i not in keep]
    raw = driver(conn)
    for part in _chunks(gone):
        raw.execute(f"DELETE FROM call_outcomes WHERE contract_id = ? AND call_id IN "
                    f"({', '.join('?' * len(part))})", (contract_id, *part))
    return len(gone)


def _chunks(ids: Sequence[int]) -> Iterator[Sequence[int]]:
    for lo in range(0, len(ids), CHUNK):
        yield ids[lo:lo + CHUNK]


@dataclass(frozen=True, slots=True)
class StoredOutcome:
    """One contract's stored decision about one call (adjustments applied)."""

    contract_id: int
    contract: str
    counterparty_kind: str
    version: int
    qualified: bool
    amount_micros: int
    reasons: str  # JSON list of {"code", "text"}
    flags: int
    duplicate_of_sid: str | None


def outcomes_of_call(conn: Connection, call_id: int) -> list[StoredOutcome]:
    rows = conn.exec_driver_sql(
        "SELECT k.id, k.name, k.counterparty_kind, v.version, o.billable, o.payable, "
        "o.revenue_micros, o.payout_micros, o.reasons, o.flags, d.sid FROM call_outcomes o "
        "JOIN contracts k ON k.id = o.contract_id "
        "JOIN contract_versions v ON v.id = o.contract_version_id "
        "LEFT JOIN calls d ON d.id = o.duplicate_of_call_id WHERE o.call_id = ? "
        "ORDER BY k.counterparty_kind, k.name", (call_id,)).all()
    return [StoredOutcome(r[0], r[1], r[2], r[3], bool(r[4] if r[2] == "buyer" else r[5]),
                          int(r[6] if r[2] == "buyer" else r[7]), r[8], r[9], r[10])
            for r in rows]


# ---------------------------------------------------------------- evaluation state
@dataclass(frozen=True, slots=True)
class EvaluationState:
    contract_version_id: int
    calls_seen_at: int
    evaluated_at: int


def evaluation_state(conn: Connection, contract_id: int) -> EvaluationState | None:
    row = conn.exec_driver_sql(
        "SELECT contract_version_id, calls_seen_at, evaluated_at FROM contract_evaluations "
        "WHERE contract_id = ?", (contract_id,)).first()
    return None if row is None else EvaluationState(int(row[0]), int(row[1]), int(row[2]))


def save_evaluation_state(conn: Connection, contract_id: int, state: EvaluationState) -> None:
    conn.exec_driver_sql(
        "INSERT INTO contract_evaluations (contract_id, contract_version_id, calls_seen_at, "
        "evaluated_at) VALUES (?, ?, ?, ?) ON CONFLICT(contract_id) DO UPDATE SET "
        "contract_version_id = excluded.contract_version_id, "
        "calls_seen_at = excluded.calls_seen_at, evaluated_at = excluded.evaluated_at",
        (contract_id, state.contract_version_id, state.calls_seen_at, state.evaluated_at))


# ---------------------------------------------------------------- adjustments
@dataclass(frozen=True, slots=True)
class Adjustment:
    """A person's override of one field of one outcome, with its audit trail."""

    id: int
    call_sid: str
    contract: str
    field: str  # qualified | amount
    before: str
    after: str
    reason: str
    author: str
    created_at: int


def latest_adjustments(conn: Connection, contract_id: int) -> dict[int, dict[str, str]]:
    """Per call, the newest value of each adjusted field (the later adjustment wins)."""
    found: dict[int, dict[str, str]] = {}
    for call_id, field, after in conn.exec_driver_sql(
            "SELECT call_id, field, after FROM outcome_adjustments WHERE contract_id = ? "
            "ORDER BY id", (contract_id,)):
        found.setdefault(int(call_id), {})[str(field)] = str(after)
    return found


def add_adjustment(conn: Connection, *, call_id: int, contract_id: int, field: str,
                   before: str, after: str, reason: str, author: str, now: int) -> None:
    conn.exec_driver_sql(
        "INSERT INTO outcome_adjustments (call_id, contract_id, field, before, after, reason, "
        "author, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        (call_id, contract_id, field, before, after, reason, author, now))


def adjustments_of_call(conn: Connection, call_id: int) -> list[Adjustment]:
    return [Adjustment(*row) for row in conn.exec_driver_sql(
        "SELECT a.id, c.sid, k.name, a.field, a.before, a.after, a.reason, a.author, "
        "a.created_at FROM outcome_adjustments a JOIN calls c ON c.id = a.call_id "
        "JOIN contracts k ON k.id = a.contract_id WHERE a.call_id = ? ORDER BY a.id",
        (call_id,))]


# ---------------------------------------------------------------- contracts and versions
@dataclass(frozen=True, slots=True)
class StoredVersion:
    """One immutable version of a contract's terms, as stored (canonical TOML)."""

    id: int
    contract_id: int
    contract: str
    counterparty_kind: str
    version: int
    terms: str
    effective_from: int | None
    note: str
    created_at: int


_VERSIONS_SQL = (
    "SELECT v.id, k.id, k.name, k.counterparty_kind, v.version, v.terms, v.effective_from, "
    "v.note, v.created_at FROM contract_versions v JOIN contracts k ON k.id = v.contract_id ")


def versions(conn: Connection, contract_id: int | None = None) -> list[StoredVersion]:
    """Versions of one contract (or of every active one), oldest first."""
    if contract_id is None:
        rows = conn.exec_driver_sql(_VERSIONS_SQL + "WHERE k.active ORDER BY k.name, v.version")
    else:
        rows = conn.exec_driver_sql(_VERSIONS_SQL + "WHERE k.id = ? ORDER BY v.version",
                                    (contract_id,))
    return [StoredVersion(*row) for row in rows]


def contract_id(conn: Connection, name: str) -> int | None:
    value = conn.exec_driver_sql("SELECT id FROM contracts WHERE name = ?", (name,)).scalar()
    return None if value is None else int(value)


def ensure_named(conn: Connection, table: str, name: str, now: int, **values: Any) -> int:
    """The id of the row called ``name`` in ``table``, created (or updated) with ``values``."""
    found = conn.exec_driver_sql(f"SELECT id FROM {table} WHERE name = ?", (name,)).scalar()
    if found is None:
        columns = ["name", "created_at", *values]
        conn.exec_driver_sql(
            f"INSERT INTO {table} ({', '.join(columns)}) VALUES "
            f"({', '.join('?' * len(columns))})", (name, now, *values.values()))
        return int(conn.exec_driver_sql(f"SELECT id FROM {table} WHERE name = ?",
                                        (name,)).scalar_one())
    if values:
        sets = ", ".join(f"{k} = ?" for k in values)
        conn.exec_driver_sql(f"UPDATE {table} SET {sets} WHERE id = ?",
                             (*values.values(), found))
    return int(found)


def ensure_destination(conn: Connection, buyer_id: int, e164: str) -> None:
    """Make ``e164`` one of the buyer's lines (moving it from another buyer if need be)."""
    conn.exec_driver_sql(
        "INSERT INTO buyer_destinations (buyer_id, e164, label) VALUES (?, ?, '') "
        "ON CONFLICT(e164) DO UPDATE SET buyer_id = excluded.buyer_id", (buyer_id, e164))


def ensure_tracking_number(conn: Connection, e164: str, publisher_id: int,
                           campaign_id: int | None, friendly_name: str = "",
                           monthly_cost_micros: int = 0) -> None:
    """Give the number (created if new) to the publisher and, when named, the campaign.

    An empty name or a zero cost keeps what the number has (Twilio's friendly name, say).
    """
    conn.exec_driver_sql(
        "INSERT INTO tracking_numbers (e164, friendly_name, campaign_id, publisher_id, "
        "monthly_cost_micros, status) VALUES (?, ?, ?, ?, ?, 'active') ON CONFLICT(e164) "
        "DO UPDATE SET publisher_id = excluded.publisher_id, "
        "campaign_id = COALESCE(excluded.campaign_id, tracking_numbers.campaign_id), "
        "friendly_name = CASE WHEN excluded.friendly_name = '' "
        "THEN tracking_numbers.friendly_name ELSE excluded.friendly_name END, "
        "monthly_cost_micros = CASE WHEN excluded.monthly_cost_micros = 0 "
        "THEN tracking_numbers.monthly_cost_micros ELSE excluded.monthly_cost_micros END",
        (e164, friendly_name, campaign_id, publisher_id, monthly_cost_micros))


def save_version(conn: Connection, *, name: str, kind: str, campaign_id: int | None,
                 party_id: int, terms: str, effective_from: int | None, note: str,
                 now: int) -> tuple[str, int]:
    """Store one version of a contract: ("created" | "updated" | "unchanged", its number).

    Versions are immutable: new terms add a version; the same canonical text as the newest
    version with the same ``effective_from`` adds nothing (so importing an export is a no-op).
    """
    party_column = "buyer_id" if kind == "buyer" else "publisher_id"
    other = "publisher_id" if kind == "buyer" else "buyer_id"
    found = contract_id(conn, name)
    if found is None:
        conn.exec_driver_sql(
            f"INSERT INTO contracts (name, campaign_id, counterparty_kind, {party_column}, "
            f"{other}, active, created_at) VALUES (?, ?, ?, ?, NULL, 1, ?)",
            (name, campaign_id, kind, party_id, now))
        found = contract_id(conn, name)
        assert found is not None  # noqa: S101 - inserted just above
        status = "created"
    else:
        conn.exec_driver_sql(
            f"UPDATE contracts SET campaign_id = ?, counterparty_kind = ?, {party_column} = ?, "
            f"{other} = NULL, active = 1 WHERE id = ?", (campaign_id, kind, party_id, found))
        status = "updated"
    # A version is in force from its date until a later version with an earlier or equal
    # date: so the same text as the newest version of the same date changes nothing.
    same = conn.exec_driver_sql(
        "SELECT version, terms FROM contract_versions WHERE contract_id = ? AND "
        "effective_from IS ? ORDER BY version DESC LIMIT 1", (found, effective_from)).first()
    if same is not None and same[1] == terms:
        return "unchanged", int(same[0])
    number = 1 + int(conn.exec_driver_sql(
        "SELECT COALESCE(MAX(version), 0) FROM contract_versions WHERE contract_id = ?",
        (found,)).scalar_one())
    conn.exec_driver_sql(
        "INSERT INTO contract_versions (contract_id, version, terms, effective_from, note, "
        "created_at) VALUES (?, ?, ?, ?, ?, ?)",
        (found, number, terms, effective_from, note, now))
    return status, number


def delete_outcomes_of(conn: Connection, contract_ids: Iterable[int]) -> None:
    for contract in contract_ids:
        conn.exec_driver_sql("DELETE FROM call_outcomes WHERE contract_id = ?", (contract,))
