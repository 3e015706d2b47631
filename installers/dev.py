#!/usr/bin/env python3
"""Set up a development environment and run ppcdesk or its tests. Standard library only.

    python3 installers/dev.py run     # make .venv, install ppcdesk, open the window
    python3 installers/dev.py test    # make .venv with test tools, run every check headless

Extra arguments after ``run`` go to ppcdesk (``run -- --db my.sqlite``); after ``test``, to pytest.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENV = Path(os.environ.get("PPCDESK_VENV", ROOT / ".venv"))
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PY = BIN / ("python.exe" if os.name == "nt" else "python")
# Prism serves Twilio's API description to tests/telephony/test_prism.py (../shared/twilio).
PRISM = "@stoplight/prism-cli@5.14.2"
PRISM_DIR = ROOT / ".cache" / "prism"


def say(text: str) -> None:
    print(f"[dev] {text}", flush=True)


def sh(*args: str | Path, env: dict[str, str] | None = None) -> None:
    say(" ".join(str(a) for a in args))
    code = subprocess.call([str(a) for a in args], cwd=ROOT, env=env)
    if code:
        say(f"failed with exit code {code}")
        sys.exit(code)


def ensure_venv(extras: str) -> None:
    """Create .venv and install ppcdesk editable; skip the install when nothing changed."""
    if sys.version_info < (3, 11):  # noqa: UP036 - this script runs on any python3
        sys.exit(f"ppcdesk needs Python 3.11 or newer; this is {sys.version.split()[0]}")
    if not PY.exists():
        say(f"creating {VENV}")
        venv.EnvBuilder(with_pip=True, upgrade_deps=False).create(VENV)
    stamp = VENV / f".installed-{extras or 'app'}"
    digest = hashlib.sha256((ROOT / "pyproject.toml").read_bytes()).hexdigest()
    if stamp.exists() and stamp.read_text() == digest:
        return
    target = f".[{extras}]" if extras else "."
    sh(PY, "-m", "pip", "install", "--disable-pip-version-check", "-q", "-e", target)
    stamp.write_text(digest)


def ensure_prism() -> None:
    """Install Prism under .cache/prism for tests/telephony/test_prism.py, once.

    Prism serves Twilio's own API description (../shared/twilio). Without npm this only says
    so: the Prism tests then skip, or fail under CI=true, with the reason.
    """
    if (PRISM_DIR / "node_modules" / ".bin" / "prism").exists():
        return
    npm = shutil.which("npm")
    if npm is None:
        say("npm not found: the Prism tests will not run (Debian: apt-get install nodejs npm)")
        return
    PRISM_DIR.mkdir(parents=True, exist_ok=True)
    code = subprocess.call([npm, "install", "--prefix", str(PRISM_DIR), "--no-audit",
                            "--no-fund", PRISM], cwd=ROOT)
    if code:
        say(f"installing Prism failed with exit code {code}; the Prism tests will not run")


def run(args: list[str]) -> None:
    ensure_venv("")
    os.chdir(ROOT)
    sys.exit(subprocess.call([str(PY), "-m", "ppcdesk", *args]))


def test(args: list[str]) -> None:
    ensure_venv("dev")
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", PYTHONDONTWRITEBYTECODE="1",
               NO_PROXY="127.0.0.1,localhost")
    sh(PY, "-m", "ruff", "check", "ppcdesk", "tests", "benchmarks", "installers", env=env)
    sh(PY, "-m", "mypy", env=env)
    sh(BIN / "lint-imports", env=env)
    ensure_prism()
    # 1. Everything but the UI, with Qt blocked: proves the core runs without PySide6.
    sh(PY, "-m", "pytest", "-p", "no:pytest-qt", "--ignore=tests/ui", *args,
       env=dict(env, PPCDESK_BLOCK_QT="1"))
    # 2. The UI tests, offscreen.
    sh(PY, "-m", "pytest", "tests/ui", *args, env=env)


def main() -> None:
    if len(sys.argv) < 2 or sys.argv[1] not in {"run", "test"}:
        sys.exit(__doc__)
    command, rest = sys.argv[1], [a for a in sys.argv[2:] if a != "--"]
    {"run": run, "test": test}[command](rest)


if __name__ == "__main__":
    main()
