"""A period's statement for one partner: what a buyer owes us, or what we owe a publisher.

Built from the contracts' outcomes (the calls that qualified and their amounts), one line per
call, with a summary per campaign. ``to_html`` lays it out as a small HTML document that the
UI's PDF writer (ppcdesk/ui/printing) prints; ``ppcdesk.reports.csv_export`` writes the CSV.
"""

from __future__ import annotations

import html
from collections import defaultdict
from dataclasses import dataclass
from datetime import date

from ppcdesk.core.clock import from_epoch
from ppcdesk.core.money import Money


@dataclass(frozen=True, slots=True)
class StatementLine:
    call_sid: str
    started_at: int
    caller: str
    campaign: str
    duration_s: int
    connected_s: int
    amount_micros: int


@dataclass(frozen=True, slots=True)
class Statement:
    workspace: str
    party: str
    party_kind: str  # buyer (revenue receivable) | publisher (payout owed)
    first: date
    last: date
    zone: str
    lines: tuple[StatementLine, ...]

    @property
    def total_micros(self) -> int:
        return sum(line.amount_micros for line in self.lines)

    @property
    def title(self) -> str:
        return ("Revenue receivable" if self.party_kind == "buyer" else "Payout owed")

    def by_campaign(self) -> list[tuple[str, int, int]]:
        """``(campaign, calls, amount)`` per campaign, by name."""
        calls: dict[str, int] = defaultdict(int)
        amounts: dict[str, int] = defaultdict(int)
        for line in self.lines:
            calls[line.campaign] += 1
            amounts[line.campaign] += line.amount_micros
        return [(name, calls[name], amounts[name]) for name in sorted(calls)]


def statement(workspace: str, party: str, party_kind: str, first: date, last: date,
              zone: str, rows: list[tuple[object, ...]]) -> Statement:
    """A statement from the store's rows ``(sid, started_at, caller, campaign, duration,
    connected, amount)``."""
    lines = tuple(StatementLine(str(r[0]), int(str(r[1])), str(r[2]), str(r[3] or ""),
                                int(str(r[4])), int(str(r[5])), int(str(r[6]))) for r in rows)
    return Statement(workspace, party, party_kind, first, last, zone, lines)


_STYLE = """
body { font-family: 'DejaVu Sans', sans-serif; font-size: 9pt; color: #1d2330; }
h1 { font-size: 16pt; margin: 0; }
h2 { font-size: 11pt; margin: 14pt 0 4pt 0; color: #2c4a7a; }
.muted { color: #5b6477; }
table { border-collapse: collapse; width: 100%; }
th { background: #e8edf5; text-align: left; font-weight: bold; }
td { border-bottom: 1px solid #dde2ea; }
td.num, th.num { text-align: right; }
td, th { white-space: nowrap; }
td.sid { font-family: 'DejaVu Sans Mono', monospace; font-size: 7pt; color: #5b6477; }
.total td { font-weight: bold; border-top: 2px solid #2c4a7a; }
"""


# Qt's rich text takes cell padding from the attribute, in pixels of the paint device.
_TABLE = "<table cellpadding='4' cellspacing='0' width='{width}%'>"


def to_html(doc: Statement, *, max_lines: int = 5_000) -> str:
    """The statement as HTML for the PDF writer (the CSV holds every line, however many)."""
    esc = html.escape
    period = f"{doc.first:%d %b %Y} to {doc.last:%d %b %Y}"
    who = "from" if doc.party_kind == "buyer" else "to"
    parts = [f"<html><head><style>{_STYLE}</style></head><body>",
             f"<p class='muted'>{esc(doc.workspace)}</p>",
             f"<h1>{esc(doc.title)} {who} {esc(doc.party)}</h1>",
             f"<p class='muted'>{esc(period)} (times in {esc(doc.zone)})</p>",
             (f"<h2>Summary</h2>{_TABLE.format(width=55)}<tr><th>Campaign</th>"
             "<th class='num'>Calls</th><th class='num'>Amount</th></tr>")]
    for name, calls, amount in doc.by_campaign():
        parts.append(f"<tr><td>{esc(name or '(none)')}</td><td class='num'>{calls:,}</td>"
                     f"<td class='num'>{Money(amount)}</td></tr>")
    parts.append(f"<tr class='total'><td>Total</td><td class='num'>{len(doc.lines):,}</td>"
                 f"<td class='num'>{Money(doc.total_micros)}</td></tr></table>")
    parts.append(f"<h2>Calls</h2>{_TABLE.format(width=100)}<tr><th>Started</th><th>Caller</th>"
                 "<th>Campaign</th>"
                 "<th class='num'>Length</th><th class='num'>Talk</th>"
                 "<th>Call SID</th><th class='num'>Amount</th></tr>")
    for line in doc.lines[:max_lines]:
        when = from_epoch(line.started_at, doc.zone).strftime("%Y-%m-%d %H:%M")
        parts.append(f"<tr><td>{when}</td><td>{esc(line.caller)}</td>"
                     f"<td>{esc(line.campaign)}</td><td class='num'>{line.duration_s} s</td>"
                     f"<td class='num'>{line.connected_s} s</td>"
                     f"<td class='sid'>{esc(line.call_sid)}</td>"
                     f"<td class='num'>{Money(line.amount_micros)}</td></tr>")
    parts.append("</table>")
    if len(doc.lines) > max_lines:
        parts.append(f"<p class='muted'>... and {len(doc.lines) - max_lines:,} more calls: "
                     "the CSV statement lists every one.</p>")
    parts.append("</body></html>")
    return "".join(parts)
