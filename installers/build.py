#!/usr/bin/env python3
"""Build ppcdesk's installers for this OS, and prove the frozen app works. Standard library only.

    python installers/build.py                # everything this OS can build, then check it
    python installers/build.py --ci           # what CI runs: the same, with less chatter
    python installers/build.py --skip-chroot  # Linux: no clean-root install check

Run it with the Python that has ppcdesk and PyInstaller installed (``pip install -e .[build]``).
Output goes to build/installers/ (--out): the PyInstaller folder, then per OS:

- Linux: ``ppcdesk_<ver>_<arch>.deb`` and ``ppcdesk-<ver>-linux-<arch>.tar.gz``. The .deb is
  then installed into a clean Debian root (debootstrap) where the installed ``ppcdesk
  self-test`` must pass offscreen. The NSIS script is compiled against this bundle's layout
  when makensis is present, to catch script errors before a Windows runner sees them.
- Windows: ``ppcdesk-<ver>-windows-x64-setup.exe`` (NSIS, per user) and a portable .zip.
- macOS: ``ppcdesk-<ver>-macos-<arch>.dmg`` (signed and notarized when the secrets are set).

Every OS runs the frozen ``ppcdesk self-test`` from the bundle, and checks portable mode.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
import zipfile
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

INSTALLERS = Path(__file__).resolve().parent
ROOT = INSTALLERS.parent
sys.path.insert(0, str(INSTALLERS))

import elfdeps  # noqa: E402 - the folder is put on the path just above
from linux import clean_root, deb  # noqa: E402

WINDOWS, MACOS = sys.platform == "win32", sys.platform == "darwin"
LINUX = sys.platform.startswith("linux")


def say(text: str) -> None:
    # Every line is prefixed, so the self-test's own "N passed, N failed" summary is never
    # mistaken for the test runner's closing line in CI logs.
    for line in str(text).splitlines() or [""]:
        print(f"[build] {line}", flush=True)


def run(*args: str | Path, env: dict[str, str] | None = None, cwd: Path = ROOT) -> str:
    say("$ " + " ".join(str(a) for a in args))
    result = subprocess.run([str(a) for a in args], cwd=cwd, env=env, text=True,
                            capture_output=True, check=False)
    if result.returncode:
        say(result.stdout[-4000:] + result.stderr[-4000:])
        raise SystemExit(f"[build] failed ({result.returncode}): {args[0]}")
    return result.stdout


def mib(path: Path) -> str:
    size = path.stat().st_size if path.is_file() else sum(
        p.lstat().st_size for p in path.rglob("*") if p.is_file() or p.is_symlink())
    return f"{size / 2**20:.1f} MiB"


def app_version() -> str:
    try:
        return version("ppcdesk")
    except PackageNotFoundError:
        raise SystemExit("[build] ppcdesk is not installed in this Python: "
                         "pip install -e .[build]") from None


def pyinstaller(out: Path, *, reuse: bool = False) -> Path:
    """Run the spec; return the one-folder bundle (macOS: the .app)."""
    bundle = out / "dist" / ("ppcdesk.app" if MACOS else "ppcdesk")
    if reuse and bundle.exists():
        say(f"reusing {bundle} (--reuse-bundle)")
        return bundle
    try:
        version("pyinstaller")
    except PackageNotFoundError:
        raise SystemExit("[build] PyInstaller is missing: pip install -e .[build]") from None
    dist, work = out / "dist", out / "work"
    shutil.rmtree(dist, ignore_errors=True)
    started = time.monotonic()
    run(sys.executable, "-m", "PyInstaller", "--noconfirm", "--log-level", "WARN",
        "--distpath", dist, "--workpath", work, INSTALLERS / "ppcdesk.spec")
    say(f"PyInstaller: {bundle} ({mib(bundle)}) in {time.monotonic() - started:.0f} s")
    return bundle


def executable(bundle: Path) -> Path:
    if MACOS:
        return bundle / "Contents" / "MacOS" / "ppcdesk"
    return bundle / ("ppcdesk-cli.exe" if WINDOWS else "ppcdesk")


def clean_env(**extra: str) -> dict[str, str]:
    """The user's environment minus anything that would point the app at a checkout."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("PPCDESK_", "PYTHON", "VIRTUAL_ENV", "QT_"))}
    return {**env, "QT_QPA_PLATFORM": "offscreen", **extra}


