"""What a contract file declares: the workspace's campaigns, buyers, publishers and contracts.

One file can set up a whole workspace, so besides contract terms it names the campaigns (with
their time zones), the buyers with the destination numbers their calls are forwarded to (which
is how a call's buyer is known), and the publishers with the tracking numbers they own (which is
how a call's publisher is known). These are plain frozen values: the importer writes them into
the database in one transaction; :mod:`ppcdesk.billing.contract_file` reads and writes them.
"""

from __future__ import annotations

from dataclasses import dataclass

from ppcdesk.billing.terms import Terms
from ppcdesk.core.model import PartnerKind


@dataclass(frozen=True, slots=True)
class DeclaredCampaign:
    """A campaign: calls to its tracking numbers are shown (and capped) in ``timezone``."""

    name: str
    timezone: str
    vertical: str = ""


@dataclass(frozen=True, slots=True)
class DeclaredBuyer:
    """A buyer and the numbers calls are forwarded to (E.164); the answered one names it."""

    name: str
    destinations: tuple[str, ...] = ()
    contact: str = ""


@dataclass(frozen=True, slots=True)
class DeclaredNumber:
    """A tracking number (E.164) a publisher owns, and the campaign it rings."""

    e164: str
    campaign: str | None = None
    friendly_name: str = ""
    monthly_cost_micros: int = 0


@dataclass(frozen=True, slots=True)
class DeclaredPublisher:
    """A publisher (or the workspace's own traffic source) and its tracking numbers."""

    name: str
    kind: PartnerKind = PartnerKind.PUBLISHER
    contact: str = ""
    numbers: tuple[DeclaredNumber, ...] = ()


@dataclass(frozen=True, slots=True)
class ContractFile:
    """Everything one contract file says, in the file's order.

    Several contracts may share a name when their ``effective_from`` differ: they are versions
    of one contract (same counterparty and campaign), the later one in force from its date.
    """

    campaigns: tuple[DeclaredCampaign, ...] = ()
    buyers: tuple[DeclaredBuyer, ...] = ()
    publishers: tuple[DeclaredPublisher, ...] = ()
    contracts: tuple[Terms, ...] = ()

    def contract(self, name: str) -> tuple[Terms, ...]:
        """The versions of the contract called ``name``, in the file's order."""
        return tuple(terms for terms in self.contracts if terms.name == name)
