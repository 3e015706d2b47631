"""One resolver for every folder; PPCDESK_HOME keeps everything under one folder."""

from __future__ import annotations

from pathlib import Path

import pytest
from ppcdesk.config import paths


def test_ppcdesk_home_puts_every_folder_under_it(ppcdesk_home: Path) -> None:
    resolved = paths.resolve()
    home = ppcdesk_home.resolve()
    for folder in (resolved.data, resolved.config, resolved.cache, resolved.logs,
                   resolved.backups, resolved.recordings, resolved.default_db, resolved.demo_db,
                   resolved.log_file):
        assert folder.is_relative_to(home), folder
    assert len({resolved.data, resolved.config, resolved.cache, resolved.logs}) == 4


def test_an_explicit_home_wins_over_the_environment(tmp_path: Path) -> None:
    resolved = paths.resolve(tmp_path / "portable")
    assert resolved.data == (tmp_path / "portable" / "data").resolve()


def test_without_an_override_the_platform_folders_are_used(
        monkeypatch: pytest.MonkeyPatch, ppcdesk_home: Path) -> None:
    monkeypatch.delenv("PPCDESK_HOME")
    resolved = paths.resolve()
    assert not resolved.data.is_relative_to(ppcdesk_home)
    assert "ppcdesk" in str(resolved.data)


def test_the_fixture_isolates_this_test_from_the_real_profile(ppcdesk_home: Path) -> None:
    # Guard for the autouse fixture itself: a test run must never resolve the real profile.
    assert paths.resolve().data.is_relative_to(ppcdesk_home.resolve())


def test_ensure_creates_the_folders(ppcdesk_home: Path) -> None:
    resolved = paths.resolve().ensure()
    assert all(p.is_dir() for p in (resolved.data, resolved.config, resolved.cache,
                                     resolved.logs))


def test_resources_are_found_in_a_checkout() -> None:
    assert (paths.resources_dir() / "demo_audio").is_dir()
