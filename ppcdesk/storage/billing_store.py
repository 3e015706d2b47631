"""All billing SQL: call facts and priors for the engine, outcomes, contracts, adjustments.

The evaluation reads up to a million calls at once, so facts come from a plain sqlite3 cursor
as tuples, with campaign, publisher and buyer ids mapped to names through dicts (an ORM row
costs ~20x more). Outcomes go back as multi-row upserts (as ``ingest`` does for calls) whose
``WHERE`` skips rows that did not change, so re-evaluating a year that did not move writes
nothing. Everything here runs in the caller's transaction.

Contracts, versions and adjustments live in ``contract_store``; their names are re-exported
here, so ``billing_store`` stays the one door to billing's tables.
"""

from __future__ import annotations

import itertools
import re
import sqlite3
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from itertools import repeat
from operator import itemgetter, not_
from typing import Any, TypeVar

from sqlalchemy import Connection

from ppcdesk.core.model import CallStatus
from ppcdesk.core.reasons import ReasonFlag
from ppcdesk.storage import dialect, ingest
from ppcdesk.storage.contract_store import (
    Adjustment,
    StoredVersion,
    add_adjustment,
    adjustments_of_call,
    contract_id,
    delete_outcomes_of,
    ensure_destination,
    ensure_named,
    ensure_tracking_number,
    latest_adjustments,
    save_version,
    versions,
)

__all__ = [
    "OUTCOME_COLUMNS", "Adjustment", "EvaluationState", "FactRow", "Names", "StoredOutcome",
    "StoredVersion", "add_adjustment", "adjustments_of_call", "call_by_sid", "calls_seen_at",
    "calls_written_since", "contract_id", "data_span", "delete_outcomes",
    "delete_outcomes_of", "driver", "ensure_destination", "ensure_named",
    "ensure_tracking_number", "evaluation_state", "first_changed_call", "latest_adjustments",
    "load_facts", "load_history", "names", "outcomes_of_call", "qualified_among",
    "qualified_calls",
    "revenue_by_call", "save_evaluation_state", "save_version", "stored_outcomes",
    "stored_outcomes_of",
    "upsert_outcomes", "versions",
]

UNSETTLED = frozenset(s.value for s in CallStatus if not s.final)
MANUAL = int(ReasonFlag.MANUAL)
CHUNK = 500  # ids per IN (...) list
_BATCH = 65_536  # fact rows turned into records at a time
R = TypeVar("R", bound=tuple[Any, ...])
FactRow = tuple[Any, ...]  # a call's columns as _FACT_COLUMNS lists them
_CALL_ORDER = itemgetter(2, 0)  # (started_at, id)

_FACT_COLUMNS = (
    "c.id, c.sid, c.started_at, c.duration_s, c.connected_s, CASE WHEN c.buyer_id IS NOT "
    "NULL THEN c.started_at + COALESCE(c.time_to_answer_s, 0) END, c.caller, c.caller_state, "
    "c.campaign_id, c.publisher_id, c.buyer_id, c.status")
_FACTS_SQL = (f"SELECT {_FACT_COLUMNS} FROM calls AS c WHERE c.started_at >= ? "
              "AND c.started_at < ? ORDER BY c.started_at, c.id")

OUTCOME_COLUMNS = (
    "call_id", "contract_id", "contract_version_id", "billable", "payable", "revenue_micros",
    "payout_micros", "reasons", "flags", "duplicate_of_call_id", "evaluated_at")


# The driver under a connection (sqlite3, or psycopg behind dialect.Cursorish); billing reads
# and writes tuples on it, its SQL passed through _sql first.
driver = dialect.driver


def _sql(conn: Connection, text: str) -> str:
    """``text`` for ``conn``'s back end: SQLite's planner hints dropped on PostgreSQL.

    The statements are written for SQLite, whose planner needs telling (CROSS JOIN keeps the
    tables in the order written, INDEXED BY picks the index); PostgreSQL plans its own and
    knows neither (placeholders and IS NOT are translated by the driver's wrapper).
    """
    return text if dialect.is_sqlite(conn) else _unhinted(text)


@lru_cache(maxsize=128)
def _unhinted(text: str) -> str:
    return _INDEXED_BY.sub("", text).replace("CROSS JOIN", "JOIN")


_INDEXED_BY = re.compile(r"\s+INDEXED BY \w+")


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
               make: type[R]) -> list[R]:
    """Every call started in ``[start, end)``, in call order (start time, then id).

    ``make`` is the record type of the billing engine's fields (``CallFacts``: storage sits
    below billing and does not import it): id, sid, started_at, duration_s, connected_s,
    answered_at, caller, caller_state, campaign, publisher, buyer, final.
    """
    cursor = driver(conn).execute(_FACTS_SQL, (start, end))
    found: list[R] = []
    while rows := cursor.fetchmany(_BATCH):  # a batch at a time: the rows are not kept twice
        found += _records(make, rows, known)
    cursor.close()
    return found


