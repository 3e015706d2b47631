"""How far back an evaluation reads a contract's earlier verdicts.

Caps count the calls a contract qualified in the current period, concurrency those still on
the line (a day at most), and "qualified" duplicates those of the window: only those verdicts
are read. A "connected" duplicate window looks at earlier calls, never at verdicts, so it
does not stretch how far back verdicts are read (the earlier calls themselves still are).
"""

from __future__ import annotations

import pytest
from ppcdesk.billing import contract_file
from ppcdesk.billing.workspaces import verdicts_from
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
    # duplicates of qualified calls: the window's verdicts, whatever the caps
    ('basis = "qualified"', "daily = 2", "2026-02-16 13:30"),  # 30 x 24 h, across DST
])
def test_earlier_verdicts_are_read_from(basis: str, caps: str, from_local: str) -> None:
    terms = contract_file.parse(CAPPED.format(basis=basis, caps=caps),
                                source="test.toml").contracts[0]
    assert verdicts_from(terms, local("2026-03-18 14:30")) == local(from_local)
