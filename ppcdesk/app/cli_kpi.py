"""``ppcdesk kpi`` and ``ppcdesk spend``: the KPI catalogue and media spend from a terminal."""

from __future__ import annotations

import argparse
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from ppcdesk.app import bootstrap
from ppcdesk.app.bootstrap import OpenWorkspace
from ppcdesk.app.cli_support import Handler, run_with_bar
from ppcdesk.config.paths import Paths
from ppcdesk.core.errors import DataError
from ppcdesk.core.money import Money, to_micros
from ppcdesk.kpi import catalog
from ppcdesk.kpi.queries import Filters, Period
from ppcdesk.services.kpi_service import KpiReport


def add_parsers(sub: Any, common: argparse.ArgumentParser) -> None:
    """Add ``kpi`` and ``spend`` to the CLI's subcommands."""
    kpi = sub.add_parser("kpi", parents=[common], help="every KPI of the catalogue for a "
                         "period, overall or by a dimension", description="Whole days in "
                         "your zone; default: the 30 days up to the newest call's day.")
    kpi.add_argument("--from", dest="start", type=date.fromisoformat, metavar="YYYY-MM-DD")
    kpi.add_argument("--to", dest="end", type=date.fromisoformat, metavar="YYYY-MM-DD")
    kpi.add_argument("--by", choices=catalog.DIMENSIONS, help="break down by this")
    kpi.add_argument("--tz", metavar="ZONE", help="count days and hours in this zone "
                     "(default: Settings)")
    kpi.add_argument("--rebuild", action="store_true", help="rebuild the KPI rollups first")
    spend = sub.add_parser("spend", parents=[common], help="enter or import media spend")
    actions = spend.add_subparsers(dest="action", metavar="ACTION", required=True,
                                   parser_class=type(spend))
    imp = actions.add_parser("import", parents=[common], help="import a CSV with date, "
                             "campaign, publisher, amount (and optionally source)")
    imp.add_argument("file", type=Path)
    add = actions.add_parser("add", parents=[common], help="enter one day's spend")
    add.add_argument("--date", required=True, type=date.fromisoformat, metavar="YYYY-MM-DD")
    add.add_argument("--amount", required=True, help="e.g. 1250.00")
    add.add_argument("--campaign", help="campaign name")
    add.add_argument("--publisher", help="publisher name")
    add.add_argument("--source", default="", help="e.g. Google Ads")


def _open(args: argparse.Namespace, paths: Paths, purpose: str) -> OpenWorkspace:
    path = args.db if args.db is not None else paths.default_db
    return bootstrap.open_workspace(path, paths, purpose=purpose)


def cmd_kpi(args: argparse.Namespace, paths: Paths) -> dict[str, Any]:
    workspace = _open(args, paths, purpose="kpi")
    try:
        services = workspace.services
        zone = args.tz or services.zone()
        if args.rebuild or not services.kpi.rollups_ready():
            run_with_bar(services.kpi.rebuild_job(services.zone()))
        end = args.end or services.kpi.newest_day(zone) or services.today()
        start = args.start or end - timedelta(days=29)
        report = services.kpi.report(Period(start, end, zone), Filters(), args.by)
    finally:
        workspace.close()
    return {"from": start.isoformat(), "to": end.isoformat(), "zone": zone, "by": args.by,
            "rows": [{"key": r.key, "label": r.label, **r.values} for r in report.rows],
            "_text": _text(report)}


def _text(report: KpiReport) -> str:
    period = report.period
    head = f"KPIs {period.start} to {period.end} ({period.zone})"
    if report.by is None:
        row = report.rows[0]
        lines = [head]
        for group in catalog.Group:
            lines.append(f"\n{group.value}")
            lines += [f"  {k.label:<30}{catalog.show(k.unit, row.values[k.key]):>18}"
                      for k in catalog.FIGURES if k.group is group]
        return "\n".join(lines)
    keys = ("total_calls", "answer_rate", "billable_rate", "conversion_rate", "revenue",
            "profit", "rpm")
    cols = [catalog.BY_KEY[k] for k in keys]
    lines = [f"{head}, by {report.by}",
             f"{report.by:<28}" + "".join(f"{k.label[:14]:>15}" for k in cols)]
    lines += [f"{r.label[:28]:<28}" + "".join(f"{catalog.show(k.unit, r.values[k.key]):>15}"
                                             for k in cols) for r in report.rows]
    lines.append("(--json gives every KPI)")
    return "\n".join(lines)


def cmd_spend(args: argparse.Namespace, paths: Paths) -> dict[str, Any]:
    workspace = _open(args, paths, purpose="spend")
    try:
        kpi = workspace.services.kpi
        if args.action == "import":
            changes = run_with_bar(kpi.import_spend_job(args.file))
            n = changes.counts.get("spend", 0)
            return {"file": str(args.file), "rows": n,
                    "_text": f"Imported {n:,} days of spend from {args.file.name}."}
        ids = {}
        for kind, name, rows in (("campaign", args.campaign, workspace.services.campaigns()),
                                 ("publisher", args.publisher, workspace.services.publishers())):
            found = [r.id for r in rows if name and r.name.casefold() == name.casefold()]
            if name and not found:
                raise DataError(f"no {kind} named {name!r}", field=kind)
            ids[kind] = found[0] if found else None
        micros = to_micros(args.amount)
        kpi.add_spend(args.date, micros, campaign_id=ids["campaign"],
                      publisher_id=ids["publisher"], source=args.source)
        return {"date": args.date.isoformat(), "amount_micros": micros,
                "_text": f"Spend of {Money(micros).format()} on {args.date} saved."}
    finally:
        workspace.close()


HANDLERS: dict[str, Handler] = {"kpi": cmd_kpi, "spend": cmd_spend}
