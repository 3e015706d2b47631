"""Read the shared libraries an ELF file needs (its DT_NEEDED entries). Standard library only.

The spec uses it to drop a Qt library only when nothing kept still links it; build.py uses it
to prove that every library the bundle needs is either inside it or declared in the .deb's
Depends. It reads the section headers, so it works on stripped files too (strip keeps them).
"""

from __future__ import annotations

import struct
from collections.abc import Iterable
from pathlib import Path

ELF_MAGIC = b"\x7fELF"
SHT_DYNAMIC = 6
DT_NEEDED = 1
PT_LOAD = 1


def is_elf(path: Path) -> bool:
    try:
        with path.open("rb") as f:
            return f.read(4) == ELF_MAGIC
    except OSError:
        return False


def needed(path: Path) -> list[str]:
    """The sonames ``path`` links (DT_NEEDED), in file order; [] for a non-ELF file."""
    data = path.read_bytes()
    if data[:4] != ELF_MAGIC:
        return []
    is64 = data[4] == 2
    end = "<" if data[5] == 1 else ">"
    if is64:
        shoff, = struct.unpack_from(end + "Q", data, 0x28)
        shentsize, shnum = struct.unpack_from(end + "HH", data, 0x3A)
        section = struct.Struct(end + "IIQQQQIIQQ")
        dyn = struct.Struct(end + "qQ")
    else:
        shoff, = struct.unpack_from(end + "I", data, 0x20)
        shentsize, shnum = struct.unpack_from(end + "HH", data, 0x2E)
        section = struct.Struct(end + "IIIIIIIIII")
        dyn = struct.Struct(end + "iI")
    headers = [section.unpack_from(data, shoff + i * shentsize) for i in range(shnum)]
    names: list[str] = []
    for header in headers:
        if header[1] != SHT_DYNAMIC:
            continue
        offset, size, link = header[4], header[5], header[6]
        strtab = headers[link][4]
        for pos in range(offset, offset + size, dyn.size):
            tag, value = dyn.unpack_from(data, pos)
            if tag == 0:
                break
            if tag == DT_NEEDED:
                stop = data.index(b"\0", strtab + value)
                names.append(data[strtab + value:stop].decode())
    return names


def loadable(path: Path, page_size: int = 4096) -> bool:
    """Whether every PT_LOAD segment keeps ``vaddr - offset`` page-aligned, as ld.so requires.

    ``strip`` on a library that patchelf rewrote (auditwheel's numpy.libs, PySide6's FFmpeg)
    can break that, and the loader then refuses the file: "ELF load command address/offset
    not page-aligned". The spec strips a copy and keeps it only when this still holds.
    """
    data = path.read_bytes()
    if data[:4] != ELF_MAGIC:
        return True
    end = "<" if data[5] == 1 else ">"
    if data[4] == 2:
        phoff, = struct.unpack_from(end + "Q", data, 0x20)
        phentsize, phnum = struct.unpack_from(end + "HH", data, 0x36)
        header = struct.Struct(end + "IIQQQQQQ")
        fields = (0, 2, 3)  # p_type, p_offset, p_vaddr
    else:
        phoff, = struct.unpack_from(end + "I", data, 0x1C)
        phentsize, phnum = struct.unpack_from(end + "HH", data, 0x2A)
        header = struct.Struct(end + "IIIIIIII")
        fields = (0, 1, 2)
    for i in range(phnum):
        values = header.unpack_from(data, phoff + i * phentsize)
        kind, offset, vaddr = (values[f] for f in fields)
        if kind == PT_LOAD and (vaddr - offset) % page_size:
            return False
    return True


def missing_from(files: Iterable[Path], available: set[str]) -> dict[str, set[str]]:
    """Map each soname that ``files`` need but ``available`` lacks to the files needing it."""
    out: dict[str, set[str]] = {}
    for path in files:
        for soname in needed(path):
            if soname not in available:
                out.setdefault(soname, set()).add(path.name)
    return out