def self_test(program: Path) -> None:
    """The frozen app's own self-test, offscreen, in a throwaway PPCDESK_HOME."""
    with tempfile.TemporaryDirectory(prefix="ppcdesk-build-") as home:
        say(run(program, "self-test", env=clean_env(PPCDESK_HOME=home)))


def portable_check(bundle_copy: Path) -> None:
    """Put portable.txt beside the executable: every folder must move beside it."""
    program = executable(bundle_copy)
    marker_dir = bundle_copy.parent if MACOS else program.parent
    (marker_dir / "portable.txt").write_text("# ppcdesk portable mode\n", "utf-8")
    expected = (marker_dir / "ppcdesk-data").resolve()
    run(program, "demo", "--calls", "200", env=clean_env())  # writes the demo workspace
    demo = expected / "data" / "demo.sqlite"
    if not demo.is_file():
        raise SystemExit(f"[build] portable mode: the demo workspace is not at {demo}")
    info = json.loads(run(program, "--db", demo, "info", "--json", env=clean_env()))
    paths = {name: Path(p) for name, p in info["paths"].items()}
    outside = {n: str(p) for n, p in paths.items() if expected not in (p, *p.parents)}
    if outside:
        raise SystemExit(f"[build] portable mode left folders outside {expected}: {outside}")
    say(f"portable mode: every folder under {expected}")


# ------------------------------------------------------------------------------------ Linux
# Files that load only in a Wayland session (their libraries are Recommends, not Depends):
# Qt's Wayland libraries, and every plugin in a wayland-* folder or named for it.
OPTIONAL_LIBS = ("libQt6Wayland", "libQt6Wl")


def check_depends(bundle: Path) -> None:
    """Every library the bundle links is inside it or in the .deb's Depends (Recommends for
    the optional Wayland and GL integrations). Maps sonames to packages with dpkg -S."""
    files = [p for p in bundle.rglob("*") if p.is_file() and elfdeps.is_elf(p)]
    inside = {p.name for p in bundle.rglob("*")}
    missing = elfdeps.missing_from(files, inside)
    where_in = {p.name: p.relative_to(bundle).as_posix() for p in files}
    loader = run("/sbin/ldconfig", "-p")
    where = {}
    for line in loader.splitlines()[1:]:
        name, _, path = line.strip().partition(" => ")
        where.setdefault(name.split(" ")[0], path)
    allowed = deb.package_names(deb.DEPENDS)
    optional = deb.package_names(deb.RECOMMENDS)
    problems = []
    for soname, users in sorted(missing.items()):
        if soname.startswith("ld-linux") or soname in {"libQt6FFmpegStub-va.so.2"}:
            continue
        path = where.get(soname)
        owner = ""
        if path:
            found = subprocess.run(["dpkg", "-S", os.path.realpath(path)], text=True,
                                   capture_output=True, check=False).stdout
            found = found or subprocess.run(["dpkg", "-S", path], text=True,
                                            capture_output=True, check=False).stdout
            owner = found.split(":")[0].strip()
        only_optional = all(u.startswith(OPTIONAL_LIBS) or "wayland" in where_in[u]
                            for u in users)
        if owner in allowed or (owner in optional and only_optional):
            continue
        if not owner and only_optional:
            continue
        problems.append(f"{soname} (package {owner or 'unknown'}) needed by "
                        f"{', '.join(sorted(users)[:3])}")
    if problems:
        raise SystemExit("[build] the .deb's Depends miss libraries the bundle links:\n  "
                         + "\n  ".join(problems))
    say(f"Depends cover all {len(missing)} system libraries the bundle links")


