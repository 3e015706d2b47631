"""The command line: ``ppcdesk [--db PATH] COMMAND [--json]``. Never imports Qt (but self-test).

Every command prints a human summary, or one JSON document with ``--json``. Errors print one line
on stderr and exit non-zero: 1 for a ppcdesk error, 2 for bad usage, 130 when interrupted, 70
for a bug (its traceback goes to the log file).
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
import time
from dataclasses import asdict
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from ppcdesk import __version__
from ppcdesk.app import (
    bootstrap,
    cli_billing,
    cli_calls,
    cli_kpi,
    cli_recon,
    cli_sync,
    cli_workspace,
)
from ppcdesk.app.cli_support import Handler, run_with_bar
from ppcdesk.config import settings
from ppcdesk.config.paths import Paths
from ppcdesk.core.errors import PpcdeskError
from ppcdesk.core.progress import CancelledError

log = logging.getLogger(__name__)
EXIT_ERROR, EXIT_USAGE, EXIT_BUG, EXIT_INTERRUPTED = 1, 2, 70, 130
# Each of these modules adds its subcommands (add_parsers) and maps them to handlers (HANDLERS).
COMMAND_MODULES = (cli_sync, cli_billing, cli_kpi, cli_calls, cli_recon, cli_workspace)
GUI_OPTIONS = {"--db", "--home"}


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> Any:  # one clear line, exit 2
        self.exit(EXIT_USAGE, f"ppcdesk: error: {message} (see ppcdesk --help)\n")


def _db_arg(value: str) -> Path | str:
    """--db's value; a malformed URL is refused with its reason (argparse shows only the
    message of an ArgumentTypeError, not a ValueError's)."""
    try:
        return bootstrap.workspace_target(value)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from exc


def build_parser() -> argparse.ArgumentParser:
    # --json is accepted before or after the command. Its default is SUPPRESS (main() fills in
    # False), because a subcommand's defaults overwrite the main parser's values: with
    # default=False, the "info" parser would reset the True that "ppcdesk --json info" set.
    common = _Parser(add_help=False)
    common.add_argument("--json", action="store_true", default=argparse.SUPPRESS,
                        help="print one JSON document")
    parser = _Parser(
        prog="ppcdesk", parents=[common],
        description="ppcdesk: the pay-per-call desk. With no command, opens the window.")
    parser.add_argument("--version", action="version", version=f"ppcdesk {__version__}")
    parser.add_argument("--db", type=_db_arg, metavar="PATH|URL",
                        help="the workspace: a database file, or a PostgreSQL URL "
                        "postgresql://USER@HOST:PORT/DATABASE (default: the main workspace in "
                        "the data folder; the demo command: the demo workspace)")
    parser.add_argument("--home", help="keep every folder under this one (as PPCDESK_HOME)")
    parser.add_argument("-v", "--verbose", action="store_true", help="log to stderr too")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    demo = sub.add_parser("demo", parents=[common], help="write a year of realistic demo calls",
                          description="Write a deterministic demo workspace (a year of calls, "
                          "numbers, partners, spend and recordings) into its own database.")
    demo.add_argument("--calls", type=int, default=50_000, help="inbound calls (default 50000)")
    demo.add_argument("--seed", type=int, default=1, help="random seed (default 1)")
    demo.add_argument("--end", type=date.fromisoformat, metavar="YYYY-MM-DD",
                      help="last day of the year of calls (default: yesterday)")
    demo.add_argument("--replace", action="store_true",
                      help="regenerate a demo database that already has data")

    sub.add_parser("info", parents=[common], help="counts, schema revision and paths")

    selftest = sub.add_parser("self-test", parents=[common],
                              help="check this installation: database, audio, charts, keyring")
    selftest.add_argument("--no-gui", action="store_true",
                          help="skip the checks that need Qt (charts, audio)")
    for module in COMMAND_MODULES:
        module.add_parsers(sub, common)
    return parser


def wants_gui(argv: list[str]) -> bool:
    """No command (only --db/--home) means: open the window.

    Anything else goes to the command line, so a mistyped command ("ppcdesk inf") is told it
    is wrong (exit 2) instead of silently opening a window.
    """
    args = iter(argv)
    for arg in args:
        if arg in GUI_OPTIONS:
            if next(args, None) is None:
                return False  # "--db" without its value: let argparse say so
        elif not any(arg.startswith(option + "=") for option in GUI_OPTIONS):
            return False
    return True


