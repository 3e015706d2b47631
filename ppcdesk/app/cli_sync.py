"""``ppcdesk account ...`` and ``ppcdesk sync``: Twilio accounts and the sync from a terminal.

A secret never comes from the command line (argv is visible to every user of the machine and
lands in shell history): ``account add`` reads it from ``PPCDESK_TWILIO_SECRET`` or asks for it
without echo. Scripts that never add an account set ``TWILIO_ACCOUNT_SID`` and
``TWILIO_AUTH_TOKEN`` (or ``TWILIO_API_KEY`` and ``TWILIO_API_SECRET``) and run ``sync``.
"""

from __future__ import annotations

import argparse
import getpass
import os
import sys
import time
from dataclasses import asdict
from datetime import UTC, date, datetime
from typing import Any

from ppcdesk.app import bootstrap
from ppcdesk.app.bootstrap import OpenWorkspace
from ppcdesk.app.cli_support import Handler
from ppcdesk.config.paths import Paths
from ppcdesk.core.errors import NoSecretBackendError, PpcdeskError
from ppcdesk.core.model import AccountRow, SyncSummary

SECRET_ENV = "PPCDESK_TWILIO_SECRET"  # noqa: S105 - the variable's name, not a secret


class SecretInputError(PpcdeskError):
    """No secret to read: no PPCDESK_TWILIO_SECRET, and no terminal to ask on."""


def add_parsers(sub: Any, common: argparse.ArgumentParser) -> None:
    """Add ``account`` and ``sync`` to the CLI's subcommands."""
    account = sub.add_parser("account", parents=[common], help="add, list, test or remove "
                             "the Twilio accounts this workspace syncs")
    actions = account.add_subparsers(dest="action", metavar="ACTION", required=True,
                                     parser_class=type(account))
    add = actions.add_parser("add", parents=[common], help="add an account (or give it new "
                             f"credentials); the secret comes from ${SECRET_ENV} or a prompt")
    add.add_argument("--sid", required=True, metavar="AC...", help="the Account SID")
    add.add_argument("--api-key", metavar="SK...", help="sign in with this API key (recommended: "
                     "revocable on its own); the secret is then the key's secret, else the "
                     "account's auth token")
    add.add_argument("--label", default="", help="a name to show for the account")
    add.add_argument("--since", type=date.fromisoformat, metavar="YYYY-MM-DD",
                     help="where the first sync starts (default: 30 days back)")
    add.add_argument("--session-only", action="store_true", help="where there is no OS "
                     "keyring: keep the secret in memory for this command only")
    actions.add_parser("list", parents=[common], help="the accounts and their last sync")
    remove = actions.add_parser("remove", parents=[common],
                                help="forget an account and its secret (its calls stay)")
    remove.add_argument("sid", metavar="SID")
    test = actions.add_parser("test", parents=[common], help="sign in to Twilio and say "
                              "exactly what is wrong, if anything")
    test.add_argument("sid", nargs="?", metavar="SID", help="default: the only account")

    sync = sub.add_parser("sync", parents=[common], help="bring numbers, calls, legs and "
                          "recordings from Twilio", description="Sync every account (or the "
                          "one named) from where the last sync stopped; a stopped sync "
                          "resumes where it was.")
    sync.add_argument("--since", type=date.fromisoformat, metavar="YYYY-MM-DD",
                      help="sync from this day (in your zone) instead of the checkpoint")
    sync.add_argument("--no-media", action="store_true", help="skip the audio downloads")
    sync.add_argument("--account", metavar="SID", help="only this account")


def _open(args: argparse.Namespace, paths: Paths, purpose: str) -> OpenWorkspace:
    path = args.db if args.db is not None else paths.default_db
    return bootstrap.open_workspace(path, paths, purpose=purpose)


def _account_id(workspace: OpenWorkspace, sid: str | None) -> int | None:
    if sid is None:
        return None
    for row in workspace.services.accounts():
        if row.account_sid == sid.strip():
            return row.id
    raise PpcdeskError(f"no account {sid} in {workspace.db.display} (see `ppcdesk account list`)")


def _read_secret(what: str) -> str:
    secret = os.environ.get(SECRET_ENV)
    if secret:
        return secret
    if not sys.stdin.isatty():
        raise SecretInputError(f"no {what}: set {SECRET_ENV}, or run in a terminal to be "
                               "asked for it")
    return getpass.getpass(f"{what} (not shown): ")


def _when(epoch: int | None) -> str:
    return "-" if epoch is None else datetime.fromtimestamp(epoch, UTC).strftime(
        "%Y-%m-%d %H:%M UTC")


def _account_dict(row: AccountRow) -> dict[str, Any]:
    return {**asdict(row), "auth_kind": str(row.auth_kind)}


def cmd_account(args: argparse.Namespace, paths: Paths) -> dict[str, Any]:
    workspace = _open(args, paths, purpose=f"account {args.action}")
    try:
        return {"add": _add, "list": _list, "remove": _remove, "test": _test}[args.action](
            args, workspace)
    finally:
        workspace.close()


