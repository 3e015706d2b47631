"""Contract files in and out of a workspace: declarations, contracts and their versions.

Import writes everything a file declares in the caller's one transaction: campaigns, buyers
and their destination numbers, publishers and their tracking numbers (created, or updated by
name or E.164), then each contract version as the canonical TOML of that version alone; the
same text as the newest version of the same date adds nothing, so importing an export changes
nothing. A contract that names a campaign, buyer or publisher the workspace does not have (and
the file does not declare) refuses the whole file, naming the contract and the key.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import Connection

from ppcdesk.billing import contract_file
from ppcdesk.billing.contract_file import ContractFileError, Problem
from ppcdesk.billing.declarations import (
    ContractFile,
    DeclaredBuyer,
    DeclaredCampaign,
    DeclaredNumber,
    DeclaredPublisher,
)
from ppcdesk.billing.job import FOREVER, AfterWrite, Plan, effective_epoch, evaluate_job, plans
from ppcdesk.billing.terms import Terms
from ppcdesk.config.paths import resources_dir
from ppcdesk.core.changes import ChangeSet, Entity
from ppcdesk.core.clock import Clock, FixedClock, from_epoch, to_epoch
from ppcdesk.core.model import Counterparty, PartnerKind
from ppcdesk.core.progress import Job, Progress
from ppcdesk.storage import billing_store as store
from ppcdesk.storage.db import Database

IMPORTED = (Entity.CONTRACTS, Entity.CAMPAIGNS, Entity.PARTNERS, Entity.NUMBERS)


@dataclass(frozen=True, slots=True)
class ImportResult:
    """What an import did: contracts created, given a new version, or left as they were."""

    source: str
    created: tuple[str, ...] = ()
    updated: tuple[str, ...] = ()
    unchanged: tuple[str, ...] = ()
    declared: dict[str, int] = field(default_factory=dict)  # campaigns, buyers, publishers...

    @property
    def changed(self) -> bool:
        return bool(self.created or self.updated)


def version_text(terms: Terms) -> str:
    """The canonical TOML of one version alone: what contract_versions.terms stores."""
    return contract_file.dumps(ContractFile(contracts=(terms,)))


def save_file(conn: Connection, parsed: ContractFile, source: str, now: int) -> ImportResult:
    """Write everything ``parsed`` declares into the workspace (the caller's transaction)."""
    _check_references(conn, parsed, source)
    for campaign in parsed.campaigns:
        store.ensure_named(conn, "campaigns", campaign.name, now, timezone=campaign.timezone,
                           vertical=campaign.vertical)
    for buyer in parsed.buyers:
        buyer_id = store.ensure_named(conn, "buyers", buyer.name, now, contact=buyer.contact)
        for e164 in buyer.destinations:
            store.ensure_destination(conn, buyer_id, e164)
    known = store.names(conn)
    numbers = 0
    for publisher in parsed.publishers:
        publisher_id = store.ensure_named(conn, "publishers", publisher.name, now,
                                          kind=publisher.kind.value, contact=publisher.contact)
        for number in publisher.numbers:
            store.ensure_tracking_number(conn, number.e164, publisher_id,
                                         known.id_of("campaign", number.campaign),
                                         number.friendly_name, number.monthly_cost_micros)
            numbers += 1
    known = store.names(conn)
    created: list[str] = []
    updated: list[str] = []
    unchanged: list[str] = []
    for terms in parsed.contracts:
        party = known.id_of(terms.counterparty.value, terms.party)
        assert party is not None  # noqa: S101 - _check_references made sure
        status, _ = store.save_version(
            conn, name=terms.name, kind=terms.counterparty.value,
            campaign_id=known.id_of("campaign", terms.campaign), party_id=party,
            terms=version_text(terms), effective_from=effective_epoch(terms), note=terms.note,
            now=now)
        {"created": created, "updated": updated, "unchanged": unchanged}[status].append(
            terms.name)
    # A contract with two versions in one file is created, then updated: say "created".
    updated = [n for n in dict.fromkeys(updated) if n not in created]
    unchanged = [n for n in dict.fromkeys(unchanged) if n not in created and n not in updated]
    return ImportResult(source, tuple(dict.fromkeys(created)), tuple(updated), tuple(unchanged),
                        {"campaigns": len(parsed.campaigns), "buyers": len(parsed.buyers),
                         "publishers": len(parsed.publishers), "numbers": numbers})


def _check_references(conn: Connection, parsed: ContractFile, source: str) -> None:
    known = store.names(conn)
    have = {"campaign": set(known.campaigns.values()) | {c.name for c in parsed.campaigns},
            "buyer": set(known.buyers.values()) | {b.name for b in parsed.buyers},
            "publisher": set(known.publishers.values()) | {p.name for p in parsed.publishers}}
    problems: list[Problem] = []
    for terms in parsed.contracts:
        subject = f"contract {terms.name!r}"
        kind = terms.counterparty.value
        if terms.party not in have[kind]:
            problems.append(Problem(source, 0, kind, f"no {kind} {terms.party!r} in the "
                                    f"workspace or the file: declare it in a [[{kind}]]",
                                    subject))
        if terms.campaign is not None and terms.campaign not in have["campaign"]:
            problems.append(Problem(source, 0, "campaign", f"no campaign {terms.campaign!r} in "
                                    "the workspace or the file: declare it in a [[campaign]]",
                                    subject))
    for publisher in parsed.publishers:
        problems.extend(
            Problem(source, 0, "numbers", f"{number.e164}: no campaign {number.campaign!r} in "
                    "the workspace or the file", f"publisher {publisher.name!r}")
            for number in publisher.numbers
            if number.campaign is not None and number.campaign not in have["campaign"])
    if problems:
        raise ContractFileError(problems)


def in_force(plan: Plan) -> list[Terms]:
    """The versions of a contract that still decide some calls, oldest first."""
    return [s.terms for s in plan.segments(-FOREVER, FOREVER)]


def export_file(conn: Connection, name: str | None = None) -> ContractFile:
    """One contract (or every active one) with the declarations it references."""
    chosen = [p for p in plans(conn) if name is None or p.name == name]
    contracts = tuple(t for p in sorted(chosen, key=lambda p: p.name) for t in in_force(p))
    buyers = {t.party for t in contracts if t.counterparty is Counterparty.BUYER}
    publishers = {t.party for t in contracts if t.counterparty is Counterparty.PUBLISHER}
    declared_publishers = _publishers(conn, publishers)
    campaigns = {t.campaign for t in contracts if t.campaign} | {
        n.campaign for p in declared_publishers for n in p.numbers if n.campaign}
    return ContractFile(_campaigns(conn, campaigns), _buyers(conn, buyers),
                        declared_publishers, contracts)


def _campaigns(conn: Connection, wanted: set[str]) -> tuple[DeclaredCampaign, ...]:
    rows = conn.exec_driver_sql("SELECT name, timezone, vertical FROM campaigns ORDER BY name")
    return tuple(DeclaredCampaign(n, tz, v or "") for n, tz, v in rows if n in wanted)


def _buyers(conn: Connection, wanted: set[str]) -> tuple[DeclaredBuyer, ...]:
    lines: dict[str, list[str]] = {}
    for buyer, e164 in conn.exec_driver_sql(
            "SELECT b.name, d.e164 FROM buyer_destinations d JOIN buyers b ON b.id = d.buyer_id "
            "ORDER BY d.e164"):
        lines.setdefault(buyer, []).append(e164)
    rows = conn.exec_driver_sql("SELECT name, contact FROM buyers ORDER BY name")
    return tuple(DeclaredBuyer(n, tuple(lines.get(n, ())), c or "") for n, c in rows
                 if n in wanted)


def _publishers(conn: Connection, wanted: set[str]) -> tuple[DeclaredPublisher, ...]:
    numbers: dict[str, list[DeclaredNumber]] = {}
    for publisher, e164, campaign, friendly, cost in conn.exec_driver_sql(
            "SELECT p.name, n.e164, c.name, n.friendly_name, n.monthly_cost_micros "
            "FROM tracking_numbers n JOIN publishers p ON p.id = n.publisher_id "
            "LEFT JOIN campaigns c ON c.id = n.campaign_id WHERE n.status = 'active' "
            "ORDER BY n.e164"):
        numbers.setdefault(publisher, []).append(
            DeclaredNumber(e164, campaign, friendly or "", int(cost or 0)))
    rows = conn.exec_driver_sql("SELECT name, kind, contact FROM publishers ORDER BY name")
    return tuple(DeclaredPublisher(n, PartnerKind(k), c or "", tuple(numbers.get(n, ())))
                 for n, k, c in rows if n in wanted)


def import_job(db: Database, text: str, source: str, clock: Clock, *, evaluate: bool = True,
               after_write: AfterWrite | None = None) -> Job[tuple[ImportResult, ChangeSet]]:
    """Import a contract file in one transaction, then evaluate what it changed."""
    yield Progress(0, None, f"Importing {source}")
    parsed = contract_file.parse(text, source=source)
    with db.write() as conn:
        result = save_file(conn, parsed, source, to_epoch(clock.now()))
    changes = ChangeSet.of(*IMPORTED, created=len(result.created), updated=len(result.updated))
    if evaluate:
        changes = changes | (yield from evaluate_job(db, clock, incremental=True,
                                                     after_write=after_write))
    return result, changes


def demo_contracts_job(db: Database, at: int, after_write: AfterWrite | None = None, *,
                       total: int | None = None) -> Job[ChangeSet]:
    """Give a new demo workspace the demo's contracts (resources/demo) and evaluate them all.

    ``at`` is the demo's "now" (its year's end), so a seed still decides every row. Progress
    is reported as ``total`` of ``total`` (the demo's own count: its bar stays full).
    """
    path = resources_dir() / "demo" / "contracts.toml"
    job = import_job(db, path.read_text(encoding="utf-8"), path.name,
                     FixedClock(from_epoch(at)), after_write=after_write)
    try:
        while True:
            progress = next(job)
            yield Progress(total, total, progress.message) if total is not None else progress
    except StopIteration as stop:
        changes: ChangeSet = stop.value[1]
        return changes
    finally:
        job.close()
