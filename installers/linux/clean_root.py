"""Install the .deb into a clean Debian root and run the installed ``ppcdesk self-test`` there.

The root is made by debootstrap (minbase: no X, no Qt, no Python), so only the package's own
Depends, installed by apt, stand between it and a failure: a missing dependency shows up as a
failed check or a "not found" library, never hidden by the build machine's packages.
The chroot runs inside ``unshare --mount --pid --fork --mount-proc``: /proc is mounted for it
(PyInstaller's bootloader reads /proc/self/exe) and unmounted by the kernel when it ends.

Standard library only. Needs root, debootstrap and the Debian mirror (or a --root made earlier).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

MIRROR = "http://deb.debian.org/debian"
SUITE = "bookworm"
USER = "tester"

# Run inside the root as the unprivileged user: what a person does after `apt install`.
CHECK_SCRIPT = r"""
set -eu
export QT_QPA_PLATFORM=offscreen HOME=/home/{user} LANG=C.UTF-8
cd "$HOME"
command -v ppcdesk
ppcdesk --version
test -f /usr/share/applications/ppcdesk.desktop
test -f /usr/share/icons/hicolor/256x256/apps/ppcdesk.png
test -f /usr/share/icons/hicolor/scalable/apps/ppcdesk.svg
# Every library of the program, its Python modules and the Qt plugins it loads here resolves
# (Wayland, GLX and EGL integrations are optional: they load only on such sessions). The
# bootloader puts _internal on the library path at run time; ldd is told the same.
missing=$(find /opt/ppcdesk -name '*.so*' -type f \
  ! -path '*/wayland-*' ! -name 'libqwayland*' ! -name 'libQt6Wayland*' ! -name 'libQt6Wl*' \
  ! -path '*/xcbglintegrations/*' \
  -exec env LD_LIBRARY_PATH=/opt/ppcdesk/_internal ldd {{}} + 2>/dev/null \
  | grep 'not found' | sort -u || true)
if [ -n "$missing" ]; then echo "unresolved libraries:"; echo "$missing"; exit 1; fi
echo "every library resolves"
ppcdesk self-test
"""


def available() -> str | None:
    """Why this machine cannot make a clean root, or None when it can."""
    if sys.platform != "linux":
        return "not Linux"
    if os.geteuid() != 0:
        return "not root (debootstrap and chroot need root)"
    for tool in ("debootstrap", "unshare", "chroot"):
        if shutil.which(tool) is None:
            return f"no {tool} (Debian: apt-get install debootstrap util-linux)"
    return None


def make_root(root: Path, say: Callable[[str], None], *, suite: str = SUITE,
              mirror: str = MIRROR) -> None:
    """A fresh minbase Debian in ``root`` (about a minute with a near mirror)."""
    if root.exists():
        shutil.rmtree(root)
    say(f"debootstrap --variant=minbase {suite} {root} {mirror}")
    log = root.with_suffix(".debootstrap.log")
    with log.open("w") as out:
        code = subprocess.call(["debootstrap", "--variant=minbase", suite, str(root), mirror],
                               stdout=out, stderr=subprocess.STDOUT)
    if code:
        tail = log.read_text(errors="replace").splitlines()[-15:]
        raise RuntimeError(f"debootstrap failed ({code}); the end of {log}:\n" + "\n".join(tail))


# Seconds a step may take: apt-get fetches the Depends from the mirror; the checks start the
# app a few times. A step that hangs (a deadlock in the app) fails the build instead of
# holding CI until its own limit.
STEP_TIMEOUT = 900


def in_root(root: Path, script: str, *,
            user: str | None = None) -> subprocess.CompletedProcess[str]:
    # --kill-child: when the timeout kills unshare, the whole PID namespace goes with it.
    command = ["unshare", "--mount", "--pid", "--fork", "--kill-child",
               f"--mount-proc={root / 'proc'}", "chroot", str(root)]
    if user is not None:
        command += ["setpriv", f"--reuid={user}", f"--regid={user}", "--init-groups", "--"]
    command += ["/bin/sh", "-c", script]
    env = {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "DEBIAN_FRONTEND": "noninteractive",
           "LANG": "C.UTF-8"}
    try:
        return subprocess.run(command, env=env, text=True, capture_output=True, check=False,
                              timeout=STEP_TIMEOUT)
    except subprocess.TimeoutExpired as exc:
        out = (exc.stdout or b"") + (exc.stderr or b"")
        text = out.decode(errors="replace") if isinstance(out, bytes) else str(out)
        return subprocess.CompletedProcess(command, 124, text + f"\n(killed after "
                                           f"{STEP_TIMEOUT} s: the step hung)\n", "")


def install_and_check(root: Path, deb: Path, say: Callable[[str], None]) -> list[str]:
    """apt-get install the .deb in ``root``, then run the checks as a user; return the output.

    Raises RuntimeError with the output when any step fails.
    """
    shutil.copy2("/etc/resolv.conf", root / "etc/resolv.conf")
    (root / "tmp" / deb.name).write_bytes(deb.read_bytes())
    say(f"apt-get install ./{deb.name} in the clean root (its Depends come from the mirror)")
    steps = [
        # /tmp here is the clean root's own, made a moment ago by debootstrap.
        (None, ("apt-get update -qq && apt-get install -y -qq --no-install-recommends "
                f"/tmp/{deb.name} >/tmp/apt.log 2>&1 "  # noqa: S108
                "|| { tail -30 /tmp/apt.log; exit 1; }; "
                "dpkg-query -W -f='${Package} ${Version}\\n' ppcdesk")),
        (None, f"id {USER} >/dev/null 2>&1 || useradd --create-home {USER}"),
        (USER, CHECK_SCRIPT.format(user=USER)),
    ]
    lines: list[str] = []
    for user, script in steps:
        result = in_root(root, script, user=user)
        lines += (result.stdout + result.stderr).splitlines()
        if result.returncode:
            raise RuntimeError("the clean-root check failed:\n" + "\n".join(lines[-60:]))
    return lines
