"""Reconciliation for the UI and the CLI: presets, report imports, reconcile, disputes.

Days come in as dates in the workspace's zone (a partner's "October" is October where the
workspace is) and become UTC epoch bounds here.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from ppcdesk.config.atomic import write_text_atomic
from ppcdesk.config.paths import Paths, resources_dir
from ppcdesk.core.clock import Clock, day_start_epoch, to_epoch
from ppcdesk.core.model import DisputeStatus, RecordingFileState
from ppcdesk.core.money import Money
from ppcdesk.core.progress import Job
from ppcdesk.recon import disputes as disputes_mod
from ppcdesk.recon.disputes import DisputeLine, Ledger
from ppcdesk.recon.importers.mapping import BUILTIN_PRESETS, Preset, PresetError, guess_mapping
from ppcdesk.recon.job import (
    ImportPlan,
    ImportSummary,
    Reconciliation,
    ReportFile,
    check_report,
    import_report,
    plan_import,
    read_report,
    reconcile,
)
from ppcdesk.recon.records import Tolerance
from ppcdesk.recon.report import Difference, differences_csv
from ppcdesk.reports import evidence as evidence_mod
from ppcdesk.reports import statements
from ppcdesk.reports.csv_export import write_statement_csv
from ppcdesk.reports.statements import Statement
from ppcdesk.storage import recon_store, repositories
from ppcdesk.storage.db import Database

DEFAULT_ZONE = "America/New_York"


# Where the audio is on this computer: downloaded, or the only copy left (deleted on Twilio).
LOCAL_AUDIO = frozenset({RecordingFileState.CACHED, RecordingFileState.LOCAL_ONLY})


class ReconService:
    """Presets, report imports, reconcile and disputes over one database."""

    def __init__(self, db: Database, paths: Paths, clock: Clock) -> None:
        self.db = db
        self.paths = paths
        self.clock = clock

    # ---------------------------------------------------------------- presets
    def presets(self) -> list[Preset]:
        """The built-in presets, then the workspace's own (which may replace a built-in)."""
        with self.db.read() as conn:
            own = [Preset.from_json(body) for body in recon_store.presets(conn)]
        names = {p.name for p in own}
        return [p for p in BUILTIN_PRESETS if p.name not in names] + own

    def preset(self, name: str) -> Preset:
        for preset in self.presets():
            if preset.name == name:
                return preset
        known = ", ".join(p.name for p in self.presets())
        raise PresetError(f"no preset named {name!r} (there are: {known})")

    def save_preset(self, preset: Preset) -> None:
        preset.mapping.check()
        with self.db.write() as conn:
            recon_store.save_preset(conn, preset.name, preset.partner, preset.to_json(),
                                    to_epoch(self.clock.now()))

    def delete_preset(self, name: str) -> bool:
        with self.db.write() as conn:
            return recon_store.delete_preset(conn, name)

    def partners(self) -> list[str]:
        with self.db.read() as conn:
            return [r[0] for r in conn.exec_driver_sql(
                "SELECT name FROM buyers UNION SELECT name FROM publishers ORDER BY 1")]

    # ---------------------------------------------------------------- import, reconcile
    def plan_import(self, path: Path, preset: Preset, sheet: str | None = None) -> ImportPlan:
        """Read and check a report (the wizard's preview; nothing is written)."""
        return plan_import(path, preset, sheet=sheet)

    def read_report(self, path: Path, sheet: str | None = None) -> ReportFile:
        """Read a report into cells, encoding and delimiter detected (the wizard's preview)."""
        return read_report(path, sheet=sheet)

    def check_report(self, report: ReportFile, preset: Preset) -> ImportPlan:
        """Check every line of a read report with ``preset`` (the wizard's validation)."""
        return check_report(report, preset)

    def guess_preset(self, report: ReportFile) -> Preset:
        """A first mapping from the report's header words, for a partner with no preset."""
        return Preset("", guess_mapping(report.table.header))

    def import_job(self, plan: ImportPlan, *, partner: str = "",
                   good_rows: bool = False) -> Job[ImportSummary]:
        return import_report(self.db, plan, self.clock, partner=partner, good_rows=good_rows)

    def zone(self) -> str:
        with self.db.read() as conn:
            workspace = repositories.workspace(conn)
        return workspace.timezone if workspace is not None else DEFAULT_ZONE

    def period(self, first: date, last: date) -> tuple[int, int]:
        """``[first 00:00, the day after last 00:00)`` in the workspace's zone, UTC seconds."""
        zone = self.zone()
        return day_start_epoch(first, zone), day_start_epoch(last + timedelta(days=1), zone)

    def reconcile_job(self, partner: str, first: date, last: date,
                      tolerance: Tolerance | None = None) -> Job[Reconciliation]:
        start, end = self.period(first, last)
        return reconcile(self.db, partner, start, end, self.clock, tolerance)

    # ---------------------------------------------------------------- statements
    def statement(self, party: str, first: date, last: date) -> Statement:
        """What ``party`` owes us (a buyer) or we owe them (a publisher), call by call."""
        start, end = self.period(first, last)
        with self.db.read() as conn:
            who = recon_store.party(conn, party)
            rows = recon_store.statement_rows(conn, who, start, end)
            workspace = repositories.workspace(conn)
        name = workspace.name if workspace is not None else "ppcdesk"
        return statements.statement(name, who.name, who.kind, first, last, self.zone(),
                                    list(rows))

    def write_statement(self, doc: Statement, *, csv_path: Path | None = None,
                        pdf_path: Path | None = None,
                        pdf: evidence_mod.PdfWriter | None = None) -> list[Path]:
        """Write ``doc`` as CSV and/or PDF (``pdf`` renders HTML: the UI's Qt writer)."""
        written: list[Path] = []
        if csv_path is not None:
            write_statement_csv(csv_path, doc)
            written.append(csv_path)
        if pdf_path is not None:
            if pdf is None:
                raise ValueError("a PDF needs a writer")
            pdf(statements.to_html(doc), pdf_path)
            written.append(pdf_path)
        return written

    def export_differences(self, path: Path, differences: list[Difference]) -> Path:
        """Write differences as CSV (times in the workspace's zone), atomically."""
        write_text_atomic(path, differences_csv(differences, self.zone()))
        return path

    # ---------------------------------------------------------------- evidence
    def evidence(self, call_id: int) -> evidence_mod.Evidence:
        """What the evidence packet of call ``call_id`` shows."""
        with self.db.read() as conn:
            parts = recon_store.evidence_rows(conn, call_id)
            workspace = repositories.workspace(conn)
        if not parts["call"]:
            raise disputes_mod.DisputeError(f"no call #{call_id}")
        sid, caller, called, status, started, ended, duration, connected, buyer = (
            parts["call"][0])
        recording = None
        for _rsid, state, local in parts["recording"]:
            if local and state == "bundled":
                recording = resources_dir() / str(local)
            elif local and state in LOCAL_AUDIO:
                recording = self.paths.recordings / str(local)
        return evidence_mod.Evidence(
            workspace.name if workspace is not None else "ppcdesk", self.zone(), sid, caller,
            called, status, started, ended, duration, connected, buyer,
            tuple(evidence_mod.Leg(*row) for row in parts["legs"]),
            tuple(evidence_mod.Decision(str(n), int(v), str(t), bool(q), int(a), str(r))
                  for n, v, t, q, a, r in parts["decisions"]),
            tuple(evidence_mod.TheirLine(*row) for row in parts["their_lines"]),
            recording)

    def write_evidence(self, call_id: int, folder: Path, pdf: evidence_mod.PdfWriter, *,
                       seconds: int | None = None, as_zip: bool = False) -> Path:
        """Write call ``call_id``'s evidence packet (``pdf`` renders HTML: the UI's writer)."""
        return evidence_mod.write_packet(self.evidence(call_id), folder, pdf, seconds=seconds,
                                         as_zip=as_zip)

    # ---------------------------------------------------------------- disputes
    def call_id(self, sid: str) -> int:
        """Our call's id from its SID (or a forwarded leg's)."""
        with self.db.read() as conn:
            found = recon_store.call_by_sid(conn, sid.strip())
        if found is None:
            raise disputes_mod.DisputeError(f"no call {sid} in this workspace")
        return found

    def window_days(self, partner: str) -> int:
        """The partner's dispute window: from the first preset that names them."""
        for preset in self.presets():
            if preset.partner.lower() == partner.lower():
                return preset.dispute_window_days
        return disputes_mod.DEFAULT_WINDOW_DAYS

    def open_dispute(self, partner: str, *, call_id: int | None, reason: str,
                     claimed_micros: int, import_id: int | None = None) -> DisputeLine:
        """Open a dispute about a call (or a line with none); the deadline follows the window."""
        now = to_epoch(self.clock.now())
        zone = self.zone()
        with self.db.write() as conn:
            who = recon_store.party(conn, partner)
            started = recon_store.call_start(conn, call_id) if call_id is not None else None
            day = disputes_mod.deadline(started, now, self.window_days(who.name), zone)
            new_id = recon_store.insert_dispute(
                conn, who, call_id=call_id, import_id=import_id, reason=reason,
                claimed=max(0, claimed_micros), deadline=day, now=now)
        return self.dispute(new_id)

    def open_from_difference(self, partner: str, difference: Difference) -> DisputeLine:
        """Open a dispute claiming what a difference puts at stake."""
        reason = f"{difference.kind.label}: {difference.detail}"
        if difference.line is not None:
            reason += f" (their line {difference.line})"
        return self.open_dispute(partner, call_id=difference.call_id, reason=reason,
                                 claimed_micros=difference.at_stake_micros)

    def set_status(self, dispute_id: int, status: DisputeStatus,
                   recovered_micros: int | None = None) -> DisputeLine:
        line = self.dispute(dispute_id)
        recovered = disputes_mod.recovered_for(status, line.claimed_micros, recovered_micros)
        with self.db.write() as conn:
            recon_store.update_dispute(conn, dispute_id, str(status), recovered,
                                       to_epoch(self.clock.now()))
        return replace(line, status=status, recovered_micros=recovered)

    def dispute(self, dispute_id: int) -> DisputeLine:
        with self.db.read() as conn:
            rows = recon_store.disputes(conn, dispute_id)
        if not rows:
            raise disputes_mod.DisputeError(f"no dispute #{dispute_id}")
        return _line(rows[0])

    def ledger(self) -> Ledger:
        with self.db.read() as conn:
            return disputes_mod.ledger([_line(r) for r in recon_store.disputes(conn)])

    def due_disputes(self, within_days: int = 7) -> list[DisputeLine]:
        """Open or submitted disputes due within ``within_days`` (the dashboard reminder)."""
        today = self.clock.now().astimezone(ZoneInfo(self.zone())).date().isoformat()
        return disputes_mod.due(list(self.ledger().lines), today, within_days)

    def due_reminder(self, within_days: int = 7, *, shown: int = 3) -> str:
        """The reminder line for the dashboard and the status bar ("" when nothing is due).

        Example: "2 disputes to file or chase: #1 Silverline Health Partners $25.00 due
        2026-11-18 (past due); #3 Peak Leads Co $38.00 due 2026-11-25". Open or submitted
        disputes due within ``within_days``, or already past due, soonest first.
        """
        due = sorted(self.due_disputes(within_days), key=lambda d: (d.deadline or "", d.id))
        if not due:
            return ""
        today = self.clock.now().astimezone(ZoneInfo(self.zone())).date().isoformat()
        items = [f"#{d.id} {d.partner} {Money(d.claimed_micros)} due {d.deadline}"
                 + (" (past due)" if (d.deadline or "") < today else "") for d in due[:shown]]
        more = f"; and {len(due) - shown} more" if len(due) > shown else ""
        word = "dispute" if len(due) == 1 else "disputes"
        return f"{len(due)} {word} to file or chase: {'; '.join(items)}{more}"


def _line(row: tuple[object, ...]) -> DisputeLine:
    did, call_id, sid, partner, status, reason, claimed, recovered, deadline, opened = row
    return DisputeLine(int(str(did)), None if call_id is None else int(str(call_id)),
                       None if sid is None else str(sid), str(partner),
                       DisputeStatus(str(status)), str(reason), int(str(claimed)),
                       int(str(recovered)), None if deadline is None else str(deadline),
                       int(str(opened)))
