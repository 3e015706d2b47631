"""``ppcdesk reports import``, ``reconcile``, ``disputes`` and ``statements``: recon headless.

``reports import FILE --preset NAME`` reads a partner's report; with bad rows it imports
nothing and lists them (one line each: row, column, value, why) unless ``--good-rows``.
``reconcile --partner NAME --from DAY --to DAY`` matches that period and prints the
difference report (``--csv FILE`` writes it). ``disputes list`` prints the ledger.
"""

from __future__ import annotations

import argparse
from dataclasses import asdict
from datetime import date
from pathlib import Path
from typing import Any

from ppcdesk.app import bootstrap
from ppcdesk.app.bootstrap import OpenWorkspace
from ppcdesk.app.cli_support import Handler, run_with_bar
from ppcdesk.config.atomic import write_text_atomic
from ppcdesk.config.paths import Paths
from ppcdesk.core.clock import from_epoch
from ppcdesk.core.errors import PpcdeskError
from ppcdesk.core.model import DisputeStatus
from ppcdesk.core.money import Money, to_micros
from ppcdesk.recon.records import Tolerance
from ppcdesk.recon.report import DifferenceReport, DiffKind, differences_csv
from ppcdesk.reports.csv_export import write_statement_csv
from ppcdesk.reports.statements import to_html

_DEFAULT = Tolerance()


def add_parsers(sub: Any, common: argparse.ArgumentParser) -> None:
    """Add ``reports``, ``reconcile`` and ``disputes``."""
    reports = sub.add_parser("reports", parents=[common], help="import partners' reports")
    actions = reports.add_subparsers(dest="action", metavar="ACTION", required=True,
                                     parser_class=type(reports))
    imp = actions.add_parser("import", parents=[common], help="import a partner's report "
                             "(CSV or XLSX) with a column preset")
    imp.add_argument("file", type=Path, metavar="FILE")
    imp.add_argument("--preset", required=True, help="column preset (see `reports presets`)")
    imp.add_argument("--partner", default="", help="whose report (default: the preset's)")
    imp.add_argument("--sheet", help="the workbook's sheet (default: the first)")
    imp.add_argument("--good-rows", action="store_true",
                     help="import the rows that can be read even if some cannot")
    actions.add_parser("presets", parents=[common], help="the column presets")

    rec = sub.add_parser("reconcile", parents=[common], help="match a partner's report with "
                         "our calls and contracts; print every difference and what is at stake")
    rec.add_argument("--partner", required=True, help="the buyer or publisher")
    rec.add_argument("--from", dest="first", type=date.fromisoformat, required=True,
                     metavar="YYYY-MM-DD", help="first day (in the workspace's zone)")
    rec.add_argument("--to", dest="last", type=date.fromisoformat, required=True,
                     metavar="YYYY-MM-DD", help="last day, included")
    rec.add_argument("--time-tolerance", type=int, default=_DEFAULT.time_s, metavar="S",
                     help=f"start times may differ by this much (default {_DEFAULT.time_s})")
    rec.add_argument("--duration-tolerance", type=int, default=_DEFAULT.duration_s,
                     metavar="S", help="durations may differ by this much "
                     f"(default {_DEFAULT.duration_s})")
    rec.add_argument("--csv", type=Path, metavar="FILE", help="write the differences here")

    disputes = sub.add_parser("disputes", parents=[common], help="disputes and their ledger")
    dactions = disputes.add_subparsers(dest="action", metavar="ACTION", required=True,
                                       parser_class=type(disputes))
    listing = dactions.add_parser("list", parents=[common], help="every dispute and the totals")
    listing.add_argument("--status", choices=[str(s) for s in DisputeStatus])
    opening = dactions.add_parser("open", parents=[common], help="open a dispute")
    opening.add_argument("--partner", required=True)
    opening.add_argument("--call", metavar="SID", help="the call (our SID)")
    opening.add_argument("--claim", required=True, metavar="AMOUNT", help='e.g. "25.00"')
    opening.add_argument("--reason", required=True)
    setting = dactions.add_parser("set", parents=[common], help="change a dispute's status")
    setting.add_argument("id", type=int)
    setting.add_argument("status", choices=[str(s) for s in DisputeStatus])
    setting.add_argument("--recovered", metavar="AMOUNT")
    evidence = dactions.add_parser(
        "evidence", parents=[common], help="write a dispute's (or a call's) evidence packet: "
        "PDF, recording, SHA-256 manifest")
    evidence.add_argument("id", type=int, nargs="?", help="the dispute (or give --call)")
    evidence.add_argument("--call", metavar="SID", help="a call instead of a dispute")
    evidence.add_argument("--out", type=Path, required=True, metavar="FOLDER",
                          help="the packet's folder (created; with --zip, FOLDER.zip too)")
    evidence.add_argument("--zip", action="store_true", help="also write FOLDER.zip")
    evidence.add_argument("--seconds", type=int, metavar="N",
                          help="only the recording's first N seconds")

    statements = sub.add_parser("statements", parents=[common], help="period statements")
    sactions = statements.add_subparsers(dest="action", metavar="ACTION", required=True,
                                         parser_class=type(statements))
    write = sactions.add_parser("write", parents=[common], help="write one partner's "
                                "statement for a period (CSV and/or PDF)")
    write.add_argument("--party", required=True, help="the buyer or publisher")
    write.add_argument("--from", dest="first", type=date.fromisoformat, required=True,
                       metavar="YYYY-MM-DD")
    write.add_argument("--to", dest="last", type=date.fromisoformat, required=True,
                       metavar="YYYY-MM-DD", help="last day, included")
    write.add_argument("--pdf", type=Path, metavar="FILE", help="write a PDF here")
    write.add_argument("--csv", type=Path, metavar="FILE", help="write a CSV here")


