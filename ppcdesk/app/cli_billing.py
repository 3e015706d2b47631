"""``ppcdesk contracts ...``, ``evaluate``, ``whatif``, ``explain``: billing from a terminal.

A contract file with problems exits 1 and lists every problem as ``file:line: key: why``
(with ``--json``: a ``problems`` list); nothing of it is imported.
"""

from __future__ import annotations

import argparse
import dataclasses
import time
from datetime import date
from pathlib import Path
from typing import Any

from ppcdesk.app import bootstrap
from ppcdesk.app.bootstrap import OpenWorkspace
from ppcdesk.app.cli_support import Handler, run_with_bar
from ppcdesk.config.atomic import write_text_atomic
from ppcdesk.config.paths import Paths
from ppcdesk.core.clock import from_epoch
from ppcdesk.services.billing_service import BuyerBehaviour, ContractFileError, Problem


def add_parsers(sub: Any, common: argparse.ArgumentParser) -> None:
    """Add ``contracts``, ``evaluate``, ``whatif`` and ``explain`` to the CLI."""
    contracts = sub.add_parser("contracts", parents=[common], help="import, export, list or "
                               "show the contracts (terms buyers pay and publishers are paid on)")
    actions = contracts.add_subparsers(dest="action", metavar="ACTION", required=True,
                                       parser_class=type(contracts))
    imp = actions.add_parser("import", parents=[common], help="import a contract file (TOML, "
                             "docs/contracts.md): all of it, or nothing if it has a problem")
    imp.add_argument("file", type=Path, metavar="FILE")
    imp.add_argument("--no-evaluate", action="store_true",
                     help="do not bring the outcomes up to date afterwards")
    exp = actions.add_parser("export", parents=[common], help="write one contract (or all) "
                             "with the campaigns, buyers and publishers they name")
    exp.add_argument("name", nargs="?", metavar="NAME")
    exp.add_argument("--out", type=Path, metavar="FILE", help="write here (default: stdout)")
    show = actions.add_parser("show", parents=[common], help="terms, reads-as, versions and "
                              "the buyer's behaviour flag")
    show.add_argument("name", metavar="NAME")
    actions.add_parser("list", parents=[common], help="every contract, one line each")

    evaluate = sub.add_parser("evaluate", parents=[common], help="apply the contracts to the "
                              "calls and store billable/payable outcomes with reasons")
    _days(evaluate)
    evaluate.add_argument("--changed", action="store_true", help="only what changed since "
                          "the last evaluation (what a sync does)")
    whatif = sub.add_parser("whatif", parents=[common], help="apply draft terms to past calls "
                            "without saving: the calls that change and the money it moves")
    whatif.add_argument("file", type=Path, metavar="FILE")
    _days(whatif)
    explain = sub.add_parser("explain", parents=[common],
                             help="why each contract billed (or not) one call, rule by rule")
    explain.add_argument("sid", metavar="CALL_SID")


def _days(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--from", dest="day_from", type=date.fromisoformat,
                        metavar="YYYY-MM-DD", help="first day (in your zone)")
    parser.add_argument("--to", dest="day_to", type=date.fromisoformat, metavar="YYYY-MM-DD",
                        help="last day, included")


def _open(args: argparse.Namespace, paths: Paths, purpose: str, *,
          writable: bool = True) -> OpenWorkspace:
    path = args.db if args.db is not None else paths.default_db
    return bootstrap.open_workspace(path, paths, purpose=purpose, writable=writable)


