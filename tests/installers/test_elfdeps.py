"""The ELF reader build.py trusts to prove the .deb's Depends, checked against the real thing."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import elfdeps

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="ELF is Linux's")


def python_library() -> Path:
    import _ctypes  # a C extension of this interpreter: always an ELF with DT_NEEDED entries

    return Path(_ctypes.__file__)


@pytest.mark.skipif(shutil.which("objdump") is None, reason="needs objdump (binutils)")
def test_needed_matches_objdump() -> None:
    path = python_library()
    dump = subprocess.run(["objdump", "-p", str(path)], capture_output=True, text=True,
                          check=True).stdout
    expected = [line.split()[1] for line in dump.splitlines() if line.strip().startswith("NEEDED")]
    assert elfdeps.needed(path) == expected
    assert expected  # the test would prove nothing on a file without dependencies


def test_a_text_file_needs_nothing(tmp_path: Path) -> None:
    path = tmp_path / "x.so"
    path.write_text("not an ELF")
    assert not elfdeps.is_elf(path)
    assert elfdeps.needed(path) == []
    assert elfdeps.loadable(path)


def test_missing_from_names_each_absent_library_and_who_needs_it() -> None:
    path = python_library()
    needs = elfdeps.needed(path)
    missing = elfdeps.missing_from([path], set(needs[1:]))
    assert missing == {needs[0]: {path.name}}


def test_a_library_as_built_is_loadable() -> None:
    assert elfdeps.loadable(python_library())


def test_a_misaligned_load_segment_is_caught(tmp_path: Path) -> None:
    """What strip does to a patchelf-rewritten library: ld.so would refuse it."""
    data = bytearray(python_library().read_bytes())
    phoff = int.from_bytes(data[0x20:0x28], "little")
    phentsize = int.from_bytes(data[0x36:0x38], "little")
    phnum = int.from_bytes(data[0x38:0x3A], "little")
    for i in range(phnum):
        at = phoff + i * phentsize
        if int.from_bytes(data[at:at + 4], "little") == elfdeps.PT_LOAD:
            offset = int.from_bytes(data[at + 8:at + 16], "little")
            data[at + 8:at + 16] = (offset + 8).to_bytes(8, "little")  # shift p_offset
            break
    broken = tmp_path / "broken.so"
    broken.write_bytes(bytes(data))
    assert not elfdeps.loadable(broken)
