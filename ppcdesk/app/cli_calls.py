"""``ppcdesk calls ...`` and ``recordings ...``: the call log and its recordings from a terminal.

The filters are the calls page's: ``--from/--to`` days in your zone, ``--status``, names of a
campaign, publisher or buyer, a tracking number, a state, and yes/no switches.
"""

from __future__ import annotations

import argparse
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from ppcdesk.app import bootstrap
from ppcdesk.app.bootstrap import OpenWorkspace
from ppcdesk.app.cli_support import Handler, run_with_bar
from ppcdesk.config.paths import Paths
from ppcdesk.core.clock import day_start_epoch
from ppcdesk.core.errors import PpcdeskError
from ppcdesk.core.phone import normalize
from ppcdesk.core.reasons import Reason
from ppcdesk.services.app_services import AppServices
from ppcdesk.services.review_service import (
    CallFilter,
    CallSort,
    RetentionPolicy,
    delete_warning,
)

_SWITCHES = (("recording", "has_recording", "have a recording"),
             ("reviewed", "reviewed", "were reviewed"),
             ("disputed", "disputed", "are flagged disputed"),
             ("billable", "billable", "some contract bills"),
             ("duplicate", "duplicate", "billing found to be duplicates"),
             ("under-buffer", "under_buffer", "connected for less than the buffer"))