def _open(args: argparse.Namespace, paths: Paths, purpose: str) -> OpenWorkspace:
    path = args.db if args.db is not None else paths.default_db
    return bootstrap.open_workspace(path, paths, purpose=purpose)


def cmd_reports(args: argparse.Namespace, paths: Paths) -> dict[str, Any]:
    workspace = _open(args, paths, purpose=f"reports {args.action}")
    try:
        recon = workspace.services.recon
        if args.action == "presets":
            presets = recon.presets()
            lines = [f"{p.name:<20} {p.partner or '-':<28} {p.mapping.date_format:<4} "
                     f"{p.mapping.timezone}" + (" (built in)" if p.builtin else "")
                     for p in presets]
            return {"presets": [{"name": p.name, "partner": p.partner, "builtin": p.builtin,
                                 "mapping": asdict(p.mapping)} for p in presets],
                    "_text": "\n".join(lines)}
        plan = recon.plan_import(args.file, recon.preset(args.preset), sheet=args.sheet)
        summary = run_with_bar(recon.import_job(plan, partner=args.partner,
                                                good_rows=args.good_rows))
    finally:
        workspace.close()
    errors = [str(e) for e in summary.errors]
    text = (f"Imported {summary.rows_ok:,} lines of {args.file.name} for {summary.partner} "
            f"(import #{summary.import_id}; read as {plan.table.encoding}"
            f"{', ' + repr(plan.table.delimiter) if plan.table.delimiter else ''})")
    if errors:
        text += f"; {len(errors):,} rows skipped:\n  " + "\n  ".join(errors[:20])
    return {"import_id": summary.import_id, "partner": summary.partner,
            "rows_ok": summary.rows_ok, "rows_failed": summary.rows_failed,
            "encoding": plan.table.encoding, "delimiter": plan.table.delimiter,
            "errors": errors, "_text": text}


def cmd_reconcile(args: argparse.Namespace, paths: Paths) -> dict[str, Any]:
    if args.last < args.first:
        raise PpcdeskError(f"--to {args.last} is before --from {args.first}")
    workspace = _open(args, paths, purpose="reconcile")
    try:
        recon = workspace.services.recon
        tolerance = Tolerance(time_s=args.time_tolerance, duration_s=args.duration_tolerance)
        done = run_with_bar(recon.reconcile_job(args.partner, args.first, args.last,
                                                tolerance))
        zone = recon.zone()
    finally:
        workspace.close()
    report = done.report
    if args.csv:
        write_text_atomic(args.csv, differences_csv(report.differences, zone))
    totals = report.totals
    differences = [{**asdict(d), "kind": str(d.kind)} for d in report.differences]
    return {"partner": done.party.name, "from": args.first.isoformat(),
            "to": args.last.isoformat(), "tolerance": asdict(done.tolerance),
            "totals": asdict(totals), "counts": report.counts(),
            "paired": len(done.result.pairings), "differences": differences,
            "_text": _report_text(done.party.name, args, report, zone)}


def _report_text(partner: str, args: argparse.Namespace, report: DifferenceReport,
                 zone: str) -> str:
    t = report.totals
    lines = [(f"{partner}, {args.first} to {args.last}: {t.lines:,} lines of theirs, "
             f"{t.calls_expected:,} billable calls of ours"),
             (f"  expected {Money(t.expected_micros)}   paid {Money(t.paid_micros)}   "
             f"at stake {Money(t.at_stake_micros)}"), ""]
    for kind in DiffKind:
        found = report.of_kind(kind)
        if not found:
            continue
        lines.append(f"{kind.label} ({len(found)}):")
        for d in found[:50]:
            when = from_epoch(d.started_at, zone).strftime("%Y-%m-%d %H:%M:%S")
            line = f"line {d.line}" if d.line is not None else "not listed"
            lines.append(f"  {when}  {d.caller or '-':<13} {line:<11} {d.call_sid or '-':<36}"
                         f" at stake {Money(d.at_stake_micros)}: {d.detail}")
        if len(found) > 50:
            lines.append(f"  ... and {len(found) - 50:,} more (--csv FILE writes them all)")
    if not report.differences:
        lines.append("No differences.")
    return "\n".join(lines)