def _records(make: type[R], rows: list[FactRow], known: Names) -> list[R]:
    """``make`` records of fact rows (ids named through ``known``), without Python per row.

    Column by column: each id column mapped to the shared name strings, the status to
    ``final``, then the records built from the columns at C speed (a Python call per row,
    with three lookups, cost twice as much for a million calls).
    """
    if not rows:
        return []
    columns: list[Iterable[Any]] = list(zip(*rows, strict=True))
    columns[8] = map(known.campaigns.get, columns[8])
    columns[9] = map(known.publishers.get, columns[9])
    columns[10] = map(known.buyers.get, columns[10])
    columns[11] = map(not_, map(UNSETTLED.__contains__, columns[11]))
    return list(map(tuple.__new__, repeat(make), zip(*columns, strict=True)))


def call_by_sid(conn: Connection, sid: str, known: Names, make: type[R]) -> R | None:
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


def load_history(conn: Connection, lookback: int, start: int, end: int,
                 extra: Mapping[int, FactRow], known: Names, make: type[R]) -> list[R]:
    """The calls in ``[lookback, start)`` that can matter to calls in ``[start, end)``.

    Those of the same callers (a duplicate repeats its own caller), found through the caller
    index, and the rows of ``extra`` (the calls a contract qualified, which its caps count,
    as :func:`qualified_calls` read them: not read again); in call order.
    """
    if driver(conn).execute("SELECT 1 FROM calls WHERE started_at >= ? AND started_at < ? "
                            "LIMIT 1", (lookback, start)).fetchone() is None:
        return []  # a run from the first call: no earlier call to read (a scan of the range)
    rows: list[FactRow] = list(driver(conn).execute(_sql(
        conn, f"SELECT {_FACT_COLUMNS} FROM (SELECT DISTINCT caller FROM calls "
        "WHERE started_at >= ? AND started_at < ?) AS r CROSS JOIN calls AS c "
        "ON c.caller = r.caller AND c.started_at >= ? AND c.started_at < ?"),
        (start, end, lookback, start)).fetchall())
    have = {row[0] for row in rows}
    rows += [row for i, row in extra.items() if i not in have and lookback <= row[2] < start]
    rows.sort(key=_CALL_ORDER)
    return _records(make, rows, known)


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
    value = conn.exec_driver_sql(_sql(
        conn, "SELECT MIN(started_at) FROM calls INDEXED BY ix_calls_updated_at "
        "WHERE updated_at > ?"), (since,)).scalar_one()
    return None if value is None else int(value)


# ---------------------------------------------------------------- outcomes
def qualified_calls(conn: Connection, contract_id: int, start: int, end: int,
                    parties: tuple[str, Iterable[int]] | None = None) -> dict[int, FactRow]:
    """The calls in ``[start, end)`` the engine qualified for the contract (caps count them).

    By id, as rows of the facts :func:`load_history` makes (so it does not read them again).
    ``parties``: ("buyer" | "publisher", ids) of every version of the contract, when known:
    its outcomes are only of those parties' calls, so the (party, start) index finds them
    among a month's calls without reading every other call's outcomes. Each call's verdict
    comes from the (contract, call, flags) index alone: the outcome rows (their sentences
    make them wide) are not read, and a call's row only once it qualified.
    """
    qualified = f"AND (o.flags & ~{MANUAL}) = 0"
    joined = (f"SELECT {_FACT_COLUMNS} FROM calls c CROSS JOIN call_outcomes o INDEXED BY "
              "ix_call_outcomes_contract_call ON o.contract_id = ? AND o.call_id = c.id ")
    if parties is not None:
        column = "buyer_id" if parties[0] == "buyer" else "publisher_id"
        ids = sorted(set(parties[1]))
        rows = driver(conn).execute(_sql(
            conn, f"{joined}WHERE c.{column} IN ({', '.join('?' * len(ids))}) "
            f"AND c.started_at >= ? AND c.started_at < ? {qualified}"),
            (contract_id, *ids, start, end))
    else:
        rows = driver(conn).execute(_sql(
            conn, f"{joined}WHERE c.started_at >= ? AND c.started_at < ? {qualified}"),
            (contract_id, start, end))
    return {row[0]: row for row in rows}


def qualified_among(conn: Connection, contract_id: int, call_ids: Iterable[int]) -> set[int]:
    """Which of ``call_ids`` the engine qualified for the contract (from its (contract, call,
    flags) index alone)."""
    found: set[int] = set()
    raw = driver(conn)
    for part in _chunks(sorted(set(call_ids))):
        found.update(i for (i,) in raw.execute(_sql(
            conn, "SELECT call_id FROM call_outcomes INDEXED BY ix_call_outcomes_contract_call "
            f"WHERE contract_id = ? AND call_id IN ({', '.join('?' * len(part))}) "
            f"AND (flags & ~{MANUAL}) = 0"), (contract_id, *part)))
    return found


