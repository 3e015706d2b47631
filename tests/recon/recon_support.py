"""Recon test helpers: outcomes written by a simple documented rule.

The billing engine (ppcdesk/billing) is written beside this work; until its job runs here,
these tests write ``call_outcomes`` themselves with ``RULE``: a buyer contract bills a call
its buyer answered when the buyer's leg lasted at least 90 s, for $25.00; otherwise the call
is not billable, flagged SHORT (connected but under 90 s) or NOT_CONNECTED.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from ppcdesk.core.reasons import ReasonFlag
from ppcdesk.recon.report import DiffKind
from ppcdesk.storage.db import Database

BUFFER_S = 90
PRICE_MICROS = 25_000_000
NY = ZoneInfo("America/New_York")
HEADER = ["Call ID", "Caller ID", "Call Date", "Duration", "Payout", "Status", "Campaign"]
Planted = set[tuple[DiffKind, int | None, int | None]]  # (kind, their line, our call id)
RULE = f"billable when the buyer's leg lasted >= {BUFFER_S} s, for $25.00"


def add_buyer_contract(database: Database, buyer_id: int, name: str = "contract") -> int:
    """A buyer contract (version 1) for ``buyer_id``; returns its id."""
    with database.write() as conn:
        buyer = conn.exec_driver_sql("SELECT name FROM buyers WHERE id = ?",
                                     (buyer_id,)).scalar_one()
        cid = conn.exec_driver_sql(
            "INSERT INTO contracts (name, counterparty_kind, buyer_id, active, created_at) "
            "VALUES (?, 'buyer', ?, 1, 0) RETURNING id", (name, buyer_id)).scalar_one()
        # Terms as a contract file says RULE, so pages that read the terms (the dashboard's
        # buffer) find a contract there.
        terms = (f'[[contract]]\nname = "{name}"\nbuyer = "{buyer}"\nbuffer = "{BUFFER_S}s"\n'
                 'timezone = "America/New_York"\n\n[contract.price]\namount = "$25.00"\n')
        conn.exec_driver_sql(
            "INSERT INTO contract_versions (contract_id, version, terms, note, created_at) "
            "VALUES (?, 1, ?, '', 0)", (cid, terms))
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
            f"SELECT id, ?, ?, CASE WHEN connected_s >= {BUFFER_S} THEN 1 ELSE 0 END, 0, "
            f"CASE WHEN connected_s >= {BUFFER_S} THEN {PRICE_MICROS} ELSE 0 END, 0, '[]', "
            f"CASE WHEN connected_s >= {BUFFER_S} THEN 0 WHEN connected_s > 0 THEN {short} "
            f"ELSE {unconnected} END, 0 FROM calls WHERE buyer_id = ?",
            (contract_id, version, buyer_id))
        return int(conn.exec_driver_sql(
            "SELECT COUNT(*) FROM call_outcomes WHERE contract_id = ? AND billable = 1",
            (contract_id,)).scalar_one())


def _when(epoch: int) -> str:
    return datetime.fromtimestamp(epoch, NY).strftime("%m/%d/%Y %I:%M:%S %p")


def _phone(e164: str) -> str:
    return f"({e164[2:5]}) {e164[5:8]}-{e164[8:]}"


def plant_report(db: Database, contract: int, buyer_id: int, period: tuple[int, int],
                 report: Path) -> tuple[Planted, int]:
    """Write the buyer's report of ``period`` to ``report`` with known differences planted.

    Every connected call of the buyer's is listed (US dates in New York time, callers written
    as ``(602) 555-0123``, a fifth by our SID), except: 3 billable calls left out (unpaid),
    2 paid $20 (amount), 2 marked Duplicate and unpaid (contested), 2 written an hour late
    (tz_shift), 1 listed twice (duplicate_row), and 2 calls we never had (unseen). Returns
    the planted differences and the number of lines. The file is Windows-1252 with
    semicolons, as Excel writes it on a European desk.
    """
    start, end = period
    with db.read() as conn:
        calls = conn.exec_driver_sql(
            "SELECT c.id, c.sid, c.caller, c.started_at, c.connected_s, o.billable "
            "FROM calls c JOIN call_outcomes o ON o.call_id = c.id AND o.contract_id = ? "
            "WHERE c.buyer_id = ? "
            "AND c.connected_s > 0 AND c.started_at >= ? AND c.started_at < ? "
            "ORDER BY c.started_at, c.id", (contract, buyer_id, start, end)).all()
    billable = [c for c in calls if c[5]][5:-5]  # none planted at the edges of the month
    assert len(billable) > 60

    # Plant, among billable calls spread over the month: (kind, index into billable).
    dropped = {billable[i][0] for i in (5, 25, 45)}
    underpaid = {billable[i][0] for i in (7, 27)}
    contested = {billable[i][0] for i in (9, 29)}
    shifted = {billable[i][0] for i in (11, 31)}
    repeated = billable[13][0]
    lines: list[list[str]] = []
    planted: set[tuple[DiffKind, int | None, int | None]] = set()
    for cid, sid, caller, at, connected, is_billable in calls:
        if cid in dropped:
            planted.add((DiffKind.UNPAID, None, cid))
            continue
        line = len(lines) + 2  # the header is row 1
        anonymous = not caller.startswith("+")
        row = [sid if anonymous or cid % 5 == 0 else "", "" if anonymous else _phone(caller),
               _when(at + (3600 if cid in shifted else 0)), str(connected),
               "$25.00" if is_billable else "$0.00", "Paid" if is_billable else "Short",
               "Médicare Advantage"]
        if cid in underpaid:
            row[4] = "$20.00"
            planted.add((DiffKind.AMOUNT, line, cid))
        if cid in contested:
            row[4], row[5] = "$0.00", "Duplicate"
            planted.add((DiffKind.CONTESTED, line, cid))
        if cid in shifted:
            planted.add((DiffKind.TZ_SHIFT, line, cid))
        lines.append(row)
        if cid == repeated:
            lines.append(list(row))
            planted.add((DiffKind.DUPLICATE_ROW, line + 1, None))
    for phone in ("+12125550987", "+13125550988"):  # calls we never had
        lines.append(["", _phone(phone), _when(start + 86_400 * 3), "120", "$25.00", "Paid",
                      "Médicare Advantage"])
        planted.add((DiffKind.UNSEEN, len(lines) + 1, None))

    text = "\r\n".join(";".join(r) for r in [HEADER, *lines]) + "\r\n"
    report.write_bytes(text.encode("cp1252"))
    return planted, len(lines)
