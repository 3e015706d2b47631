"""The frozen program's entry: the same ``main`` as ``python -m ppcdesk`` and ``ppcdesk``."""

import sys

from ppcdesk.__main__ import main

if __name__ == "__main__":
    sys.exit(main())
