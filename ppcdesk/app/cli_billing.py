"""``ppcdesk contracts ...``, ``evaluate``, ``whatif``, ``explain``: billing from a terminal."""

from __future__ import annotations

import argparse
from typing import Any

from ppcdesk.app.cli_support import Handler


def add_parsers(sub: Any, common: argparse.ArgumentParser) -> None:
    """Add this module's subcommands to the CLI."""


HANDLERS: dict[str, Handler] = {}