def libc_min(bundle: Path) -> str | None:
    """The highest GLIBC_x.y symbol version any bundled file asks for."""
    best: tuple[int, ...] = ()
    for path in bundle.rglob("*"):
        if path.is_file() and not path.is_symlink() and elfdeps.is_elf(path):
            data = path.read_bytes()
            start = 0
            while (start := data.find(b"GLIBC_2.", start)) >= 0:
                end = start + 6
                while end < len(data) and (data[end:end + 1].isdigit() or data[end] == 0x2E):
                    end += 1
                numbers = data[start + 6:end].decode().strip(".").split(".")
                if all(numbers):
                    best = max(best, tuple(int(n) for n in numbers))
                start = end
    return ".".join(map(str, best)) or None


def build_deb(bundle: Path, out: Path, ver: str) -> Path:
    arch = run("dpkg", "--print-architecture").strip()
    tree = out / "deb-root"
    shutil.rmtree(tree, ignore_errors=True)
    deb.lay_out(tree, bundle, ROOT / "resources")
    info = deb.DebInfo(ver, arch, deb.folder_kib(tree), libc_min(bundle))
    (tree / "DEBIAN").mkdir()
    (tree / "DEBIAN" / "control").write_text(deb.control(info), "utf-8")
    validate_desktop(tree)
    target = out / f"ppcdesk_{deb.debian_version(ver)}_{arch}.deb"
    started = time.monotonic()
    run("dpkg-deb", "--root-owner-group", "-Zxz", "--build", tree, target)
    say(f".deb: {target.name} ({mib(target)}) in {time.monotonic() - started:.0f} s")
    say(run("dpkg-deb", "--info", target))
    return target


def validate_desktop(tree: Path) -> None:
    desktop = tree / "usr/share/applications/ppcdesk.desktop"
    if shutil.which("desktop-file-validate"):
        run("desktop-file-validate", desktop)
        say("desktop entry: desktop-file-validate is happy")
    metainfo = tree / "usr/share/metainfo/ppcdesk.metainfo.xml"
    if metainfo.exists() and shutil.which("appstreamcli"):
        run("appstreamcli", "validate", "--no-net", metainfo)
        say("AppStream metadata: appstreamcli validate passes")


def build_tarball(bundle: Path, out: Path, ver: str) -> Path:
    arch = platform.machine().lower()
    target = out / f"ppcdesk-{ver}-linux-{arch}.tar.gz"
    with tarfile.open(target, "w:gz", compresslevel=6) as tar:
        tar.add(bundle, arcname=f"ppcdesk-{ver}")
        desktop = ROOT / "resources" / "ppcdesk.desktop"
        tar.add(desktop, arcname=f"ppcdesk-{ver}/ppcdesk.desktop")
    say(f".tar.gz: {target.name} ({mib(target)})")
    with tempfile.TemporaryDirectory(prefix="ppcdesk-tar-") as tmp, \
            tarfile.open(target) as tar:
        tar.extractall(tmp, filter="tar")
        portable_check(Path(tmp) / f"ppcdesk-{ver}")
    return target


def nsis_check(bundle: Path, out: Path, ver: str) -> None:
    makensis = shutil.which("makensis")
    if makensis is None:
        say("makensis not found (Debian: nsis): the NSIS script was not compiled here")
        return
    target = out / "nsis-check.exe"
    run(makensis, "-V2", f"-DVERSION={ver}", f"-DBUNDLE={bundle}",
        f"-DOUTFILE={target}", "-DCHECK_ONLY", INSTALLERS / "windows" / "ppcdesk.nsi")
    target.unlink()
    say("NSIS script compiles against the bundle's layout (makensis)")


def clean_root_check(target: Path, out: Path, args: argparse.Namespace) -> None:
    why_not = clean_root.available()
    if args.skip_chroot or why_not:
        reason = "--skip-chroot" if args.skip_chroot else why_not
        say(f"clean root skipped ({reason}); instead: dpkg -x into a fresh folder and the "
            "installed files' self-test on THIS machine's libraries. Not proven: that the "
            "Depends alone suffice on a bare system.")
        with tempfile.TemporaryDirectory(prefix="ppcdesk-x-") as tmp:
            run("dpkg", "-x", target, tmp)
            self_test(Path(tmp) / "opt" / "ppcdesk" / "ppcdesk")
        return
    root = out / f"clean-root-{clean_root.SUITE}"
    started = time.monotonic()
    clean_root.make_root(root, say, suite=clean_root.SUITE, mirror=args.mirror)
    say(f"clean root ready in {time.monotonic() - started:.0f} s")
    for line in clean_root.install_and_check(root, target, say):
        say("  " + line)
    say(f"clean root: installed {target.name}, all checks passed "
        f"({time.monotonic() - started:.0f} s)")
    if not args.keep_root:
        shutil.rmtree(root)


