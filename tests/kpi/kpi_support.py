"""KPI fixtures: a migrated database and a builder for small hand-made tables of calls."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from ppcdesk.config import paths as paths_mod
from ppcdesk.core.clock import FixedClock
from ppcdesk.kpi.queries import Period
from ppcdesk.kpi.rollups import rebuild_rollups
from ppcdesk.services.kpi_service import KpiService
from ppcdesk.storage.db import Database

ZONE = "America/New_York"
DAY = date(2026, 3, 10)
NOON = int(datetime(2026, 3, 10, 16, tzinfo=UTC).timestamp())  # noon in New York (EDT)
ONE_DAY = Period(DAY, DAY, ZONE)


@dataclass
class Workspace:
    """A database with one campaign, two publishers, a buyer, a buyer and publisher contract."""

    db: Database
    kpi: KpiService
    n: int = 0
    spend: list[tuple[Any, ...]] = field(default_factory=list)

    def call(self, *, answered: bool = True, at: int = NOON, caller: str | None = None,
             publisher: int = 1, connected_s: int = 120, billable: bool | None = None,
             revenue: int = 0, payout: int | None = None, flags: int = 0,
             disposition: str | None = None, recorded: bool = False, cost: int = 0) -> int:
        """Insert one call (and its outcomes, disposition, recording); returns its id."""
        self.n += 1
        sid = f"CA{self.n:032x}"
        with self.db.write() as conn:
            call_id = conn.exec_driver_sql(
                "INSERT INTO calls (sid, tracking_number_id, campaign_id, publisher_id, caller,"
                " caller_state, called, status, direction, started_at, ended_at, duration_s,"
                " cost_micros, connected_s, time_to_answer_s, buyer_id, legs_cost_micros,"
                " updated_at) VALUES (?, ?, 1, ?, ?, 'NY', '+18885550101', 'completed',"
                " 'inbound', ?, ?, ?, ?, ?, ?, ?, 0, ?) RETURNING id",
                (sid, publisher, publisher, caller or f"+1212555{self.n:04d}", at,
                 at + connected_s + 10, connected_s + 10, cost,
                 connected_s if answered else 0, 10 if answered else None,
                 1 if answered else None, at)).scalar_one()
            if billable is not None:
                conn.exec_driver_sql(
                    "INSERT INTO call_outcomes (call_id, contract_id, contract_version_id,"
                    " billable, payable, revenue_micros, payout_micros, reasons, flags,"
                    " evaluated_at) VALUES (?, 1, 1, ?, 0, ?, 0, '[]', ?, 0)",
                    (call_id, int(billable), revenue, flags))
            if payout is not None:
                conn.exec_driver_sql(
                    "INSERT INTO call_outcomes (call_id, contract_id, contract_version_id,"
                    " billable, payable, revenue_micros, payout_micros, reasons, flags,"
                    " evaluated_at) VALUES (?, 2, 2, 0, ?, 0, ?, '[]', 0, 0)",
                    (call_id, int(payout > 0), payout))
            if disposition is not None:
                conn.exec_driver_sql(
                    "INSERT INTO dispositions (call_id, code, author, created_at) "
                    "VALUES (?, ?, 'me', 0)", (call_id, disposition))
            if recorded:
                conn.exec_driver_sql(
                    "INSERT INTO recordings (sid, call_sid, duration_s, channels, status, "
                    "file_state) VALUES (?, ?, 60, 1, 'completed', 'remote')",
                    (f"RE{self.n:032x}", sid))
        return int(call_id)

    def calls(self, count: int, **kwargs: Any) -> None:
        for _ in range(count):
            self.call(**kwargs)

    def media(self, day: date, micros: int, publisher: int | None = 1) -> None:
        with self.db.write() as conn:
            conn.exec_driver_sql(
                "INSERT INTO media_spend (day, campaign_id, publisher_id, source, amount_micros)"
                " VALUES (?, 1, ?, '', ?)", (day.isoformat(), publisher, micros))

    def build(self, zone: str = ZONE) -> None:
        with self.db.write() as conn:
            rebuild_rollups(conn, zone=zone)

    def figures(self, period: Period = ONE_DAY, **kwargs: Any) -> dict[str, Any]:
        self.build()
        return self.kpi.report(period, **kwargs).rows[0].values


@pytest.fixture
def ws(db_target: str, tmp_path: Path) -> Iterator[Workspace]:
    """The cast on each back end (``db_target``: a migrated SQLite file or PostgreSQL URL)."""
    workspace = make_workspace(db_target, tmp_path)
    yield workspace
    workspace.db.dispose()


def make_workspace(target: str, tmp_path: Path) -> Workspace:
    """The cast in the migrated workspace ``target``; the caller disposes of its ``db``."""
    db = Database(target)
    with db.write() as conn:
        for sql in (
            ("INSERT INTO workspace (id, name, role, timezone, currency, is_demo, created_at) "
            "VALUES (1, 'test', 'network', 'America/New_York', 'USD', 0, 0)"),
            ("INSERT INTO campaigns (id, name, vertical, timezone, created_at) "
            "VALUES (1, 'Auto', '', 'America/New_York', 0)"),
            ("INSERT INTO publishers (id, name, kind, contact, created_at) "
            "VALUES (1, 'Alpha', 'publisher', '', 0), (2, 'Beta', 'publisher', '', 0)"),
            "INSERT INTO buyers (id, name, contact, created_at) VALUES (1, 'Acme', '', 0)",
            ("INSERT INTO tracking_numbers (id, e164, friendly_name, campaign_id, publisher_id,"
            " monthly_cost_micros, status) VALUES (1, '+18885550101', 'A', 1, 1, 0, 'active'),"
            " (2, '+18885550102', 'B', 1, 2, 0, 'active')"),
            ("INSERT INTO contracts (id, name, campaign_id, counterparty_kind, buyer_id, "
            "publisher_id, active, created_at) VALUES (1, 'Acme auto', 1, 'buyer', 1, NULL, 1, 0),"
            " (2, 'Alpha pay', 1, 'publisher', NULL, 1, 1, 0)"),
            ("INSERT INTO contract_versions (id, contract_id, version, terms, note, created_at) "
            "VALUES (1, 1, 1, 'buffer_s = 60', '', 0), (2, 2, 1, '', '', 0)"),
        ):
            conn.exec_driver_sql(sql)
        if db.dialect == "postgresql":  # the ids above were explicit: move the sequences on
            for table in ("campaigns", "publishers", "buyers", "tracking_numbers", "contracts",
                          "contract_versions"):
                conn.exec_driver_sql(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                                     f"(SELECT MAX(id) FROM {table}))")
    paths = paths_mod.resolve(tmp_path / "home").ensure()
    return Workspace(db, KpiService(db, paths, FixedClock(datetime(2026, 3, 20, tzinfo=UTC))))
