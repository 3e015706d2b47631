"""Read a partner's report (CSV or XLSX) into a header and rows of text.

A CSV's encoding is found, not asked for: a UTF-8 byte-order mark means UTF-8 (Excel's
"CSV UTF-8"); bytes that are valid UTF-8 are UTF-8; anything else is read as Windows-1252
(Excel's plain "CSV" on Windows, where "é" is one byte 0xE9). UTF-16 and binary files are
refused with a message that says how to save them. The delimiter is the one of ``, ; tab |``
that splits the first lines into the same number of fields (more than one).

Row numbers are the file's own: the header is row 1, as a spreadsheet shows it.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from pathlib import Path

from ppcdesk.core.errors import DataError

DELIMITERS = (",", ";", "\t", "|")
_SNIFF_LINES = 20
_BOMS_UTF16 = (b"\xff\xfe", b"\xfe\xff")


class ReportFileError(DataError):
    """The file as a whole cannot be read (encoding, empty, no header, not a spreadsheet)."""


@dataclass(frozen=True, slots=True)
class Table:
    """A report's cells as text: ``rows`` are ``(row number, cells)``."""

    source: str
    header: tuple[str, ...]
    rows: tuple[tuple[int, tuple[str, ...]], ...]
    encoding: str  # utf-8 | utf-8-sig | cp1252 | xlsx
    delimiter: str  # "" for XLSX


def read_table(path: Path, *, sheet: str | None = None) -> Table:
    """Read ``path`` (by its suffix: .xlsx is a workbook, anything else CSV)."""
    if path.suffix.lower() in {".xlsx", ".xlsm"}:
        return read_xlsx(path, sheet=sheet)
    return read_csv_bytes(path.read_bytes(), source=path.name)


def decode(data: bytes, source: str) -> tuple[str, str]:
    """Return ``(text, encoding)`` of a CSV file's bytes, or say why it cannot be read."""
    if data.startswith(b"\xef\xbb\xbf"):
        return _decode(data[3:], "utf-8", source), "utf-8-sig"
    if data.startswith(_BOMS_UTF16) or b"\x00" in data[:4096]:
        raise ReportFileError("this is UTF-16 or a binary file, not a CSV ppcdesk can read; "
                              "save it as \"CSV UTF-8\" (or open the .xlsx itself)",
                              source=source)
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        return _decode(data, "cp1252", source), "cp1252"


def _decode(data: bytes, encoding: str, source: str) -> str:
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as exc:
        raise ReportFileError(f"byte {exc.start} (0x{data[exc.start]:02X}) is not {encoding} "
                              "text; save the file as \"CSV UTF-8\"", source=source) from exc


def sniff_delimiter(text: str) -> str:
    """The delimiter that splits the first lines evenly into the most fields (default ",")."""
    sample = text[:65_536].splitlines()[:_SNIFF_LINES]
    best, best_fields = ",", 1
    for delimiter in DELIMITERS:
        counts = {len(r) for r in csv.reader(sample, delimiter=delimiter) if any(r)}
        if len(counts) == 1 and (fields := counts.pop()) > best_fields:
            best, best_fields = delimiter, fields
    if best_fields == 1:  # uneven lines: the delimiter the header uses most
        header = sample[0] if sample else ""
        best = max(DELIMITERS, key=header.count)
    return best


def read_csv_bytes(data: bytes, *, source: str) -> Table:
    """Decode, sniff and split a CSV report."""
    if not data.strip():
        raise ReportFileError("the file is empty", source=source)
    text, encoding = decode(data, source)
    delimiter = sniff_delimiter(text)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    return _table(source, _numbered(reader), encoding, delimiter)


def _numbered(reader: Iterator[list[str]]) -> Iterator[tuple[int, tuple[str, ...]]]:
    for number, cells in enumerate(reader, start=1):
        yield number, tuple(cells)


def _table(source: str, rows: Iterator[tuple[int, tuple[str, ...]]], encoding: str,
           delimiter: str) -> Table:
    header: tuple[str, ...] | None = None
    body: list[tuple[int, tuple[str, ...]]] = []
    for number, cells in rows:
        if not any(c.strip() for c in cells):
            continue  # blank lines (and Excel's trailing empty rows) are not rows
        if header is None:
            header = tuple(c.strip() for c in cells)
        else:
            body.append((number, cells))
    if header is None:
        raise ReportFileError("the file is empty", source=source)
    if not body:
        raise ReportFileError("the file has a header but no rows", source=source)
    return Table(source, header, tuple(body), encoding, delimiter)


def read_xlsx(path: Path, *, sheet: str | None = None) -> Table:
    """Read the first sheet (or ``sheet``) of a workbook, each cell as text."""
    import zipfile

    from openpyxl import load_workbook

    try:
        book = load_workbook(path, read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError) as exc:
        raise ReportFileError(f"not an Excel workbook ({exc})", source=path.name) from exc
    try:
        if sheet is not None and sheet not in book.sheetnames:
            raise ReportFileError(f"no sheet {sheet!r} (sheets: {', '.join(book.sheetnames)})",
                                  source=path.name)
        ws = book[sheet] if sheet is not None else book.worksheets[0]
        rows = ((n, tuple(cell_text(v) for v in values))
                for n, values in enumerate(ws.iter_rows(values_only=True), start=1))
        return _table(path.name, rows, "xlsx", "")
    finally:
        book.close()


def cell_text(value: object) -> str:
    """A workbook cell as the text a CSV would hold (dates in ISO, whole floats as ints)."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, time):
        return value.isoformat()
    if isinstance(value, timedelta):
        return str(int(value.total_seconds()))
    if isinstance(value, float):
        # repr is the shortest text that reads back as the same float: 12.99, not 12.9900000001
        return str(int(value)) if value.is_integer() else str(Decimal(repr(value)))
    return str(value)
