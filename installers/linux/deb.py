"""Lay out and describe the Debian package: control file, Depends, desktop entry, icons.

Pure functions over paths and strings (standard library only), so tests/installers can check
them without building anything; build.py calls them and runs dpkg-deb.

The package installs the PyInstaller folder under /opt/ppcdesk, a /usr/bin/ppcdesk link, the
desktop entry, hicolor icons in every size resources/icons has, and AppStream metadata. It has
no maintainer scripts: dpkg's triggers refresh the icon cache and the desktop database.
"""

from __future__ import annotations

import re
import shutil
from dataclasses import dataclass
from pathlib import Path

PACKAGE = "ppcdesk"
PREFIX = Path("opt") / PACKAGE
ICON_SIZES = (16, 32, 48, 64, 128, 256, 512)
MAINTAINER = "ppcdesk maintainers <maintainers@ppcdesk.invalid>"

# What the bundle leaves to the system (the spec's SYSTEM_LIBS, plus what PyInstaller never
# bundles: libc, GL/EGL, libxcb). Names are Debian 12's; "a | b" accepts Ubuntu 24.04's t64
# renames. build.py proves this list covers every library the bundle links.
DEPENDS = (
    "libc6", "libstdc++6", "libgcc-s1", "libgl1", "libegl1", "libfontconfig1", "libfreetype6",
    "libglib2.0-0t64 | libglib2.0-0", "libdbus-1-3", "libexpat1", "libpng16-16t64 | libpng16-16",
    "libx11-6", "libx11-xcb1", "libxext6", "libxrandr2", "libxrender1", "libxcb1",
    "libxcb-cursor0", "libxcb-glx0", "libxcb-icccm4", "libxcb-image0", "libxcb-keysyms1",
    "libxcb-randr0", "libxcb-render0", "libxcb-render-util0", "libxcb-shape0", "libxcb-shm0",
    "libxcb-sync1", "libxcb-util1", "libxcb-xfixes0", "libxcb-xkb1", "libxkbcommon0",
    "libxkbcommon-x11-0", "libpulse0",
    "libdrm2",  # FFmpeg's libavutil
    "libbrotli1", "libgssapi-krb5-2",  # QtNetwork, which QtMultimedia links
)
# Wayland sessions and the OS keyring: ppcdesk runs without them (XWayland; secrets for the
# session only), so they are recommended, not required.
RECOMMENDS = ("libwayland-client0", "libwayland-cursor0", "libwayland-egl1", "gnome-keyring")


@dataclass(frozen=True)
class DebInfo:
    version: str  # the Python package's version (PEP 440)
    architecture: str  # dpkg --print-architecture
    installed_kib: int
    libc_min: str | None = None  # the highest GLIBC_x.y the bundle asks for


def debian_version(version: str) -> str:
    """PEP 440 to Debian: pre-releases sort before the release (``1.0rc1`` -> ``1.0~rc1``).

    Example: ``0.2.0.dev3`` -> ``0.2.0~dev3``; ``1.0.post1`` -> ``1.0+post1``.
    """
    v = version.strip().lower().replace("-", ".")
    v = re.sub(r"\.?(a|b|rc|alpha|beta|dev)(\d*)", r"~\1\2", v)
    v = re.sub(r"\.?post(\d*)", r"+post\1", v)
    v = v.replace("+", "+", 1)
    if not re.fullmatch(r"[0-9][A-Za-z0-9.+~]*", v):
        raise ValueError(f"cannot turn the version {version!r} into a Debian version")
    return v


def depends_field(libc_min: str | None) -> str:
    items = [f"libc6 (>= {libc_min})" if d == "libc6" and libc_min else d for d in DEPENDS]
    return ", ".join(items)


def control(info: DebInfo) -> str:
    """The DEBIAN/control file."""
    return "\n".join([
        f"Package: {PACKAGE}",
        f"Version: {debian_version(info.version)}",
        f"Architecture: {info.architecture}",
        f"Maintainer: {MAINTAINER}",
        f"Installed-Size: {info.installed_kib}",
        f"Depends: {depends_field(info.libc_min)}",
        f"Recommends: {', '.join(RECOMMENDS)}",
        "Section: misc",
        "Priority: optional",
        "Description: pay-per-call desk: calls, recordings and money on your computer",
        " ppcdesk keeps a pay-per-call publisher's or buyer's Twilio calls, recordings,",
        " contracts and payouts in a local SQLite database that works offline, and",
        " checks what each call should earn.",
        " .",
        " This package bundles its own Python and Qt under /opt/ppcdesk.",
        "",
    ])


def package_names(field_items: tuple[str, ...]) -> set[str]:
    """Every package name a Depends-style list accepts, alternatives included."""
    return {alt.split("(")[0].strip() for item in field_items for alt in item.split("|")}


def desktop_entry(template: str) -> str:
    """The installed desktop entry: the launcher runs /usr/bin/ppcdesk by name."""
    lines = [f"Exec={PACKAGE}" if line.startswith("Exec=") else line
             for line in template.splitlines()]
    return "\n".join(lines) + "\n"


def icon_files(icons: Path) -> list[tuple[Path, Path]]:
    """(source, destination under usr/share) for every hicolor size resources/ has."""
    pairs = []
    for size in ICON_SIZES:
        source = icons / f"{PACKAGE}-{size}.png"
        if source.exists():
            pairs.append((source, Path("icons/hicolor") / f"{size}x{size}" / "apps" /
                          f"{PACKAGE}.png"))
    pairs.append((icons / f"{PACKAGE}.svg", Path("icons/hicolor/scalable/apps") /
                  f"{PACKAGE}.svg"))
    return pairs


def folder_kib(folder: Path) -> int:
    """Installed-Size: the sum of file sizes in KiB, rounded up, as dpkg-gencontrol counts."""
    total = sum(p.lstat().st_size for p in folder.rglob("*") if p.is_file() or p.is_symlink())
    return -(-total // 1024)


def lay_out(root: Path, bundle: Path, resources: Path) -> None:
    """Fill ``root`` (the package's file tree, without DEBIAN/) from the PyInstaller folder."""
    shutil.copytree(bundle, root / PREFIX, symlinks=True)
    (root / "usr/bin").mkdir(parents=True)
    (root / "usr/bin" / PACKAGE).symlink_to(Path("/") / PREFIX / PACKAGE)
    share = root / "usr/share"
    (share / "applications").mkdir(parents=True)
    template = (resources / f"{PACKAGE}.desktop").read_text("utf-8")
    (share / "applications" / f"{PACKAGE}.desktop").write_text(desktop_entry(template), "utf-8")
    for source, dest in icon_files(resources / "icons"):
        (share / dest).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(source, share / dest)
    metainfo = resources / "linux" / f"{PACKAGE}.metainfo.xml"
    if metainfo.exists():
        (share / "metainfo").mkdir()
        shutil.copy2(metainfo, share / "metainfo" / metainfo.name)
    doc = share / "doc" / PACKAGE
    doc.mkdir(parents=True)
    (doc / "copyright").write_text(
        "Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/\n"
        f"Upstream-Name: {PACKAGE}\n\nFiles: *\nCopyright: ppcdesk maintainers\n"
        "License: Proprietary\n\nFiles: opt/ppcdesk/_internal/PySide6/*\n"
        "Copyright: The Qt Company Ltd.\nLicense: LGPL-3.0-only\n", "utf-8")
    for path in root.rglob("*"):  # dpkg keeps modes: no group- or world-writable files
        if not path.is_symlink():
            path.chmod(path.stat().st_mode & ~0o022)
