"""The Debian package's pure parts: version mapping, control file, desktop entry, layout."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from linux import deb

ROOT = Path(__file__).resolve().parents[2]
RESOURCES = ROOT / "resources"


@pytest.mark.parametrize(("pep440", "debian"), [
    ("0.1.0", "0.1.0"),
    ("1.2.0rc1", "1.2.0~rc1"),
    ("0.2.0.dev3", "0.2.0~dev3"),
    ("1.0b2", "1.0~b2"),
    ("1.0.post1", "1.0+post1"),
])
def test_versions_sort_as_debian_expects(pep440: str, debian: str) -> None:
    assert deb.debian_version(pep440) == debian


@pytest.mark.skipif(shutil.which("dpkg") is None, reason="needs dpkg to compare versions")
def test_a_release_candidate_sorts_before_its_release() -> None:
    rc, final = deb.debian_version("1.0rc1"), deb.debian_version("1.0")
    result = subprocess.run(["dpkg", "--compare-versions", rc, "lt", final], check=False)
    assert result.returncode == 0


def test_a_version_debian_cannot_hold_is_refused() -> None:
    with pytest.raises(ValueError, match="Debian version"):
        deb.debian_version("v1 final")


def fields(text: str) -> dict[str, str]:
    out: dict[str, str] = {}
    key = ""
    for line in text.splitlines():
        if line.startswith(" "):
            out[key] += "\n" + line
        elif line:
            key, _, value = line.partition(": ")
            out[key] = value
    return out


def test_control_file_declares_what_the_bundle_leaves_to_the_system() -> None:
    text = deb.control(deb.DebInfo("1.2.0rc1", "amd64", 251_000, libc_min="2.34"))
    got = fields(text)
    assert got["Package"] == "ppcdesk"
    assert got["Version"] == "1.2.0~rc1"
    assert got["Architecture"] == "amd64"
    assert got["Installed-Size"] == "251000"
    depends = [d.strip() for d in got["Depends"].split(",")]
    for needed in ("libc6 (>= 2.34)", "libpulse0", "libxcb-cursor0", "libegl1", "libgl1",
                   "libxrandr2", "libfontconfig1", "libxkbcommon-x11-0"):
        assert needed in depends
    assert "libglib2.0-0t64 | libglib2.0-0" in depends  # Ubuntu 24.04's rename accepted
    assert "gnome-keyring" in got["Recommends"]
    assert got["Description"].count("\n") >= 3  # a synopsis and an extended description
    assert text.endswith("\n")  # dpkg-deb refuses a control file without a final newline


@pytest.mark.skipif(shutil.which("dpkg-deb") is None, reason="needs dpkg-deb")
def test_dpkg_deb_builds_and_reads_back_the_control_file(tmp_path: Path) -> None:
    tree = tmp_path / "root"
    (tree / "DEBIAN").mkdir(parents=True)
    (tree / "opt/ppcdesk").mkdir(parents=True)
    (tree / "opt/ppcdesk/ppcdesk").write_text("#!/bin/sh\n")
    info = deb.DebInfo("0.1.0", "amd64", deb.folder_kib(tree))
    (tree / "DEBIAN/control").write_text(deb.control(info))
    target = tmp_path / "p.deb"
    subprocess.run(["dpkg-deb", "--root-owner-group", "-Zgzip", "--build", str(tree),
                    str(target)], check=True, capture_output=True)
    shown = subprocess.run(["dpkg-deb", "--field", str(target), "Package", "Version", "Depends"],
                           check=True, capture_output=True, text=True).stdout
    assert "Package: ppcdesk" in shown
    assert "libpulse0" in shown


def test_package_names_see_through_alternatives_and_versions() -> None:
    assert deb.package_names(("libc6 (>= 2.34)", "a | b")) == {"libc6", "a", "b"}


def fake_bundle(folder: Path) -> Path:
    (folder / "_internal").mkdir(parents=True)
    (folder / "ppcdesk").write_text("#!/bin/sh\n")
    (folder / "ppcdesk").chmod(0o775)
    (folder / "_internal" / "lib.so").write_bytes(b"x" * 3000)
    return folder


def test_layout_installs_program_launcher_entry_and_every_icon_size(tmp_path: Path) -> None:
    tree = tmp_path / "root"
    deb.lay_out(tree, fake_bundle(tmp_path / "bundle"), RESOURCES)
    assert (tree / "opt/ppcdesk/_internal/lib.so").stat().st_size == 3000
    link = tree / "usr/bin/ppcdesk"
    assert link.is_symlink()
    assert str(link.readlink()) == "/opt/ppcdesk/ppcdesk"
    for size in deb.ICON_SIZES:
        assert (tree / f"usr/share/icons/hicolor/{size}x{size}/apps/ppcdesk.png").is_file()
    assert (tree / "usr/share/icons/hicolor/scalable/apps/ppcdesk.svg").is_file()
    assert (tree / "usr/share/metainfo/ppcdesk.metainfo.xml").is_file()
    assert (tree / "usr/share/doc/ppcdesk/copyright").is_file()
    # No group- or world-writable file lands on the user's system.
    assert all(not p.stat().st_mode & 0o022 for p in tree.rglob("*") if not p.is_symlink())
    assert deb.folder_kib(tree) >= 3


def test_desktop_entry_launches_the_installed_command() -> None:
    entry = deb.desktop_entry("[Desktop Entry]\nName=ppcdesk\nExec=/somewhere/ppcdesk --x\n")
    assert "Exec=ppcdesk\n" in entry
    assert "Name=ppcdesk" in entry


@pytest.mark.skipif(shutil.which("desktop-file-validate") is None,
                    reason="needs desktop-file-validate (Debian: desktop-file-utils)")
def test_installed_desktop_entry_is_valid(tmp_path: Path) -> None:
    path = tmp_path / "ppcdesk.desktop"
    path.write_text(deb.desktop_entry((RESOURCES / "ppcdesk.desktop").read_text()))
    result = subprocess.run(["desktop-file-validate", str(path)], capture_output=True,
                            text=True, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.strip() == ""  # no hints or warnings either


@pytest.mark.skipif(shutil.which("appstreamcli") is None, reason="needs appstreamcli")
def test_appstream_metadata_is_valid() -> None:
    result = subprocess.run(["appstreamcli", "validate", "--no-net",
                             str(RESOURCES / "linux/ppcdesk.metainfo.xml")],
                            capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