def _filters(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("filters (the calls page's)")
    group.add_argument("--from", dest="day_from", type=date.fromisoformat, metavar="YYYY-MM-DD")
    group.add_argument("--to", dest="day_to", type=date.fromisoformat, metavar="YYYY-MM-DD",
                       help="last day, included")
    group.add_argument("--status", action="append", default=[], metavar="STATUS",
                       help="Twilio status (repeatable): completed, no-answer, busy, ...")
    group.add_argument("--campaign", metavar="NAME")
    group.add_argument("--publisher", metavar="NAME")
    group.add_argument("--buyer", metavar="NAME")
    group.add_argument("--number", metavar="E164", help="the tracking number dialled")
    group.add_argument("--state", metavar="XX", help="the caller's state")
    group.add_argument("--reason", choices=[str(r) for r in Reason],
                       help="an outcome with this reason")
    group.add_argument("--search", default="", help="caller number (or part) or call SID")
    for flag, dest, text in _SWITCHES:
        group.add_argument(f"--{flag}", dest=dest, action="store_true", default=None,
                           help=f"only calls that {text}")
        group.add_argument(f"--not-{flag}", dest=dest, action="store_false",
                           help="the opposite")


def add_parsers(sub: Any, common: argparse.ArgumentParser) -> None:
    """Add ``calls`` and ``recordings`` to the CLI's subcommands."""
    calls = sub.add_parser("calls", parents=[common], help="export or import the call log")
    actions = calls.add_subparsers(dest="action", metavar="ACTION", required=True,
                                   parser_class=type(calls))
    export = actions.add_parser("export", parents=[common], help="write the filtered calls "
                                "as ppcdesk's call CSV (newest first)")
    export.add_argument("--csv", required=True, type=Path, metavar="FILE")
    export.add_argument("--reveal", action="store_true", help="write callers' numbers in "
                        "full even when masking is on (needed to import the file again)")
    _filters(export)
    imp = actions.add_parser("import", parents=[common], help="read ppcdesk's call CSV "
                             "(every row is checked before anything is stored)")
    imp.add_argument("file", type=Path, metavar="FILE.csv")

    recordings = sub.add_parser("recordings", parents=[common],
                                help="download recordings, and keep the cache in bounds")
    ractions = recordings.add_subparsers(dest="action", metavar="ACTION", required=True,
                                         parser_class=type(recordings))
    fetch = ractions.add_parser("fetch", parents=[common], help="download the audio of the "
                                "filtered calls' recordings")
    fetch.add_argument("--delete-on-twilio", action="store_true",
                       help="then delete on Twilio each recording whose downloaded copy "
                            "checks out (size and SHA-256): it cannot be undone, and needs "
                            "--yes")
    fetch.add_argument("--yes", action="store_true",
                       help="confirm --delete-on-twilio")
    _filters(fetch)
    policy = ractions.add_parser("policy", parents=[common], help="show or set the cache's "
                                 "size limit and retention")
    policy.add_argument("--max-mb", type=int, metavar="MB", help="0: no limit")
    policy.add_argument("--keep-days", type=int, metavar="DAYS", help="0: keep forever")
    ractions.add_parser("prune", parents=[common], help="apply the policy now: drop audio "
                        "past it, keep every recording's details")


def _open(args: argparse.Namespace, paths: Paths, purpose: str) -> OpenWorkspace:
    path = args.db if args.db is not None else paths.default_db
    return bootstrap.open_workspace(path, paths, purpose=purpose)


def _by_name(rows: list[Any], name: str | None, what: str) -> int | None:
    if name is None:
        return None
    for row in rows:
        if row.name.casefold() == name.strip().casefold():
            return int(row.id)
    raise PpcdeskError(f"no {what} named {name!r} (known: "
                       f"{', '.join(r.name for r in rows) or 'none'})")


def call_filter(args: argparse.Namespace, services: AppServices) -> CallFilter:
    zone = services.zone()
    return CallFilter(
        start=None if args.day_from is None else day_start_epoch(args.day_from, zone),
        end=None if args.day_to is None else day_start_epoch(args.day_to + timedelta(1), zone),
        statuses=tuple(args.status),
        campaign_id=_by_name(services.campaigns(), args.campaign, "campaign"),
        publisher_id=_by_name(services.publishers(), args.publisher, "publisher"),
        buyer_id=_by_name(services.buyers(), args.buyer, "buyer"),
        number=None if args.number is None else normalize(args.number),
        state=None if args.state is None else args.state.upper(),
        reason_flags=0 if args.reason is None else int(Reason(args.reason).flag),
        search=args.search, **{dest: getattr(args, dest) for _f, dest, _t in _SWITCHES})


def cmd_calls(args: argparse.Namespace, paths: Paths) -> dict[str, Any]:
    workspace = _open(args, paths, purpose=f"calls {args.action}")
    try:
        review = workspace.services.review
        if args.action == "export":
            masked = workspace.services.settings().mask_callers and not args.reveal
            rows = run_with_bar(review.export_job(args.csv, call_filter(args, workspace.services),
                                                  CallSort(), masked=masked))
            hidden = " (callers masked: --reveal to write them in full)" if masked else ""
            return {"file": str(args.csv), "rows": rows, "masked": masked,
                    "_text": f"Wrote {rows:,} calls to {args.csv}{hidden}."}
        changes = run_with_bar(review.import_job(args.file))
        calls = changes.counts.get("calls", 0)
        return {"file": str(args.file), "rows": calls,
                "_text": f"Imported {calls:,} calls from {args.file}."}
    finally:
        workspace.close()


def cmd_recordings(args: argparse.Namespace, paths: Paths) -> dict[str, Any]:
    workspace = _open(args, paths, purpose=f"recordings {args.action}")
    try:
        services = workspace.services
        review = services.review
        if args.action == "fetch":
            f = call_filter(args, services)
            if args.delete_on_twilio and not args.yes:
                raise PpcdeskError(delete_warning(*review.on_twilio(f)) + " Add --yes to "
                                   "confirm.")
            changes = run_with_bar(review.fetch_recordings_job(f, services.fetch_recording_job))
            got, failed = changes.counts.get("downloaded", 0), changes.counts.get("failed", 0)
            text = (f"Downloaded {got:,} recordings"
                    + (f"; {failed:,} failed (see the log)" if failed else "."))
            if args.delete_on_twilio:
                deleted = run_with_bar(services.delete_on_twilio_job(f))
                changes = changes | deleted
                kept = deleted.counts.get("unverified", 0) + deleted.counts.get("failed", 0)
                failed += deleted.counts.get("failed", 0)
                text += (f" Deleted {deleted.counts.get('deleted_on_twilio', 0):,} on Twilio"
                         + (f"; {kept:,} kept there (see the log)." if kept else "."))
            return {**changes.counts, "_failed": failed > 0, "_text": text}
        if args.action == "policy":
            policy = review.retention_policy()
            if args.max_mb is not None or args.keep_days is not None:
                policy = RetentionPolicy(
                    policy.max_megabytes if args.max_mb is None else args.max_mb,
                    policy.keep_days if args.keep_days is None else args.keep_days,
                    delete_on_twilio=policy.delete_on_twilio)
                review.save_retention_policy(policy)
            size = services.recordings_cache_bytes()
            limit = f"{policy.max_megabytes:,} MB" if policy.max_megabytes else "no limit"
            keep = f"{policy.keep_days:,} days" if policy.keep_days else "forever"
            return {"max_megabytes": policy.max_megabytes, "keep_days": policy.keep_days,
                    "cache_bytes": size, "_text": f"Cache: {size / 1e6:,.1f} MB; limit "
                                                  f"{limit}; audio kept {keep}."}
        changes = run_with_bar(review.apply_retention_job())
        expired, freed = changes.counts.get("expired", 0), changes.counts.get("freed_bytes", 0)
        return {**changes.counts, "_text": f"Dropped the audio of {expired:,} recordings "
                                           f"({freed / 1e6:,.1f} MB); their details stay."}
    finally:
        workspace.close()


HANDLERS: dict[str, Handler] = {"calls": cmd_calls, "recordings": cmd_recordings}
