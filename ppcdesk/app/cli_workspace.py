"""``ppcdesk workspace copy|login|logout``: move a workspace, keep a server's password.

``copy`` moves a whole workspace between a SQLite file and a PostgreSQL database (either way,
or file to file) and prints each table's row count and checksum on both sides. ``login``
stores a PostgreSQL password in the OS keyring, where ``--db postgresql://...`` and the window
find it; it is never written to a file of ppcdesk's, and never taken from the command line
(argv is visible to every user of the machine and lands in shell history).
"""

from __future__ import annotations

import argparse
import getpass
import sys
import time
from dataclasses import asdict
from pathlib import Path
from typing import Any

from ppcdesk.app import bootstrap
from ppcdesk.app.cli_support import Handler, run_with_bar
from ppcdesk.config.paths import Paths
from ppcdesk.core.errors import NoSecretBackendError, PpcdeskError
from ppcdesk.services import server_login
from ppcdesk.services.server_login import LoginError
from ppcdesk.storage import copy, dialect
from ppcdesk.storage.db import Database

NO_KEYRING = ("no OS keyring is available on this machine, so the password was not stored. "
              "Without one, libpq reads it from PGPASSWORD (for one shell: export PGPASSWORD) "
              "or from ~/.pgpass (a line host:port:database:user:password, chmod 600)")


class PasswordInputError(PpcdeskError):
    """No password to read: no --password-stdin and no terminal to ask on."""


def add_parsers(sub: Any, common: argparse.ArgumentParser) -> None:
    """Add ``workspace copy``, ``workspace login`` and ``workspace logout`` to the CLI."""
    workspace = sub.add_parser("workspace", parents=[common], help="copy a workspace between "
                               "SQLite and PostgreSQL; keep a server's password in the keyring")
    actions = workspace.add_subparsers(dest="action", metavar="ACTION", required=True,
                                       parser_class=type(workspace))
    copy_ = actions.add_parser(
        "copy", parents=[common], help="copy every table of a workspace into an empty one, "
        "then compare row counts and checksums", description="Copy a workspace: SRC and DST "
        "are each a database file or a postgresql://USER@HOST:PORT/DATABASE URL. DST is "
        "created and upgraded to the newest schema; it must be empty (or --replace). "
        "Nothing is written to DST unless every table arrives intact.")
    copy_.add_argument("--from", dest="source", required=True, metavar="SRC",
                       type=bootstrap.workspace_target, help="the workspace to copy")
    copy_.add_argument("--to", dest="destination", required=True, metavar="DST",
                       type=bootstrap.workspace_target, help="where to copy it")
    copy_.add_argument("--replace", action="store_true",
                       help="delete what DST holds first (in the same transaction)")
    login_help = "store a PostgreSQL workspace's password in the OS keyring and test it"
    for name, text in (("login", login_help),
                       ("logout", "remove that password from the keyring")):
        action = actions.add_parser(name, parents=[common], help=text)
        action.add_argument("url", metavar="URL", help="postgresql://USER@HOST:PORT/DATABASE")
        if name == "login":
            action.add_argument("--password-stdin", action="store_true",
                                help="read the password from the first line of stdin")


def cmd_workspace(args: argparse.Namespace, paths: Paths) -> dict[str, Any]:
    action = {"copy": _copy, "login": _login, "logout": _logout}[args.action]
    return action(args, paths)


# ------------------------------------------------------------------ copy
def _copy(args: argparse.Namespace, paths: Paths) -> dict[str, Any]:
    if isinstance(args.destination, Path) and not args.replace:
        # A file that holds a workspace is refused before it is locked or upgraded.
        peek = Database(args.destination)
        try:
            held = copy.holdings(peek)
        finally:
            peek.dispose()
        if held:
            raise copy.DestinationNotEmptyError(
                f"{args.destination} is not empty: it holds {copy.describe(held)}. Copy into "
                "a new file, or add --replace to delete what it holds first")
    source = bootstrap.open_workspace(args.source, paths, purpose="workspace copy (source)",
                                      writable=False)
    try:
        target = bootstrap.open_workspace(args.destination, paths,
                                          purpose="workspace copy (destination)")
        try:
            started = time.perf_counter()
            report: copy.CopyReport = run_with_bar(copy.copy_job(
                source.db, target.db, replace=args.replace))
            seconds = time.perf_counter() - started
        finally:
            target.close()
    finally:
        source.close()
    return {"source": report.source, "destination": report.destination,
            "committed": report.committed, "rows": report.rows, "seconds": round(seconds, 2),
            "mismatched": report.mismatched,
            "tables": [{**asdict(t), "ok": t.ok} for t in report.tables],
            "_failed": not report.committed, "_text": _report_text(report, seconds)}


