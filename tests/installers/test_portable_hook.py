"""The runtime hook's portable mode: a portable.txt beside the executable moves every folder."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest
from ppcdesk.config.paths import HOME_ENV, resolve

HOOK = Path(__file__).resolve().parents[2] / "installers/hooks/pyi_rth_ppcdesk_portable.py"


@pytest.fixture(scope="module")
def hook() -> ModuleType:
    spec = importlib.util.spec_from_file_location("pyi_rth_ppcdesk_portable", HOOK)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)  # not frozen here: it defines, it does not apply
    return module


def install(folder: Path) -> Path:
    folder.mkdir(parents=True)
    exe = folder / "ppcdesk"
    exe.write_text("")
    return exe


def test_no_marker_changes_nothing(hook: ModuleType, tmp_path: Path) -> None:
    env: dict[str, str] = {}
    assert hook.apply(install(tmp_path / "app"), env) is None
    assert env == {}


def test_empty_marker_keeps_data_in_a_folder_beside_the_program(
        hook: ModuleType, tmp_path: Path) -> None:
    exe = install(tmp_path / "stick" / "ppcdesk")
    (exe.parent / "portable.txt").write_text("# ppcdesk portable mode\n\n")
    env: dict[str, str] = {}
    home = hook.apply(exe, env)
    assert home == (exe.parent / "ppcdesk-data").resolve()
    assert env == {HOME_ENV: str(home)}
    paths = resolve(env[HOME_ENV])
    for folder in (paths.data, paths.config, paths.cache, paths.logs, paths.default_db):
        assert home in folder.parents


@pytest.mark.parametrize(("line", "expected"), [
    ("data", "app/data"),
    ("../shared/ppcdesk", "shared/ppcdesk"),
])
def test_marker_names_a_folder_relative_to_itself(
        hook: ModuleType, tmp_path: Path, line: str, expected: str) -> None:
    exe = install(tmp_path / "app")
    (exe.parent / "portable.txt").write_text(f"# where my data goes\n{line}\n")
    assert hook.portable_home(exe) == (tmp_path / expected).resolve()


def test_marker_may_name_an_absolute_folder(hook: ModuleType, tmp_path: Path) -> None:
    exe = install(tmp_path / "app")
    (exe.parent / "portable.txt").write_text(str(tmp_path / "elsewhere"))
    assert hook.portable_home(exe) == (tmp_path / "elsewhere").resolve()


def test_an_explicit_ppcdesk_home_wins(hook: ModuleType, tmp_path: Path) -> None:
    exe = install(tmp_path / "app")
    (exe.parent / "portable.txt").write_text("")
    env = {HOME_ENV: str(tmp_path / "chosen")}
    assert hook.apply(exe, env) is None
    assert env == {HOME_ENV: str(tmp_path / "chosen")}


def test_on_macos_the_marker_sits_beside_the_app_bundle(hook: ModuleType, tmp_path: Path) -> None:
    exe = install(tmp_path / "Apps" / "ppcdesk.app" / "Contents" / "MacOS")
    (tmp_path / "Apps" / "portable.txt").write_text("")
    assert hook.portable_home(exe) == (tmp_path / "Apps" / "ppcdesk-data").resolve()


def test_the_hook_imports_nothing_from_ppcdesk() -> None:
    """It runs before the application is importable in the frozen program."""
    source = HOOK.read_text("utf-8")
    assert "import ppcdesk" not in source
    assert "from ppcdesk" not in source
    assert sys.modules.get("pyi_rth_ppcdesk_portable") is None  # loaded by path, not imported