def cmd_disputes(args: argparse.Namespace, paths: Paths) -> dict[str, Any]:
    workspace = _open(args, paths, purpose=f"disputes {args.action}")
    try:
        recon = workspace.services.recon
        if args.action == "open":
            call_id = recon.call_id(args.call) if args.call else None
            line = recon.open_dispute(args.partner, call_id=call_id, reason=args.reason,
                                      claimed_micros=to_micros(args.claim))
            return {"dispute": _dispute_dict(line),
                    "_text": f"Opened dispute #{line.id} for {Money(line.claimed_micros)}, "
                             f"due {line.deadline}"}
        if args.action == "set":
            recovered = to_micros(args.recovered) if args.recovered else None
            line = recon.set_status(args.id, DisputeStatus(args.status), recovered)
            return {"dispute": _dispute_dict(line),
                    "_text": f"Dispute #{line.id} is {line.status}; recovered "
                             f"{Money(line.recovered_micros)} of {Money(line.claimed_micros)}"}
        if args.action == "evidence":
            return _evidence(recon, args)
        ledger = recon.ledger()
    finally:
        workspace.close()
    shown = [d for d in ledger.lines if args.status is None or d.status == args.status]
    lines = [(f"{'#':>4} {'status':<19} {'partner':<24} {'due':<10} {'claimed':>11} "
             f"{'recovered':>11}  reason")]
    lines += [f"{d.id:>4} {d.status:<19} {d.partner[:24]:<24} {d.deadline or '-':<10} "
              f"{Money(d.claimed_micros).format():>11} {Money(d.recovered_micros).format():>11}"
              f"  {d.reason[:60]}" for d in shown]
    lines.append(f"Claimed {Money(ledger.claimed_micros)}, recovered "
                 f"{Money(ledger.recovered_micros)}; {ledger.open_count} open or submitted "
                 f"({Money(ledger.pending_micros)} pending)")
    return {"disputes": [_dispute_dict(d) for d in shown],
            "claimed_micros": ledger.claimed_micros, "recovered_micros": ledger.recovered_micros,
            "open": ledger.open_count, "pending_micros": ledger.pending_micros,
            "_text": "\n".join(lines)}


def cmd_statements(args: argparse.Namespace, paths: Paths) -> dict[str, Any]:
    if not (args.pdf or args.csv):
        raise PpcdeskError("say where: --pdf FILE and/or --csv FILE")
    workspace = _open(args, paths, purpose="statements write")
    try:
        doc = workspace.services.recon.statement(args.party, args.first, args.last)
    finally:
        workspace.close()
    written: dict[str, Any] = {}
    if args.csv:
        write_statement_csv(args.csv, doc)
        written["csv"] = str(args.csv)
    if args.pdf:
        # Qt only here, and only for this: every other command stays free of it.
        from ppcdesk.ui.printing.pdf_writer import write_pdf

        written["pdf_pages"] = write_pdf(to_html(doc), args.pdf,
                                         title=f"{doc.title}: {doc.party}")
        written["pdf"] = str(args.pdf)
    where = " and ".join(str(p) for p in (args.csv, args.pdf) if p)
    return {"party": doc.party, "kind": doc.party_kind, "calls": len(doc.lines),
            "total_micros": doc.total_micros, **written,
            "_text": f"{doc.title} {doc.party}, {args.first} to {args.last}: "
                     f"{len(doc.lines):,} calls, {Money(doc.total_micros)}; wrote {where}"}


def _evidence(recon: Any, args: argparse.Namespace) -> dict[str, Any]:
    if (args.id is None) == (args.call is None):
        raise PpcdeskError("name a dispute (ID) or a call (--call SID), one of them")
    if args.seconds is not None and args.seconds <= 0:
        raise PpcdeskError(f"--seconds must be a positive number, not {args.seconds}")
    if args.id is not None:
        dispute = recon.dispute(args.id)
        if dispute.call_id is None:
            raise PpcdeskError(f"dispute #{args.id} is about no call of ours (a line we have "
                               "not seen): there is no call to give evidence of")
        call_id = dispute.call_id
    else:
        call_id = recon.call_id(args.call)
    # Qt only here, and only for this: every other command stays free of it.
    from ppcdesk.ui.printing.pdf_writer import write_pdf

    written = recon.write_evidence(call_id, args.out, lambda html, path: write_pdf(
        html, path, title="Evidence"), seconds=args.seconds, as_zip=args.zip)
    folder = args.out
    files = sorted(p.name for p in folder.iterdir() if p.is_file())
    return {"call_id": call_id, "folder": str(folder), "written": str(written), "files": files,
            "_text": f"Wrote the evidence packet of call #{call_id} to {written} "
                     f"({', '.join(files)}); check it with `sha256sum -c SHA256SUMS`"}


def _dispute_dict(line: Any) -> dict[str, Any]:
    return {**asdict(line), "status": str(line.status)}


HANDLERS: dict[str, Handler] = {"reports": cmd_reports, "reconcile": cmd_reconcile,
                                "disputes": cmd_disputes, "statements": cmd_statements}
