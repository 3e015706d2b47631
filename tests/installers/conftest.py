"""installers/ is a folder of scripts, not a package: put it on the path for these tests."""

from __future__ import annotations

import sys
from pathlib import Path

INSTALLERS = Path(__file__).resolve().parents[2] / "installers"
if str(INSTALLERS) not in sys.path:
    sys.path.insert(0, str(INSTALLERS))