def _report_text(report: copy.CopyReport, seconds: float) -> str:
    head = f"{'table':<22}{'rows':>11}{'copied':>11}  {'sha-256 (source)':<16}  sha-256 (copy)"
    lines = [head, *(f"{t.table:<22}{t.source_rows:>11,}{t.destination_rows:>11,}  "
                     f"{t.source_sha256[:16]}  {t.destination_sha256[:16]}"
                     f"{'' if t.ok else '  DIFFERS'}" for t in report.tables)]
    if report.committed:
        lines.append(f"\nCopied {report.rows:,} rows of {len(report.tables)} tables from "
                     f"{report.source} to {report.destination} in {seconds:.1f} s; every "
                     "table's rows and checksum match.")
    else:
        lines.append(f"\nThe copy differs from {report.source} in "
                     f"{', '.join(report.mismatched)}: nothing was written to "
                     f"{report.destination}.")
    return "\n".join(lines)


# ------------------------------------------------------------------ login / logout
def _server_url(text: str) -> Any:
    if not dialect.is_url(text):
        raise PpcdeskError(f"{text!r} is not a PostgreSQL URL: a password is only needed "
                           "for postgresql://USER@HOST:PORT/DATABASE")
    url = dialect.parse_url(text)
    if url.password is not None:
        raise PpcdeskError("leave the password out of the URL (shell history keeps it); "
                           "`ppcdesk workspace login` asks for it")
    if not url.username:
        raise PpcdeskError(f"{dialect.display(url)} names no user: "
                           "postgresql://USER@HOST:PORT/DATABASE")
    return url


def _read_password(args: argparse.Namespace, who: str) -> str:
    if args.password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    elif sys.stdin.isatty():
        password = getpass.getpass(f"Password for {who} (not shown): ")
    else:
        raise PasswordInputError("no password: run in a terminal to be asked for it, or pipe "
                                 "it in with --password-stdin")
    if not password:
        raise PasswordInputError("the password is empty; nothing was stored")
    return password


def _login(args: argparse.Namespace, _paths: Paths) -> dict[str, Any]:
    url = _server_url(args.url)
    display = dialect.display(url)
    password = _read_password(args, f"{url.username} at {url.host or 'localhost'}")
    error: LoginError | None = None
    try:
        revision = server_login.check_login(display, password)
    except LoginError as exc:
        if "refused the password" in str(exc):
            raise LoginError(f"{exc}; nothing was stored") from exc
        revision, error = "", exc  # kept: the server may just be down for now
    if not server_login.keyring_available():
        raise NoSecretBackendError(NO_KEYRING + (f" (the password itself works on {display})"
                                                 if error is None else f". Also: {error}"))
    server_login.remember_password(display, password)
    if error is not None:
        return {"url": display, "stored": True, "ok": False, "_failed": True,
                "_text": f"Stored the password for {display} in the OS keyring, but {error}."}
    what = (f"a ppcdesk workspace (schema {revision})" if revision else
            "an empty database: ppcdesk creates the workspace when you open it")
    return {"url": display, "stored": True, "ok": True, "schema": revision or None,
            "_text": f"Connected to {display}: {what}. The password is stored in the OS "
                     f"keyring; `ppcdesk --db {display} info` and the window use it."}


def _logout(args: argparse.Namespace, _paths: Paths) -> dict[str, Any]:
    display = dialect.display(_server_url(args.url))
    if not server_login.keyring_available():
        raise NoSecretBackendError("no OS keyring is available on this machine: no password "
                                   "of ppcdesk's is stored here (check PGPASSWORD and "
                                   "~/.pgpass)")
    had = server_login.forget_password(display)
    return {"url": display, "removed": had,
            "_text": (f"Removed the password for {display} from the OS keyring." if had else
                      f"No password for {display} was stored in the OS keyring.")}


HANDLERS: dict[str, Handler] = {"workspace": cmd_workspace}
