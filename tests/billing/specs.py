"""The contracts the specification tables run under: Desert Auto's, varied one rule at a time."""

from __future__ import annotations

import dataclasses
from typing import Any

from ppcdesk.billing.terms import Block, Hours, Price, Terms
from ppcdesk.core.model import Counterparty

WORKDAY = (Block(8 * 60, 18 * 60),)
MON_FRI = Hours((WORKDAY,) * 5 + ((), ()))

DESERT_AUTO = Terms(
    name="Desert Auto CPA", counterparty=Counterparty.BUYER, party="Desert Auto",
    campaign="Auto", timezone="America/Phoenix", price=Price(fixed_micros=45_000_000),
    buffer_s=90)


def terms(**changes: Any) -> Terms:
    """Desert Auto's contract with ``changes``: $45 for calls connected 90 s, Phoenix time."""
    return dataclasses.replace(DESERT_AUTO, **changes)
