"""The reconciliation jobs: import a partner's report; reconcile a partner's period.

Both are generator jobs (``ppcdesk.core.progress``). The import writes the import record and
every good line in one transaction: all of it or none of it. Reconcile reads both sides, runs
the pure matcher and difference report, and stores what it made of each line (the pairing and
its evidence), replacing what an earlier reconcile of the same lines stored.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ppcdesk.core.changes import ChangeSet, Entity
from ppcdesk.core.clock import Clock, to_epoch
from ppcdesk.core.errors import DataError, PpcdeskError
from ppcdesk.core.progress import Job, Progress
from ppcdesk.recon.importers.mapping import Preset
from ppcdesk.recon.importers.parse import ParseResult, RowError, parse_table
from ppcdesk.recon.importers.reader import Table, read_table
from ppcdesk.recon.match import MatchResult, match
from ppcdesk.recon.records import Expected, LocalCall, PartnerRow, Tolerance, Verdict
from ppcdesk.recon.report import DifferenceReport, build_report
from ppcdesk.storage import recon_store
from ppcdesk.storage.db import Database
from ppcdesk.storage.recon_store import Party

CHUNK = 5_000
_VERDICTS = {str(v): v for v in Verdict}  # a dict look-up: Verdict(text) costs ~3 us
SHOWN_ERRORS = 20


class BadRowsError(DataError):
    """Some lines cannot be read and the user chose to import all or nothing: nothing was."""

    def __init__(self, source: str, errors: tuple[RowError, ...], total: int) -> None:
        shown = "\n  ".join(str(e) for e in errors[:SHOWN_ERRORS])
        more = (f"\n  ... and {len(errors) - SHOWN_ERRORS:,} more"
                if len(errors) > SHOWN_ERRORS else "")
        super().__init__(f"{len(errors):,} of {total:,} rows cannot be read, so nothing was "
                         f"imported (import the good rows, or fix these):\n  {shown}{more}",
                         source=source)
        self.errors = errors


class AlreadyImportedError(PpcdeskError):
    """The same file was already imported for the same partner."""


@dataclass(frozen=True, slots=True)
class ImportPlan:
    """A report read and checked, not yet stored: what the wizard previews."""

    path: Path
    sha256: str
    table: Table
    preset: Preset
    parsed: ParseResult


@dataclass(frozen=True, slots=True)
class ImportSummary:
    import_id: int
    partner: str
    rows_ok: int
    rows_failed: int
    errors: tuple[RowError, ...]


@dataclass(frozen=True, slots=True)
class Reconciliation:
    party: Party
    start: int
    end: int
    tolerance: Tolerance
    result: MatchResult
    report: DifferenceReport


@dataclass(frozen=True, slots=True)
class ReportFile:
    """A report read into cells, not yet checked against a mapping (the wizard's preview)."""

    path: Path
    sha256: str
    table: Table


def read_report(path: Path, *, sheet: str | None = None) -> ReportFile:
    """Read ``path`` (encoding and delimiter detected); its hash tells a re-import apart."""
    data = path.read_bytes()
    return ReportFile(path, hashlib.sha256(data).hexdigest(), read_table(path, sheet=sheet))


def check_report(report: ReportFile, preset: Preset) -> ImportPlan:
    """Check every line of a read report with ``preset``'s mapping."""
    return ImportPlan(report.path, report.sha256, report.table, preset,
                      parse_table(report.table, preset.mapping))


def plan_import(path: Path, preset: Preset, *, sheet: str | None = None) -> ImportPlan:
    """Read and check ``path`` with ``preset`` (no database needed: the wizard's preview)."""
    return check_report(read_report(path, sheet=sheet), preset)


def import_report(db: Database, plan: ImportPlan, clock: Clock, *, partner: str = "",
                  good_rows: bool = False) -> Job[ImportSummary]:
    """Store ``plan``'s good lines for ``partner`` (default: the preset's), all or nothing.

    With bad lines and ``good_rows`` False, nothing is written (BadRowsError lists them).
    """
    parsed = plan.parsed
    if parsed.errors and not good_rows:
        raise BadRowsError(plan.table.source, parsed.errors, parsed.total)
    name = partner or plan.preset.partner
    if not name:
        raise PpcdeskError(f"whose report is {plan.table.source}? Name the partner (the preset "
                           f"{plan.preset.name!r} names none)")
    rows = parsed.rows
    yield Progress(0, len(rows), f"Importing {plan.table.source}")
    with db.write() as conn:
        who = recon_store.party(conn, name)
        earlier = recon_store.import_with_hash(conn, plan.sha256, who.name)
        if earlier is not None:
            raise AlreadyImportedError(f"{plan.table.source} was already imported for "
                                       f"{who.name} (import #{earlier[0]}); undo that first")
        import_id = recon_store.insert_import(
            conn, file_name=plan.path.name, sha256=plan.sha256, partner=who.name,
            preset=plan.preset.name, total=parsed.total, ok=len(rows),
            failed=len(parsed.errors), now=to_epoch(clock.now()))
        for done in range(0, len(rows), CHUNK):
            recon_store.insert_rows(conn, import_id, rows[done:done + CHUNK])
            yield Progress(min(done + CHUNK, len(rows)), len(rows),
                           f"Importing {plan.table.source}")
    return ImportSummary(import_id, who.name, len(rows), len(parsed.errors), parsed.errors)


def import_changes(summary: ImportSummary) -> ChangeSet:
    return ChangeSet.of(Entity.IMPORTS, imports=1, lines=summary.rows_ok)


def reconcile(db: Database, partner: str, start: int, end: int, clock: Clock,
              tolerance: Tolerance | None = None) -> Job[Reconciliation]:
    """Match ``partner``'s lines in [start, end) with our calls; store the pairings."""
    tol = tolerance or Tolerance()
    slack = tol.time_s + tol.shift_hours * 3600
    yield Progress(0, 4, f"Reading {partner}'s report")
    with db.read() as conn:
        who = recon_store.party(conn, partner)
        stored = recon_store.partner_rows(conn, who.name, start, end)
        rows = [PartnerRow(f[0], f[1], f[2], f[3], f[4], _VERDICTS[f[5]], f[6], f[7], f[8],
                           ref) for ref, f in stored]
        yield Progress(1, 4, "Reading our calls")
        probes = {(r.caller, r.started_at) for r in rows if r.caller}
        ids = {r.call_id for r in rows if r.call_id}
        calls = list(map(LocalCall._make, recon_store.local_calls(conn, probes, ids, slack)))
        expected = fold_outcomes(recon_store.outcomes(conn, who, start - slack, end + slack))
    yield Progress(2, 4, "Matching")
    result = match(rows, calls, tol)
    report = build_report(result, expected, (start, end))
    yield Progress(3, 4, "Storing the pairings")
    with db.write() as conn:
        recon_store.replace_matches(conn, [ref for ref, _fields in stored],
                                    _match_rows(result), to_epoch(clock.now()))
    return Reconciliation(who, start, end, tol, result, report)


def fold_outcomes(rows: list[tuple[Any, ...]]) -> dict[int, Expected]:
    """One Expected per call: several contracts with one partner add up."""
    found: dict[int, Expected] = {}
    for cid, sid, caller, at, qualified, micros, flags in rows:
        before = found.get(cid)
        if before is None:
            found[cid] = Expected(cid, sid, caller, at, bool(qualified), micros, flags)
        else:
            found[cid] = before._replace(qualified=before.qualified or bool(qualified),
                                         amount_micros=before.amount_micros + micros,
                                         flags=before.flags | flags)
    return found


def _match_rows(result: MatchResult) -> list[
        tuple[int, int | None, str, int, int, str]]:
    out: list[tuple[int, int | None, str, int, int, str]] = [
        (p.row.ref, p.call.id, str(p.kind), p.time_diff_s, p.shift_s, p.evidence())
        for p in result.pairings]
    out.extend((row.ref, None, "ambiguous", 0, 0, ", ".join(
        str(c.call.id) for c in cands)) for row, cands in result.ambiguous)
    out.extend((row.ref, None, "unmatched", 0, 0, "") for row in result.unmatched)
    out.extend((row.ref, None, "duplicate", 0, 0, f"repeats line {first}")
               for row, first in result.duplicates)
    return out
