"""How far back an evaluation reads a contract's earlier verdicts.

Caps count the calls a contract qualified in the current period, concurrency those still on
the line (a day at most): only those verdicts of every call are read. A duplicate window does
not stretch it: a "connected" duplicate looks at earlier calls, never at verdicts, and a
"qualified" one at the verdicts of the range's own callers' earlier calls only (read apart,
through the (contract, call, flags) index; test_job holds the outcomes to a full run).
"""

from __future__ import annotations

import pytest
from ppcdesk.billing import contract_file
from ppcdesk.billing.workspaces import qualified_window, verdicts_from
from tests.billing.job_support import local

CAPPED = """\
[[contract]]
name = "Apex auto"
buyer = "Apex"
campaign = "Auto"
timezone = "America/Chicago"

[contract.price]
amount = "$45.00"

[contract.duplicates]
window = "30d"
{basis}

[contract.caps]
{caps}
"""


@pytest.mark.parametrize(("basis", "caps", "from_local"), [
    # a daily cap beside a 30-day window of connected calls: today's verdicts only
    ("", "daily = 2", "2026-03-18 00:00"),
    ('basis = "connected"', "hourly = 2", "2026-03-18 14:00"),
    ("", "weekly = 9", "2026-03-16 00:00"),  # the Monday
    ("", "monthly = 90", "2026-03-01 00:00"),
    ("", "concurrency = 1", "2026-03-17 14:30"),  # a day: Twilio ends calls at 24 h
    # duplicates of qualified calls: the range's callers' verdicts, read apart
    ('basis = "qualified"', "daily = 2", "2026-03-18 00:00"),
])
def test_earlier_verdicts_are_read_from(basis: str, caps: str, from_local: str) -> None:
    terms = contract_file.parse(CAPPED.format(basis=basis, caps=caps),
                                source="test.toml").contracts[0]
    assert verdicts_from(terms, local("2026-03-18 14:30")) == local(from_local)


@pytest.mark.parametrize(("basis", "window"), [
    ('basis = "qualified"', 30 * 86_400), ('basis = "connected"', None), ("", None)])
def test_the_callers_verdicts_are_read_over_a_qualified_window(
        basis: str, window: int | None) -> None:
    terms = contract_file.parse(CAPPED.format(basis=basis, caps="daily = 2"),
                                source="test.toml").contracts[0]
    assert qualified_window(terms) == window