def _plain(value: Any) -> Any:
    """A JSON-friendly copy of a result (dataclasses and named tuples as dicts)."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, tuple) and hasattr(value, "_asdict"):
        return {k: _plain(v) for k, v in value._asdict().items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    return value


def _money(micros: int) -> str:
    return f"${micros / 1_000_000:,.2f}"


def _problems(exc: ContractFileError) -> dict[str, Any]:
    problems: list[Problem] = exc.problems
    return {"ok": False, "_failed": True,
            "problems": [dataclasses.asdict(p) for p in problems],
            "_text": "\n".join(map(str, problems)) + f"\n{len(problems)} problem"
                     f"{'s' if len(problems) != 1 else ''}; nothing was imported."}


# ---------------------------------------------------------------- contracts
def cmd_contracts(args: argparse.Namespace, paths: Paths) -> dict[str, Any]:
    workspace = _open(args, paths, f"contracts {args.action}",
                      writable=args.action == "import")
    try:
        action = {"import": _import, "export": _export, "show": _show, "list": _list}
        return action[args.action](args, workspace)
    except ContractFileError as exc:
        return _problems(exc)
    finally:
        workspace.close()


def _import(args: argparse.Namespace, workspace: OpenWorkspace) -> dict[str, Any]:
    billing = workspace.services.billing
    started = time.perf_counter()
    result = billing.import_contracts(args.file)
    changes = None
    if not args.no_evaluate:
        changes = run_with_bar(billing.evaluate_job(incremental=True))
    lines = [(f"Imported {args.file}: {len(result.created)} contracts created, "
             f"{len(result.updated)} given a new version, {len(result.unchanged)} unchanged.")]
    lines += [f"  new      {n}" for n in result.created]
    lines += [f"  updated  {n}" for n in result.updated]
    if changes is not None:
        lines.append(f"Evaluated: {changes.counts.get('outcomes', 0):,} outcomes written "
                     f"({time.perf_counter() - started:.1f} s).")
    return {**_plain(result), "ok": True,
            "outcomes": None if changes is None else dict(changes.counts),
            "_text": "\n".join(lines)}


def _export(args: argparse.Namespace, workspace: OpenWorkspace) -> dict[str, Any]:
    text = workspace.services.billing.export_contracts(args.name)
    if args.out is not None:
        write_text_atomic(args.out, text)
        return {"file": str(args.out), "bytes": len(text.encode()),
                "_text": f"Wrote {args.out}."}
    return {"toml": text, "_text": text.rstrip("\n")}


def _list(_args: argparse.Namespace, workspace: OpenWorkspace) -> dict[str, Any]:
    rows = workspace.services.billing.contracts()
    lines = [f"{'contract':<34} {'with':<30} {'campaign':<20} {'price':<24} v"]
    lines += [f"{c.name[:34]:<34} {(c.party + ' (' + c.counterparty_kind + ')')[:30]:<30} "
              f"{(c.campaign or 'any')[:20]:<20} {c.price[:24]:<24} {c.version}" for c in rows]
    if not rows:
        lines = ["No contracts yet: `ppcdesk contracts import FILE` (docs/contracts.md)."]
    return {"contracts": _plain(rows), "_text": "\n".join(lines)}


def _show(args: argparse.Namespace, workspace: OpenWorkspace) -> dict[str, Any]:
    billing = workspace.services.billing
    detail = billing.contract(args.name)
    zone = billing.zone()
    s = detail.summary
    lines = [(f"{s.name}: {s.counterparty_kind} {s.party}, campaign {s.campaign or 'any'}, "
             f"version {s.version}"), "", "Reads as:", *(f"  {line}" for line in s.reads_as),
             "", "Versions:"]
    for v in detail.versions:
        since = "always" if v.effective_from is None else from_epoch(
            v.effective_from, zone).date().isoformat()
        lines.append(f"  v{v.version}  saved {from_epoch(v.created_at, zone):%Y-%m-%d %H:%M}"
                     f"  from {since}{'' if v.in_force else '  (superseded)'}"
                     f"{'  ' + v.note if v.note else ''}")
    if detail.behaviour is not None:
        b = detail.behaviour
        lines += ["", f"Buyer behaviour: {_behaviour_text(b)}"]
    lines += ["", "Terms:", billing.export_contracts(args.name).rstrip("\n")]
    return {**_plain(detail), "_text": "\n".join(lines)}


def _behaviour_text(b: BuyerBehaviour) -> str:
    verdict = "FLAGGED, calls bunch just under the buffer" if b.flagged else "no bunching"
    return (f"{verdict}: {b.just_under:,} answered calls ended in the 15 s before the "
            f"{b.buffer_s} s buffer, {b.just_over:,} in the 15 s after "
            f"(of {b.answered:,} answered calls)")


# ---------------------------------------------------------------- evaluate, whatif, explain
def cmd_evaluate(args: argparse.Namespace, paths: Paths) -> dict[str, Any]:
    workspace = _open(args, paths, "evaluate")
    try:
        started = time.perf_counter()
        changes = run_with_bar(workspace.services.billing.evaluate_job(
            args.day_from, args.day_to, incremental=args.changed))
        seconds = time.perf_counter() - started
    finally:
        workspace.close()
    counts = dict(changes.counts)
    return {**counts, "seconds": round(seconds, 2),
            "_text": f"Evaluated {counts.get('contracts', 0)} contracts in {seconds:.1f} s: "
                     f"{counts.get('outcomes', 0):,} outcomes written or changed, "
                     f"{counts.get('removed', 0):,} removed."}


def cmd_whatif(args: argparse.Namespace, paths: Paths) -> dict[str, Any]:
    workspace = _open(args, paths, "whatif", writable=False)
    try:
        billing = workspace.services.billing
        text = args.file.read_text(encoding="utf-8")
        report = billing.whatif(text, args.day_from, args.day_to, source=str(args.file))
        zone = billing.zone()
    except ContractFileError as exc:
        return _problems(exc)
    finally:
        workspace.close()
    lines = [(f"What if, {from_epoch(report.start, zone):%Y-%m-%d} to "
             f"{from_epoch(report.end - 1, zone):%Y-%m-%d} (nothing saved):")]
    for c in report.contracts:
        lines.append(f"  {c.name}{'' if c.existed else ' (new)'}: {len(c.calls):,} calls "
                     f"change; {_whatif_money(c.result)}")
        lines.extend(f"    {call.sid}  {from_epoch(call.started_at, zone):%Y-%m-%d %H:%M}"
                     f"  {_verdict(call.before)} -> {_verdict(call.after)}"
                     for call in c.calls[:10])
        if len(c.calls) > 10:
            lines.append(f"    ... and {len(c.calls) - 10:,} more (--json lists them all)")
    return {**_plain(report), "_text": "\n".join(lines)}


def _verdict(outcome: Any) -> str:
    if outcome is None:
        return "not covered"
    if outcome.qualified:
        return _money(outcome.amount_micros)
    return "no (" + ", ".join(r.value for r in outcome.reasons) + ")"


def _whatif_money(result: Any) -> str:
    figures = _plain(result)
    moved = {k: v for k, v in figures.items() if k.endswith("_micros")}
    return ", ".join(f"{k.removesuffix('_micros').replace('_', ' ')} {_money(v)}"
                     for k, v in moved.items()) or "no money moves"


def cmd_explain(args: argparse.Namespace, paths: Paths) -> dict[str, Any]:
    workspace = _open(args, paths, "explain", writable=False)
    try:
        billing = workspace.services.billing
        found = billing.explain(args.sid)
        zone = billing.zone()
    finally:
        workspace.close()
    call = found.call
    lines = [(f"{call.sid}: {from_epoch(call.started_at, zone):%Y-%m-%d %H:%M:%S %Z}, "
             f"caller {call.caller} ({call.caller_state or 'state unknown'}), "
             f"campaign {call.campaign or '-'}, publisher {call.publisher or '-'}, "
             f"answered by {call.buyer or 'nobody'}, connected {call.connected_s} s")]
    if not found.contracts:
        lines.append("No contract covers this call.")
    for c in found.contracts:
        what = "billable" if c.counterparty_kind == "buyer" else "payable"
        verdict = f"{what}, {_money(c.amount_micros)}" if c.qualified else f"not {what}"
        lines += ["", f"{c.contract} (v{c.version}): {verdict}"]
        lines += [f"  {_trace_line(t)}" for t in c.trace]
        lines += [f"  * {text}" for code, text in c.reasons if code == "manual"]
    for a in found.adjustments:
        lines.append(f"Adjusted by {a.author} on {from_epoch(a.created_at, zone):%Y-%m-%d}: "
                     f"{a.contract} {a.field} {a.before} -> {a.after} ({a.reason})")
    return {**_plain(found), "_text": "\n".join(lines)}


def _trace_line(trace: Any) -> str:
    text = getattr(trace, "text", None) or getattr(trace, "sentence", None)
    return str(text) if text else str(trace)


HANDLERS: dict[str, Handler] = {"contracts": cmd_contracts, "evaluate": cmd_evaluate,
                                "whatif": cmd_whatif, "explain": cmd_explain}