def main(argv: list[str]) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    args.json = getattr(args, "json", False)
    if args.command is None:
        parser.print_help()
        return EXIT_USAGE
    try:
        paths = bootstrap.setup(args.home, stderr_level=logging.INFO if args.verbose else None)
        handlers: dict[str, Handler] = {
            "demo": cmd_demo, "info": cmd_info, "self-test": cmd_self_test}
        for module in COMMAND_MODULES:
            handlers.update(module.HANDLERS)
        handler = handlers[args.command]
        result = handler(args, paths)
    except PpcdeskError as exc:
        log.warning("%s failed: %s", args.command, exc)
        print(f"ppcdesk: error: {exc}", file=sys.stderr)
        return EXIT_ERROR
    except (KeyboardInterrupt, CancelledError):
        print("ppcdesk: interrupted; nothing was half written", file=sys.stderr)
        return EXIT_INTERRUPTED
    except Exception as exc:
        log.exception("unexpected error in %s", args.command)
        print(f"ppcdesk: unexpected error: {exc!r} (details in the log file)", file=sys.stderr)
        return EXIT_BUG
    failed = bool(result.pop("_failed", False))
    text = result.pop("_text", "")
    try:
        if args.json:
            print(json.dumps(result, indent=2, sort_keys=True, default=str))
        elif text:
            print(text)
        sys.stdout.flush()
    except BrokenPipeError:  # "ppcdesk info | head": the reader left; that is not an error
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())  # so the interpreter's final flush stays quiet
    code = EXIT_ERROR if failed else 0
    gui_checks = sys.modules.get("ppcdesk.app.selftest_gui")  # loaded only if they ran
    if gui_checks is not None:
        gui_checks.end_without_teardown(code)  # the audio check's player is never freed
    return code


# ------------------------------------------------------------------ commands
def _db_path(args: argparse.Namespace, paths: Paths, *, demo: bool = False) -> Path | str:
    if args.db is not None:
        return bootstrap.workspace_target(args.db)
    return paths.demo_db if demo else paths.default_db


def today_for_user(paths: Paths, now: datetime) -> date:
    """Today in the user's zone (Settings), the zone the dashboard counts its days in.

    Not UTC's date: at 9 pm in New York it is already tomorrow in UTC, and a demo ending
    "yesterday" by UTC would end today, a day the dashboard does not show yet.
    """
    return now.astimezone(ZoneInfo(settings.load(paths.config).timezone)).date()


def cmd_demo(args: argparse.Namespace, paths: Paths) -> dict[str, Any]:
    from ppcdesk.demo.job import default_end

    end = args.end or default_end(today_for_user(paths, datetime.now(UTC)))
    workspace = bootstrap.open_workspace(_db_path(args, paths, demo=True), paths, purpose="demo")
    try:
        started = time.perf_counter()
        changes = run_with_bar(workspace.services.demo_job(
            calls=args.calls, seed=args.seed, end=end, replace=args.replace))
        seconds = time.perf_counter() - started
    finally:
        workspace.close()
    counts = dict(changes.counts)
    return {
        "database": workspace.db.display, "seed": args.seed, "end": end.isoformat(),
        "seconds": round(seconds, 2), **counts,
        "_text": (f"Wrote a demo year ending {end} into {workspace.db.display}:\n"
                  f"  {counts.get('calls', 0):,} calls, {counts.get('legs', 0):,} forwarded "
                  f"legs, {counts.get('recordings', 0):,} recordings, "
                  f"{counts.get('spend', 0):,} days of media spend ({seconds:.1f} s)"),
    }


def cmd_info(args: argparse.Namespace, paths: Paths) -> dict[str, Any]:
    workspace = bootstrap.open_workspace(_db_path(args, paths), paths, purpose="info",
                                         writable=False)
    try:
        info = workspace.services.info()
    finally:
        workspace.close()
    data = asdict(info)
    data["workspace"] = (asdict(info.workspace) if info.workspace else None)
    data.update(info.counts)  # top-level "calls": N, as scripts expect
    del data["counts"]
    ws = info.workspace
    lines = [
        f"ppcdesk {info.version}",
        f"database  {info.database} ({info.size_bytes / 1e6:,.1f} MB)",
        f"schema    {info.schema_revision or 'none'} (this ppcdesk: {info.schema_head})",
        f"workspace {ws.name + (' [DEMO]' if ws.is_demo else '') + ', ' + ws.role if ws else '-'}",
        "",
        *(f"  {name:<13}{count:>12,}" for name, count in info.counts.items()),
        "",
        *(f"{name:<10}{path}" for name, path in info.paths.items()),
    ]
    return {**data, "_text": "\n".join(lines)}


def cmd_self_test(args: argparse.Namespace, paths: Paths) -> dict[str, Any]:
    from ppcdesk.app.selftest import run_checks

    checks = run_checks(paths, gui=not args.no_gui)
    failed = [c for c in checks if c.status == "fail"]
    text = "\n".join(f"{c.status.upper():<5} {c.name}: {c.detail}" for c in checks)
    skipped = sum(c.status == "skip" for c in checks)
    text += (f"\n{len(checks) - len(failed) - skipped} passed, {len(failed)} failed, "
             f"{skipped} skipped")
    return {"checks": [asdict(c) for c in checks], "ok": not failed, "_failed": bool(failed),
            "_text": text}