def _add(args: argparse.Namespace, workspace: OpenWorkspace) -> dict[str, Any]:
    services = workspace.services
    what = "API key secret" if args.api_key else "auth token"
    secret = _read_secret(what)
    credentials = ({"api_key_sid": args.api_key, "api_key_secret": secret} if args.api_key
                   else {"auth_token": secret})
    try:
        row = services.add_account(args.sid, label=args.label, sync_from=args.since,
                                   session_only=args.session_only, **credentials)
    except NoSecretBackendError as exc:
        raise NoSecretBackendError(f"{exc}; add --session-only to use it for this command "
                                   "only") from exc
    where = ("kept for this command only: later syncs need TWILIO_* variables or a keyring"
             if args.session_only else "stored in the OS keyring")
    label = f" ({row.label})" if row.label else ""
    kind = f"API key {row.api_key_sid}" if row.api_key_sid else "the auth token"
    return {"account": _account_dict(row),
            "_text": f"Added {row.account_sid}{label}, signing in with {kind}; the secret is "
                     f"{where}.\nCheck it with `ppcdesk account test`."}


def _list(_args: argparse.Namespace, workspace: OpenWorkspace) -> dict[str, Any]:
    rows = workspace.services.accounts()
    env = workspace.services.environment_account_sid()
    lines = [f"{'SID':<34}  {'label':<20} {'signs in with':<36} {'secret':<7} last sync"]
    for row in rows:
        kind = f"API key {row.api_key_sid}" if row.api_key_sid else "auth token"
        lines.append(f"{row.account_sid:<34}  {row.label[:20]:<20} {kind:<36} "
                     f"{'yes' if row.secret_available else 'MISSING':<7} "
                     f"{_when(row.last_sync_at)}")
    if not rows:
        lines = ["No Twilio account yet: `ppcdesk account add --sid AC...`"]
    if env and all(r.account_sid != env for r in rows):
        lines.append(f"TWILIO_ACCOUNT_SID names {env}: `ppcdesk sync` will add and sync it.")
    return {"accounts": [_account_dict(r) for r in rows], "environment_account": env,
            "_text": "\n".join(lines)}


def _remove(args: argparse.Namespace, workspace: OpenWorkspace) -> dict[str, Any]:
    account_id = _account_id(workspace, args.sid)
    assert account_id is not None  # noqa: S101 - args.sid is required
    workspace.services.remove_account(account_id)
    return {"removed": args.sid.strip(),
            "_text": f"Removed {args.sid.strip()} and its secret; its calls stay."}


def _test(args: argparse.Namespace, workspace: OpenWorkspace) -> dict[str, Any]:
    status = workspace.services.test_connection(_account_id(workspace, args.sid))
    return {**asdict(status), "ok": True,
            "_text": f"OK: {status.sid} ({status.friendly_name}) is {status.status}."}


def cmd_sync(args: argparse.Namespace, paths: Paths) -> dict[str, Any]:
    from ppcdesk.app.cli_support import run_with_bar

    workspace = _open(args, paths, purpose="sync")
    try:
        services = workspace.services
        account_id = _account_id(workspace, args.account)
        started = time.perf_counter()
        changes = run_with_bar(services.sync_job(account_id, since=args.since,
                                                 media=not args.no_media))
        seconds = time.perf_counter() - started
        summaries = [s for s in (services.last_sync_summary(a.id) for a in services.accounts()
                                 if account_id is None or a.id == account_id) if s is not None]
    finally:
        workspace.close()
    counts = dict(changes.counts)
    reasons: dict[str, int] = {}
    for summary in summaries:
        for reason, n in summary.skipped_reasons.items():
            reasons[reason] = reasons.get(reason, 0) + n
    return {"database": workspace.db.display, "seconds": round(seconds, 2), **counts,
            "skipped_reasons": reasons, "accounts": [asdict(s) for s in summaries],
            "_text": _summary_text(counts, reasons, summaries, seconds)}


def _summary_text(counts: dict[str, int], reasons: dict[str, int],
                  summaries: list[SyncSummary], seconds: float) -> str:
    plural = "s" if len(summaries) != 1 else ""
    head = f"Synced {len(summaries)} account{plural} in {seconds:.1f} s (rows added or changed):"
    figures = [f"  {key:<11}{counts.get(key, 0):>10,}" for key in (
        "numbers", "calls", "legs", "recordings", "downloaded", "skipped")]
    why = [f"    {n:>8,}  {reason.replace('_', ' ')}" for reason, n in sorted(reasons.items())]
    where = [f"{s.account_sid}: {s.legs_seen:,} legs seen on {s.pages:,} pages, calls up to "
             f"{_when(s.window_to)}" for s in summaries]
    return "\n".join([head, *figures, *why, *where])


HANDLERS: dict[str, Handler] = {"account": cmd_account, "sync": cmd_sync}