def stored_outcomes(conn: Connection, contract_id: int, start: int,
                    end: int) -> set[tuple[int, int, int, int, int | None]]:
    """The contract's stored outcomes of calls in ``[start, end)``, as the job compares them.

    (call id, version id, flags, amount, duplicate of): a new outcome with the same values,
    of a call not written since, would be stored exactly as it is (same sentences).
    """
    sql = ("SELECT o.call_id, o.contract_version_id, o.flags, o.revenue_micros + "
           "o.payout_micros, o.duplicate_of_call_id FROM call_outcomes o ")
    span = data_span(conn)
    if span is not None and start <= span[0] and end >= span[1]:
        # Every call: the contract's own index lists its outcomes without visiting calls.
        return set(driver(conn).execute(sql + "WHERE o.contract_id = ?", (contract_id,)))
    # Calls by start time first, then each one's outcome by its unique (call, contract) key.
    return set(driver(conn).execute(_sql(
        conn, sql.replace("FROM call_outcomes o", "FROM calls c CROSS JOIN call_outcomes o ON "
                          "o.call_id = c.id AND o.contract_id = ?")
        + "WHERE c.started_at >= ? AND c.started_at < ?"), (contract_id, start, end)))


def stored_outcomes_of(conn: Connection, contract_ids: Iterable[int], start: int, end: int,
                       ) -> dict[int, set[tuple[int, int, int, int, int | None]]]:
    """:func:`stored_outcomes` of several contracts over one range, by contract.

    Over part of the data, one pass over the range's calls reads every contract's outcomes
    of each call from its (call, contract) key, instead of one pass per contract.
    """
    wanted = sorted(set(contract_ids))
    span = data_span(conn)
    if len(wanted) < 2 or span is None or (start <= span[0] and end >= span[1]):
        return {c: stored_outcomes(conn, c, start, end) for c in wanted}
    found: dict[int, set[tuple[int, int, int, int, int | None]]] = {c: set() for c in wanted}
    rows = driver(conn).execute(_sql(
        conn, "SELECT o.contract_id, o.call_id, o.contract_version_id, o.flags, "
        "o.revenue_micros + o.payout_micros, o.duplicate_of_call_id FROM calls c CROSS JOIN "
        "call_outcomes o ON o.call_id = c.id WHERE c.started_at >= ? AND c.started_at < ?"),
        (start, end))
    for contract, *outcome in rows:
        into = found.get(contract)
        if into is not None:
            into.add(tuple(outcome))
    return found


def calls_written_since(conn: Connection, since: int) -> set[int]:
    """The calls written after ``since`` (``updated_at > since``), by the updated_at index."""
    return {i for (i,) in driver(conn).execute(_sql(
        conn, "SELECT id FROM calls INDEXED BY ix_calls_updated_at WHERE updated_at > ?"),
        (since,))}


def revenue_by_call(conn: Connection, start: int, end: int) -> dict[int, int]:
    """What the buyers' contracts earn per call in ``[start, end)`` (billable ones only)."""
    rows = driver(conn).execute(_sql(
        conn, "SELECT o.call_id, SUM(o.revenue_micros) FROM calls c CROSS JOIN call_outcomes o "
        "ON o.call_id = c.id JOIN contracts k ON k.id = o.contract_id "
        "WHERE k.counterparty_kind = 'buyer' AND o.billable = 1 AND c.started_at >= ? "
        "AND c.started_at < ? GROUP BY o.call_id"), (start, end))
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

    Returns the rows written (new or changed). Multi-row statements of a few fixed sizes on
    both back ends (PostgreSQL: IS DISTINCT FROM for IS NOT, up to 65,535 parameters).
    """
    width = len(OUTCOME_COLUMNS)
    values = (rows.values if isinstance(rows, ingest.FlatRows) and rows.width == width
              else list(itertools.chain.from_iterable(rows)))
    raw = driver(conn)
    if isinstance(raw, sqlite3.Connection):
        limit = min(ingest.MAX_PARAMETERS, raw.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER))
        cursor: Any = raw.cursor()
        statement = _upsert_outcomes_sql
    else:
        limit = ingest.PG_MAX_PARAMETERS
        cursor = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
        statement = _upsert_outcomes_pg
    try:
        return ingest.execute_in_sizes(cursor, statement, values, width, limit)
    finally:
        cursor.close()


@lru_cache(maxsize=16)
def _upsert_outcomes_pg(rows: int) -> str:
    return dialect.translate(_upsert_outcomes_sql(rows))


def delete_outcomes(conn: Connection, contract_id: int, call_ids: Iterable[int]) -> int:
    """Delete the contract's outcomes of ``call_ids``; returns how many ids were given."""
    gone = sorted(call_ids)
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


