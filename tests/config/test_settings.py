"""Settings: a versioned JSON file, read with defaults, refused loudly when it cannot be trusted.

To add an upgrade step (``settings._UPGRADES[n]``, n -> n + 1), add ``test_upgrade_from_v<n>``
here: ``test_every_upgrade_step_has_a_test`` fails until you do.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import pytest
from ppcdesk.config import atomic, settings
from ppcdesk.config.settings import Settings
from ppcdesk.core.errors import DataError


def write_raw(folder: Path, data: Any) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / settings.FILE_NAME
    path.write_text(json.dumps(data), "utf-8")
    return path


def test_a_missing_file_gives_the_defaults(tmp_path: Path) -> None:
    assert settings.load(tmp_path) == Settings()
    assert Settings().timezone == "America/New_York"
    assert Settings().auto_sync_minutes == 0  # auto-sync is off until the user turns it on


def test_what_is_saved_is_what_is_loaded(tmp_path: Path) -> None:
    chosen = Settings().with_changes(
        timezone="America/Phoenix", auto_sync_minutes=15, mask_callers=True,
        last_database="/data/acme.sqlite", recent_databases=("/data/acme.sqlite", "/x.sqlite"))
    settings.save(tmp_path, chosen)
    assert settings.load(tmp_path) == chosen
    on_disk = json.loads((tmp_path / settings.FILE_NAME).read_text("utf-8"))
    assert on_disk["version"] == settings.VERSION


def test_saving_leaves_no_temporary_files(tmp_path: Path) -> None:
    settings.save(tmp_path, Settings())
    settings.save(tmp_path, Settings().with_changes(mask_callers=True))
    assert [p.name for p in tmp_path.iterdir()] == [settings.FILE_NAME]


def test_a_failed_save_keeps_the_old_file_and_no_temporary_file(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    settings.save(tmp_path, Settings().with_changes(auto_sync_minutes=5))

    def disk_full(fd: int) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(atomic.os, "fsync", disk_full)
    with pytest.raises(OSError, match="No space"):
        settings.save(tmp_path, Settings().with_changes(auto_sync_minutes=60))
    monkeypatch.undo()
    assert settings.load(tmp_path).auto_sync_minutes == 5
    assert [p.name for p in tmp_path.iterdir()] == [settings.FILE_NAME]


def test_a_file_from_a_newer_ppcdesk_is_refused_naming_the_file(tmp_path: Path) -> None:
    path = write_raw(tmp_path, {"version": settings.VERSION + 1, "timezone": "UTC"})
    with pytest.raises(DataError, match="newer ppcdesk") as caught:
        settings.load(tmp_path)
    assert str(path) in str(caught.value)
    assert caught.value.field == "version"


@pytest.mark.parametrize("content", ['{"timezone": "UTC"', "", "\x00\x01", "[1, 2]", "42"])
def test_a_broken_file_is_refused_naming_the_file(tmp_path: Path, content: str) -> None:
    path = tmp_path / settings.FILE_NAME
    path.write_text(content, "utf-8")
    with pytest.raises(DataError) as caught:
        settings.load(tmp_path)
    assert str(path) in str(caught.value)


@pytest.mark.parametrize(("field", "value"), [
    ("version", "one"),
    ("version", 0),
    ("timezone", 5),
    ("timezone", "Mars/Olympus_Mons"),
    ("auto_sync_minutes", "15"),
    ("auto_sync_minutes", True),
    ("mask_callers", 1),
    ("recent_databases", "/one/path.sqlite"),
    ("recent_databases", [1, 2]),
])
def test_a_value_of_the_wrong_kind_is_refused_naming_the_field(
        tmp_path: Path, field: str, value: object) -> None:
    path = write_raw(tmp_path, {"version": settings.VERSION, field: value})
    with pytest.raises(DataError) as caught:
        settings.load(tmp_path)
    assert str(path) in str(caught.value)
    assert caught.value.field == field


def test_unknown_keys_are_ignored(tmp_path: Path) -> None:
    write_raw(tmp_path, {"version": settings.VERSION, "mask_callers": True, "theme": "dark"})
    assert settings.load(tmp_path) == Settings(mask_callers=True)


def test_a_file_without_a_version_is_read_as_the_current_one(tmp_path: Path) -> None:
    write_raw(tmp_path, {"mask_callers": True})
    assert settings.load(tmp_path).mask_callers


# ---------------------------------------------------------------- upgrades (Picard's rule)


def untested_upgrades(version: int, steps: Iterable[int],
                      tests: Iterable[str]) -> tuple[list[int], list[int]]:
    """(versions lacking an upgrade step, steps lacking a ``test_upgrade_from_v<n>``)."""
    steps, tests = set(steps), set(tests)
    missing_steps = [v for v in range(1, version) if v not in steps]
    missing_tests = [v for v in range(1, version) if f"test_upgrade_from_v{v}" not in tests]
    return missing_steps, missing_tests


def test_every_upgrade_step_has_a_test() -> None:
    tests = [name for name, value in globals().items() if callable(value)]
    missing_steps, missing_tests = untested_upgrades(
        settings.VERSION, settings._UPGRADES, tests)
    assert not missing_steps, (f"settings.VERSION is {settings.VERSION} but _UPGRADES has no "
                               f"step from version(s) {missing_steps}")
    assert not missing_tests, "add test(s) " + ", ".join(
        f"test_upgrade_from_v{v}" for v in missing_tests) + " to tests/config/test_settings.py"


def test_the_upgrade_rule_catches_a_step_without_a_test() -> None:
    assert untested_upgrades(1, {}, []) == ([], [])
    assert untested_upgrades(3, {1, 2}, ["test_upgrade_from_v1"]) == ([], [2])
    assert untested_upgrades(3, {1}, ["test_upgrade_from_v1", "test_upgrade_from_v2"]) == \
        ([2], [])


def test_upgrade_steps_run_in_order_up_to_the_current_version(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    def v1_to_v2(raw: dict[str, Any]) -> dict[str, Any]:
        raw["mask_callers"] = raw.pop("hide_numbers")
        return raw

    def v2_to_v3(raw: dict[str, Any]) -> dict[str, Any]:
        raw["auto_sync_minutes"] = raw.pop("sync_hours") * 60
        return raw

    steps: dict[int, Callable[[dict[str, Any]], dict[str, Any]]] = {1: v1_to_v2, 2: v2_to_v3}
    monkeypatch.setattr(settings, "VERSION", 3)
    monkeypatch.setattr(settings, "_UPGRADES", steps)
    write_raw(tmp_path, {"version": 1, "hide_numbers": True, "sync_hours": 2})
    assert settings.load(tmp_path) == Settings(mask_callers=True, auto_sync_minutes=120)
    write_raw(tmp_path, {"version": 2, "mask_callers": False, "sync_hours": 1})
    assert settings.load(tmp_path) == Settings(mask_callers=False, auto_sync_minutes=60)


def test_reviewer_only_is_off_until_set_and_kept_as_a_yes_or_no(tmp_path: Path) -> None:
    assert settings.load(tmp_path).reviewer_only is False
    write_raw(tmp_path, {"version": settings.VERSION, "timezone": "UTC"})  # an older file
    assert settings.load(tmp_path).reviewer_only is False
    settings.save(tmp_path, Settings().with_changes(reviewer_only=True))
    assert settings.load(tmp_path).reviewer_only is True
    write_raw(tmp_path, {"version": settings.VERSION, "reviewer_only": "yes"})
    with pytest.raises(DataError) as caught:
        settings.load(tmp_path)
    assert caught.value.field == "reviewer_only"
