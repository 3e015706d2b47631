"""Write billing specifications as tables of calls: one row per call, the expected outcome last.

Example::

    check(terms, '''
    | id | start            | talk | caller       | outcome       |
    | 1  | 2026-03-02 09:00 | 95   | +16025550101 | ok $45        |
    | 2  | 2026-03-02 09:05 | 84   | +16025550102 | short         |
    | 3  | 2026-03-02 09:10 | -    | +16025550103 | not_connected |
    ''')

Columns (all but ``id`` and ``start`` optional): ``start`` local time in the table's zone
(``America/Phoenix`` unless given); ``talk`` connected seconds, ``-`` nobody answered; ``ring``
seconds before the answer (10); ``duration`` the caller's whole call (ring + talk);
``caller`` (+16025550100); ``state`` (AZ, ``-`` unknown); ``campaign`` (Auto); ``publisher``
(Acme Media); ``buyer`` (Desert Auto, or none when nobody answered); ``final`` (yes);
``outcome``: ``ok``, ``ok $45``, reason codes separated by commas, ``duplicate of 3``, or ``-``
for a call the contract does not cover.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from ppcdesk.billing import engine
from ppcdesk.billing.facts import CallFacts, Outcome, Prior
from ppcdesk.billing.terms import Terms
from ppcdesk.core.money import to_micros
from ppcdesk.core.reasons import Reason

ZONE = "America/Phoenix"


@dataclass(frozen=True)
class Row:
    call: CallFacts
    expected: str  # the outcome column as written
    line: str


def epoch(text: str, zone: str = ZONE) -> int:
    """``2026-03-02 09:00`` (local to ``zone``) as UTC epoch seconds."""
    fmt = "%Y-%m-%d %H:%M:%S" if text.count(":") == 2 else "%Y-%m-%d %H:%M"
    return int(datetime.strptime(text, fmt).replace(tzinfo=ZoneInfo(zone)).timestamp())


def rows(text: str, zone: str = ZONE) -> list[Row]:
    """Parse a table of calls (see the module docstring)."""
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    header = [cell.strip() for cell in lines[0].strip("|").split("|")]
    found = []
    for line in lines[1:]:
        cells = dict(zip(header, (c.strip() for c in line.strip("|").split("|")), strict=True))
        start = epoch(cells["start"], zone)
        answered = cells.get("talk", "120") != "-"
        talk = int(cells["talk"]) if answered and "talk" in cells else (120 if answered else 0)
        ring = int(cells.get("ring", "10"))
        duration = int(cells.get("duration", str(ring + talk)))
        state = cells.get("state", "AZ")
        buyer = cells.get("buyer", "Desert Auto" if answered else "-")
        call = CallFacts(
            id=int(cells["id"]), sid=f"CA{int(cells['id']):03d}", started_at=start,
            duration_s=duration, connected_s=talk, answered_at=start + ring if answered else None,
            caller=cells.get("caller", "+16025550100"),
            caller_state=None if state == "-" else state,
            campaign=cells.get("campaign", "Auto"), publisher=cells.get("publisher", "Acme Media"),
            buyer=None if buyer == "-" else buyer, final=cells.get("final", "yes") == "yes")
        found.append(Row(call, cells.get("outcome", ""), line))
    return found


def calls(text: str, zone: str = ZONE) -> list[CallFacts]:
    return [row.call for row in rows(text, zone)]


def describe(outcome: Outcome | None) -> str:
    """An outcome in the table's words: ``ok $45``, ``short, duplicate of 3``, ``-``."""
    if outcome is None:
        return "-"
    if outcome.qualified:
        dollars = f"{outcome.amount_micros / 1_000_000:.2f}".removesuffix(".00")
        return f"ok ${dollars}"
    return ", ".join(f"duplicate of {outcome.duplicate_of}" if r is Reason.DUPLICATE
                     else r.value for r in outcome.reasons)


def matches(expected: str, outcome: Outcome | None) -> bool:
    got = describe(outcome)
    if expected == "ok":
        return got.startswith("ok")
    if expected.startswith("ok $"):
        return outcome is not None and outcome.qualified and \
            outcome.amount_micros == to_micros(expected.removeprefix("ok "))
    return got == expected


def check(terms: Terms, text: str, *, zone: str = ZONE, history: list[Prior] | None = None,
          others: str = "", revenue: dict[int, int] | None = None) -> list[Outcome]:
    """Evaluate the table's calls (plus ``others``, uncovered workspace calls) and compare.

    Fails with every row that differs, shown as written beside what the engine decided.
    """
    table = rows(text, zone)
    workspace_calls = [row.call for row in table] + calls(others, zone) if others else \
        [row.call for row in table]
    outcomes = engine.evaluate(terms, workspace_calls, history=history or (), revenue=revenue)
    by_id = {o.call_id: o for o in outcomes}
    wrong = [f"{row.line}   -> engine: {describe(by_id.get(row.call.id))}"
             for row in table if not matches(row.expected, by_id.get(row.call.id))]
    assert not wrong, "rows the engine decided otherwise:\n" + "\n".join(wrong)
    return outcomes
