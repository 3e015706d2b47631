"""ppcdesk's own call CSV: what ``calls export`` writes, ``calls import`` reads back exactly.

Times are ISO 8601 UTC (``2026-11-20T14:03:09Z``), money is integer micros (exact, and what the
database holds), empty means "none". A masked caller (``+1 •••-•••-0123``) is refused on import:
export with the numbers revealed to move calls between workspaces.
"""

from __future__ import annotations

import csv
import io
from dataclasses import astuple, fields
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ppcdesk.core.errors import DataError
from ppcdesk.core.model import DispositionCode
from ppcdesk.core.phone import mask
from ppcdesk.storage.review_io import CallFields

COLUMNS = tuple(f.name for f in fields(CallFields))
_TIMES = {"started_at", "ended_at", "reviewed_at"}
_INTS = {"duration_s", "connected_s", "time_to_answer_s", "cost_micros", "legs_cost_micros",
         "sale_micros"}
_REQUIRED = {"sid", "started_at", "caller", "called", "status", "duration_s", "connected_s"}


def iso(epoch: int | None) -> str:
    return "" if epoch is None else datetime.fromtimestamp(epoch, UTC).strftime(
        "%Y-%m-%dT%H:%M:%SZ")


def to_cells(call: CallFields, *, masked: bool) -> list[str]:
    """One CSV line's cells."""
    cells: list[str] = []
    for name, value in zip(COLUMNS, astuple(call), strict=True):
        if name in _TIMES:
            cells.append(iso(value))
        elif name == "caller" and masked:
            cells.append(mask(value))
        elif name == "disputed":
            cells.append("yes" if value else "no")
        else:
            cells.append("" if value is None else str(value))
    return cells


def header_line() -> str:
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerow(COLUMNS)
    return out.getvalue()


def line(call: CallFields, *, masked: bool) -> str:
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerow(to_cells(call, masked=masked))
    return out.getvalue()


def read(path: Path) -> list[CallFields]:
    """Every row of ``path``, or one DataError naming the file, the row and the column."""
    source = str(path)
    try:
        text = path.read_text("utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise DataError(f"cannot read it ({exc})", source=source) from exc
    reader = csv.DictReader(io.StringIO(text))
    missing = [c for c in COLUMNS if c not in (reader.fieldnames or [])]
    if missing:
        raise DataError(f"not a ppcdesk call CSV: no column {', '.join(missing)}",
                        source=source, row=1)
    calls: list[CallFields] = []
    for number, raw in enumerate(reader, start=2):
        values: dict[str, Any] = {}
        for name in COLUMNS:
            values[name] = _cell(name, (raw.get(name) or "").strip(), source, number)
        calls.append(CallFields(**values))
    return calls


def _cell(name: str, text: str, source: str, row: int) -> Any:
    if not text:
        if name in _REQUIRED:
            raise DataError("is empty", source=source, row=row, field=name)
        return {"reviewed_by": "", "dispute_reason": "", "disputed": False}.get(name)
    try:
        if name in _TIMES:
            moment = datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
            return int(moment.timestamp())
        if name in _INTS:
            value = int(text)
    except ValueError:
        what = "a time like 2026-11-20T14:03:09Z" if name in _TIMES else "a whole number >= 0"
        raise DataError(f"{text!r} is not {what}", source=source, row=row,
                        field=name) from None
    if name in _INTS:
        if value < 0:
            raise DataError(f"{text!r} is negative", source=source, row=row, field=name)
        return value
    if name == "disputed":
        if text not in {"yes", "no"}:
            raise DataError(f"{text!r} is not yes or no", source=source, row=row, field=name)
        return text == "yes"
    if name == "caller" and "•" in text:
        raise DataError("the number is masked: export with the numbers revealed to import "
                        "it", source=source, row=row, field=name)
    if name == "disposition" and text not in set(DispositionCode):
        raise DataError(f"{text!r} is not one of {', '.join(DispositionCode)}", source=source,
                        row=row, field=name)
    return text
