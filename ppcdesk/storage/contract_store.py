"""Contracts, their versions and declarations, and people's adjustments of outcomes: the SQL.

Contract versions are immutable canonical TOML (one contract each); adjustments are an audit
trail (who, when, before, after) that the billing job lays over the engine's verdicts. Every
function runs in the caller's transaction.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection


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
        rows = conn.exec_driver_sql(_VERSIONS_SQL + "WHERE k.active = 1 ORDER BY k.name, v.version")
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
