"""Recon test helpers: outcomes written by a simple documented rule.

The billing engine (ppcdesk/billing) is written beside this work; until its job runs here,
these tests write ``call_outcomes`` themselves with ``RULE``: a buyer contract bills a call
its buyer answered when the buyer's leg lasted at least 90 s, for $25.00; otherwise the call
is not billable, flagged SHORT (connected but under 90 s) or NOT_CONNECTED.
"""

from __future__ import annotations

from ppcdesk.core.reasons import ReasonFlag
from ppcdesk.storage.db import Database

BUFFER_S = 90
PRICE_MICROS = 25_000_000
RULE = f"billable when the buyer's leg lasted >= {BUFFER_S} s, for $25.00"


def add_buyer_contract(database: Database, buyer_id: int, name: str = "contract") -> int:
    """A buyer contract (version 1) for ``buyer_id``; returns its id."""
    with database.write() as conn:
        cid = conn.exec_driver_sql(
            "INSERT INTO contracts (name, counterparty_kind, buyer_id, active, created_at) "
            "VALUES (?, 'buyer', ?, 1, 0) RETURNING id", (name, buyer_id)).scalar_one()
        conn.exec_driver_sql(
            "INSERT INTO contract_versions (contract_id, version, terms, note, created_at) "
            "VALUES (?, 1, '', '', 0)", (cid,))
    return int(cid)


def apply_rule(database: Database, contract_id: int, buyer_id: int) -> int:
    """Write one outcome per call of ``buyer_id`` by ``RULE``; return the billable count.

    Outcomes of the buyer's other contracts (a demo may carry some) are removed first, so the
    rule alone says what the buyer owes.
    """
    short, unconnected = int(ReasonFlag.SHORT), int(ReasonFlag.NOT_CONNECTED)
    with database.write() as conn:
        conn.exec_driver_sql(
            "DELETE FROM call_outcomes WHERE contract_id IN (SELECT id FROM contracts WHERE "
            "buyer_id = ? AND id != ?)", (buyer_id, contract_id))
        version = conn.exec_driver_sql("SELECT id FROM contract_versions WHERE contract_id = ?",
                                       (contract_id,)).scalar_one()
        conn.exec_driver_sql(
            "INSERT INTO call_outcomes (call_id, contract_id, contract_version_id, billable, "
            "payable, revenue_micros, payout_micros, reasons, flags, evaluated_at) "
            f"SELECT id, ?, ?, connected_s >= {BUFFER_S}, 0, "
            f"CASE WHEN connected_s >= {BUFFER_S} THEN {PRICE_MICROS} ELSE 0 END, 0, '[]', "
            f"CASE WHEN connected_s >= {BUFFER_S} THEN 0 WHEN connected_s > 0 THEN {short} "
            f"ELSE {unconnected} END, 0 FROM calls WHERE buyer_id = ?",
            (contract_id, version, buyer_id))
        return int(conn.exec_driver_sql(
            "SELECT COUNT(*) FROM call_outcomes WHERE contract_id = ? AND billable",
            (contract_id,)).scalar_one())
