"""CSV exports: a statement's calls, written atomically (amounts in currency units)."""

from __future__ import annotations

import csv
import io
from pathlib import Path

from ppcdesk.config.atomic import write_text_atomic
from ppcdesk.core.clock import from_epoch
from ppcdesk.core.money import Money
from ppcdesk.reports.statements import Statement

STATEMENT_HEADER = ("started", "caller", "campaign", "duration_s", "connected_s", "call_sid",
                    "amount")


def statement_csv(doc: Statement) -> str:
    """One line per call, then a total line; times in the statement's zone."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(STATEMENT_HEADER)
    for line in doc.lines:
        writer.writerow([from_epoch(line.started_at, doc.zone).strftime("%Y-%m-%d %H:%M:%S"),
                         line.caller, line.campaign, line.duration_s, line.connected_s,
                         line.call_sid, Money(line.amount_micros).to_decimal()])
    writer.writerow(["total", "", "", "", "", f"{len(doc.lines)} calls",
                     Money(doc.total_micros).to_decimal()])
    return out.getvalue()


def write_statement_csv(path: Path, doc: Statement) -> None:
    write_text_atomic(path, statement_csv(doc))
