"""Contracts, evaluation, what-if and explanations: the billing engine over the workspace.

Queries open a short read transaction; writes (import, evaluate, adjust) run on the write lane
as jobs or in one ``Database.write()`` each. Days given by the user (``day_from``/``day_to``)
are in the user's zone (Settings), inclusive.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

from ppcdesk.billing import contract_file, readsas
from ppcdesk.billing import contract_import as billing_io
from ppcdesk.billing import job as billing_job
from ppcdesk.billing.contract_file import ContractFileError, Problem
from ppcdesk.billing.contract_import import ImportResult
from ppcdesk.billing.declarations import ContractFile
from ppcdesk.billing.terms import Terms
from ppcdesk.config import settings as settings_mod
from ppcdesk.config.paths import Paths
from ppcdesk.core.changes import ChangeSet, Entity
from ppcdesk.core.clock import Clock, day_start_epoch, to_epoch
from ppcdesk.core.errors import PpcdeskError, ReadOnlyRoleError
from ppcdesk.core.progress import Job, run_job
from ppcdesk.kpi.rollups import refresh_rollups
from ppcdesk.services import billing_queries
from ppcdesk.services.billing_queries import (
    BuyerBehaviour,
    CallExplanation,
    ContractDetail,
    ContractSummary,
    WhatIfReport,
)
from ppcdesk.storage import billing_store as store
from ppcdesk.storage.billing_store import Adjustment
from ppcdesk.storage.db import Database

__all__ = ["Adjustment", "BillingService", "BuyerBehaviour", "CallExplanation", "ContractDetail",
           "ContractFileError", "ContractSummary", "Draft", "ImportResult", "NoSuchCallError",
           "NoSuchContractError", "Problem", "WhatIfReport"]


REVIEWER_ONLY = ("this ppcdesk is in reviewer-only mode (Settings): contracts cannot be "
                 "changed here")


class NoSuchContractError(PpcdeskError):
    """No contract of that name in the workspace."""


class NoSuchCallError(PpcdeskError):
    """No call with that SID in the workspace."""


@dataclass(frozen=True, slots=True)
class Draft:
    """A contract file being edited: its problems (line and key) or what it reads as."""

    problems: tuple[Problem, ...]
    reads_as: tuple[tuple[str, tuple[str, ...]], ...]  # (contract, sentences) per contract

    @property
    def ok(self) -> bool:
        return not self.problems


class BillingService:
    """Contracts, evaluation, what-if and explanations: the billing engine over the workspace."""

    def __init__(self, db: Database, paths: Paths, clock: Clock) -> None:
        self.db = db
        self.paths = paths
        self.clock = clock

    def zone(self) -> str:
        return settings_mod.load(self.paths.config).timezone

    def reviewer_only(self) -> bool:
        """Whether this ppcdesk only reviews (Settings): every contract change is refused."""
        return settings_mod.load(self.paths.config).reviewer_only

    def _refuse_if_reviewer(self) -> None:
        if self.reviewer_only():
            raise ReadOnlyRoleError(REVIEWER_ONLY)

    def _range(self, day_from: date | None, day_to: date | None) -> tuple[int | None, int | None]:
        zone = self.zone()
        return (None if day_from is None else day_start_epoch(day_from, zone),
                None if day_to is None else day_start_epoch(day_to + timedelta(days=1), zone))

    # ---------------------------------------------------------------- contract files
    def check(self, text: str, source: str = "draft") -> Draft:
        """Validate a contract file's text without saving: problems, or its reads-as."""
        try:
            parsed = contract_file.parse(text, source=source)
        except ContractFileError as exc:
            return Draft(tuple(exc.problems), ())
        return Draft((), tuple((t.name, tuple(readsas.reads_as(t))) for t in parsed.contracts))

    def import_file(self, text: str, source: str) -> ImportResult:
        """Import a contract file's text in one transaction (nothing on any problem)."""
        self._refuse_if_reviewer()
        parsed = contract_file.parse(text, source=source)
        with self.db.write() as conn:
            return billing_io.save_file(conn, parsed, source, to_epoch(self.clock.now()))

    def import_contracts(self, path: Path | None = None, text: str | None = None, *,
                         evaluate: bool = False) -> ImportResult:
        """Import a file (or text); with ``evaluate``, bring the outcomes up to date too."""
        self._refuse_if_reviewer()
        if path is not None:
            text = _read(path)
        if text is None:
            raise PpcdeskError("give a contract file or its text")
        result = self.import_file(text, str(path) if path is not None else "<text>")
        if evaluate:
            run_job(self.evaluate_job(incremental=True))
        return result

    def import_job(self, text: str, source: str, *, evaluate: bool = True) -> Job[ChangeSet]:
        """Import on the write lane, then evaluate what changed (a new version: in full)."""
        self._refuse_if_reviewer()
        _, changes = yield from billing_io.import_job(self.db, text, source, self.clock,
                                                      evaluate=evaluate,
                                                      after_write=refresh_rollups)
        return changes

    def export_contracts(self, name: str | None = None) -> str:
        """Canonical TOML of one contract (or all) with the declarations they reference."""
        with self.db.read() as conn:
            if name is not None and store.contract_id(conn, name) is None:
                raise NoSuchContractError(f"no contract named {name!r}")
            return contract_file.dumps(billing_io.export_file(conn, name))

    def export_file(self, name: str | None = None) -> ContractFile:
        with self.db.read() as conn:
            return billing_io.export_file(conn, name)

    # ---------------------------------------------------------------- contracts
    def contracts(self) -> list[ContractSummary]:
        with self.db.read() as conn:
            return billing_queries.contracts(conn)

    def contract(self, name: str) -> ContractDetail:
        with self.db.read() as conn:
            found = billing_queries.contract(conn, name)
        if found is None:
            raise NoSuchContractError(f"no contract named {name!r} (see `ppcdesk contracts "
                                      "show` with a name from the contracts page)")
        return found

    # ---------------------------------------------------------------- evaluation
    def evaluate_job(self, day_from: date | None = None, day_to: date | None = None, *,
                     incremental: bool = False,
                     changed_since: int | None = None) -> Job[ChangeSet]:
        """Evaluate every contract: all calls, the days given, or what changed (incremental)."""
        start, end = self._range(day_from, day_to)
        return billing_job.evaluate_job(self.db, self.clock, start=start, end=end,
                                        incremental=incremental, changed_since=changed_since,
                                        after_write=refresh_rollups)

    def whatif(self, text: str, day_from: date | None = None, day_to: date | None = None,
               source: str = "draft") -> WhatIfReport:
        """Apply draft terms to the days given, without saving: the calls that change."""
        parsed = contract_file.parse(text, source=source)
        start, end = self._range(day_from, day_to)
        with self.db.read() as conn:
            return billing_queries.whatif(conn, parsed.contracts, start, end)

    def explain(self, call_sid: str) -> CallExplanation:
        """Why each contract decided what it did about a call: every rule with its values."""
        with self.db.read() as conn:
            found = billing_queries.explain(conn, call_sid.strip())
        if found is None:
            raise NoSuchCallError(f"no call {call_sid!r} in this workspace")
        return found

    # ---------------------------------------------------------------- adjustments
    def adjust(self, call_sid: str, contract: str, field: str, value: str, reason: str,
               author: str) -> ChangeSet:
        """Override one outcome field by hand, with a reason; kept through re-evaluation.

        ``field``: billable / payable (``value`` yes or no) or revenue / payout (an amount,
        ``"$45.00"``); "qualified" and "amount" name the right one for the contract.
        """
        self._refuse_if_reviewer()
        with self.db.write() as conn:
            billing_queries.adjust(conn, call_sid.strip(), contract, field, value,
                                   reason, author, to_epoch(self.clock.now()))
        return ChangeSet.of(Entity.OUTCOMES, adjustments=1)

    def adjustments(self, call_sid: str) -> list[Adjustment]:
        with self.db.read() as conn:
            call_id = conn.exec_driver_sql("SELECT id FROM calls WHERE sid = ?",
                                           (call_sid.strip(),)).scalar()
            if call_id is None:
                raise NoSuchCallError(f"no call {call_sid!r} in this workspace")
            return store.adjustments_of_call(conn, int(call_id))

    def buyer_behaviour(self) -> list[BuyerBehaviour]:
        """Buyers whose answered calls bunch just under their contract's buffer (flagged)."""
        with self.db.read() as conn:
            return billing_queries.buyer_behaviour(conn)


def _read(path: Path) -> str:
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise PpcdeskError(f"cannot read {path}: {exc.strerror or exc}") from exc
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        line = raw.count(b"\n", 0) + 1
        raise ContractFileError([Problem(str(path), line, "", "is not UTF-8 text")]) from None


def terms_lines(terms: Terms) -> Iterator[str]:
    """What a contract reads as, one sentence a line (for the CLI and the page)."""
    yield from readsas.reads_as(terms)
