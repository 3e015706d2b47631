"""Media spend: one day's amount per campaign, publisher and source, typed in or imported.

The CSV has a header with ``date, campaign, publisher, amount`` (and optionally ``source``);
campaign and publisher are names as ppcdesk knows them (blank: the whole day's spend, not tied
to one). A file is taken whole or not at all: the first bad row stops the import with an error
naming the file, the row (as a spreadsheet numbers it, the header being row 1) and the field.
Importing a day again replaces its amount, so a corrected export can be loaded twice.
"""

from __future__ import annotations

import csv
import hashlib
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from sqlalchemy import Connection

from ppcdesk.core.errors import DataError, MoneyError
from ppcdesk.core.money import to_micros

REQUIRED = ("date", "campaign", "publisher", "amount")


class SpendFileError(DataError):
    """A media spend CSV that cannot be imported."""


@dataclass(frozen=True, slots=True)
class SpendRow:
    day: date
    campaign_id: int | None
    publisher_id: int | None
    source: str
    amount_micros: int


def parse_spend(text: str, source: str, campaigns: dict[str, int], publishers: dict[str, int]
                ) -> list[SpendRow]:
    """Rows of a spend CSV; raise SpendFileError naming ``source``, the row and the field."""
    reader = csv.DictReader(text.splitlines())
    header = [h.strip().lower() for h in (reader.fieldnames or [])]
    missing = [c for c in REQUIRED if c not in header]
    if missing:
        raise SpendFileError(f"the header lacks {', '.join(missing)} (it needs "
                             f"{', '.join(REQUIRED)})", source=source, row=1)
    reader.fieldnames = header
    by_name = {"campaign": {k.casefold(): v for k, v in campaigns.items()},
               "publisher": {k.casefold(): v for k, v in publishers.items()}}
    rows: list[SpendRow] = []
    for number, raw in enumerate(reader, start=2):
        values = {k: (v or "").strip() for k, v in raw.items() if k is not None}
        try:
            day = date.fromisoformat(values["date"])
        except ValueError:
            raise SpendFileError(f"{values['date']!r} is not a date (YYYY-MM-DD)",
                                 source=source, row=number, field="date") from None
        ids: dict[str, int | None] = {}
        for kind in ("campaign", "publisher"):
            name = values[kind]
            if not name:
                ids[kind] = None
                continue
            if name.casefold() not in by_name[kind]:
                raise SpendFileError(f"no {kind} named {name!r}", source=source, row=number,
                                     field=kind)
            ids[kind] = by_name[kind][name.casefold()]
        try:
            micros = to_micros(values["amount"])
        except MoneyError:
            raise SpendFileError(f"{values['amount']!r} is not an amount", source=source,
                                 row=number, field="amount") from None
        if micros < 0:
            raise SpendFileError("a spend cannot be negative", source=source, row=number,
                                 field="amount")
        rows.append(SpendRow(day, ids["campaign"], ids["publisher"],
                             values.get("source", ""), micros))
    return rows


def save_spend(conn: Connection, rows: list[SpendRow], import_id: int | None = None) -> int:
    """Insert or replace each (day, campaign, publisher, source) amount; returns rows written."""
    for row in rows:
        # The unique key holds NULLs, which SQLite never finds equal: delete by IS, then insert.
        conn.exec_driver_sql(
            "DELETE FROM media_spend WHERE day = ? AND campaign_id IS ? AND publisher_id IS ? "
            "AND source = ?", (row.day.isoformat(), row.campaign_id, row.publisher_id,
                               row.source))
        conn.exec_driver_sql(
            "INSERT INTO media_spend (day, campaign_id, publisher_id, source, amount_micros, "
            "import_id) VALUES (?, ?, ?, ?, ?, ?)",
            (row.day.isoformat(), row.campaign_id, row.publisher_id, row.source,
             row.amount_micros, import_id))
    return len(rows)


def import_spend(conn: Connection, path: Path, now: int) -> int:
    """Parse ``path`` and store it with an ``imports`` record; returns the rows stored."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise SpendFileError(f"cannot read it: {exc.strerror}", source=str(path)) from None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise SpendFileError("not UTF-8 text", source=str(path)) from None
    names = {kind: {str(n): int(i) for i, n in conn.exec_driver_sql(
        f"SELECT id, name FROM {kind}s")} for kind in ("campaign", "publisher")}
    rows = parse_spend(text, path.name, names["campaign"], names["publisher"])
    import_id = conn.exec_driver_sql(
        "INSERT INTO imports (kind, file_name, sha256, rows_total, rows_ok, rows_failed, status,"
        " created_at) VALUES ('spend', ?, ?, ?, ?, 0, 'done', ?) RETURNING id",
        (path.name, hashlib.sha256(data).hexdigest(), len(rows), len(rows), now)).scalar_one()
    return save_spend(conn, rows, int(import_id))