def linux(args: argparse.Namespace, out: Path, ver: str) -> None:
    bundle = pyinstaller(out, reuse=args.reuse_bundle)
    self_test(executable(bundle))
    check_depends(bundle)
    if not args.ci:
        nsis_check(bundle, out, ver)
    build_tarball(bundle, out, ver)
    target = build_deb(bundle, out, ver)
    clean_root_check(target, out, args)
    shutil.rmtree(out / "deb-root", ignore_errors=True)


# ------------------------------------------------------------------------ Windows and macOS
def windows(out: Path, ver: str) -> None:
    bundle = pyinstaller(out)
    self_test(executable(bundle))
    makensis = shutil.which("makensis") or str(
        Path(os.environ.get("PROGRAMFILES(X86)", r"C:\Program Files (x86)")) / "NSIS" /
        "makensis.exe")
    setup = out / f"ppcdesk-{ver}-windows-x64-setup.exe"
    run(makensis, "-V2", f"-DVERSION={ver}", f"-DBUNDLE={bundle}", f"-DOUTFILE={setup}",
        INSTALLERS / "windows" / "ppcdesk.nsi")
    say(f"installer: {setup.name} ({mib(setup)})")
    portable = out / f"ppcdesk-{ver}-windows-x64-portable.zip"
    with zipfile.ZipFile(portable, "w", zipfile.ZIP_DEFLATED) as zf:
        for path in sorted(bundle.rglob("*")):
            zf.write(path, Path(f"ppcdesk-{ver}") / path.relative_to(bundle))
        zf.writestr(f"ppcdesk-{ver}/portable.txt", "# ppcdesk keeps its data in ppcdesk-data\n")
    say(f"portable: {portable.name} ({mib(portable)})")
    with tempfile.TemporaryDirectory(prefix="ppcdesk-zip-") as tmp:
        shutil.copytree(bundle, Path(tmp) / "ppcdesk")
        portable_check(Path(tmp) / "ppcdesk")


def macos(out: Path, ver: str) -> None:
    app = pyinstaller(out)
    self_test(executable(app))
    with tempfile.TemporaryDirectory(prefix="ppcdesk-app-") as tmp:
        shutil.copytree(app, Path(tmp) / "ppcdesk.app", symlinks=True)
        portable_check(Path(tmp) / "ppcdesk.app")
    dmg = out / f"ppcdesk-{ver}-macos-{platform.machine()}.dmg"
    run("bash", INSTALLERS / "macos" / "make_dmg.sh", app, dmg,
        INSTALLERS / "macos" / "entitlements.plist")
    say(f"disk image: {dmg.name} ({mib(dmg)})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=ROOT / "build" / "installers")
    parser.add_argument("--ci", action="store_true", help="CI: skip the optional NSIS check")
    parser.add_argument("--skip-chroot", action="store_true",
                        help="Linux: do not install the .deb into a clean debootstrap root")
    parser.add_argument("--keep-root", action="store_true", help="keep the clean root after")
    parser.add_argument("--reuse-bundle", action="store_true",
                        help="Linux: package the bundle already in --out (no PyInstaller run)")
    parser.add_argument("--mirror", default=clean_root.MIRROR, help="Debian mirror")
    args = parser.parse_args()
    out = args.out.resolve()
    out.mkdir(parents=True, exist_ok=True)
    ver = app_version()
    started = time.monotonic()
    say(f"ppcdesk {ver} on {platform.system()} {platform.machine()}, Python "
        f"{platform.python_version()}; output in {out}")
    if LINUX:
        linux(args, out, ver)
    elif WINDOWS:
        windows(out, ver)
    elif MACOS:
        macos(out, ver)
    else:
        raise SystemExit(f"[build] no installer for {sys.platform}")
    say(f"done in {time.monotonic() - started:.0f} s")


if __name__ == "__main__":
    main()
