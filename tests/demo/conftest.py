"""Fixtures of the demo's specifications (helpers: demo_support)."""

from __future__ import annotations

from pathlib import Path

import pytest
from demo_support import demo


@pytest.fixture(scope="session")
def demo_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One demo of demo_support.CALLS calls (seed 7, ending END) for tests that only read it."""
    path = tmp_path_factory.mktemp("demo") / "demo.sqlite"
    demo(path)
    return path
