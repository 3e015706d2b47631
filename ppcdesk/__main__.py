"""``python -m ppcdesk``: no command opens the window; a command runs headless, without Qt."""

from __future__ import annotations

import sys


def main(argv: list[str] | None = None) -> int:
    from ppcdesk.app.cli import main as cli_main
    from ppcdesk.app.cli import wants_gui

    args = sys.argv[1:] if argv is None else argv
    if wants_gui(args):
        return gui_main(args)
    return cli_main(args)


def gui_main(argv: list[str] | None = None) -> int:
    from ppcdesk.app.gui import run

    return run(sys.argv[1:] if argv is None else argv)


if __name__ == "__main__":
    sys.exit(main())
