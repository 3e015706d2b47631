"""Write contract files in their one canonical form, so that export and import round-trip.

The canonical form: sections in the order campaigns, buyers, publishers, contracts, each entry
in the order given; keys in a fixed order; a key at its default left out (a buffer of 0, scope
"campaign", ``block_anonymous = true``...); sets sorted; a list on one line when it fits in 100
characters, else one item a line; one blank line between tables; no comments. Values use the
readable forms of :mod:`ppcdesk.billing.contract_forms`.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from pathlib import Path

from ppcdesk.billing.contract_forms import (
    write_block,
    write_duration,
    write_money,
    write_share,
)
from ppcdesk.billing.declarations import (
    ContractFile,
    DeclaredBuyer,
    DeclaredCampaign,
    DeclaredPublisher,
)
from ppcdesk.billing.terms import (
    BufferBasis,
    Callers,
    Caps,
    DuplicateBasis,
    DuplicateScope,
    Geography,
    Hours,
    Price,
    Terms,
    UnknownState,
)
from ppcdesk.config.atomic import write_text_atomic
from ppcdesk.core.model import PartnerKind

WIDTH = 100
DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_ESCAPES = {'"': '\\"', "\\": "\\\\", "\b": "\\b", "\t": "\\t", "\n": "\\n", "\f": "\\f",
            "\r": "\\r"}
Lines = list[str]


def _string(text: str) -> str:
    """A TOML basic string: control characters escaped, everything else as it is."""
    body = "".join(_ESCAPES.get(char) or (f"\\u{ord(char):04X}" if ord(char) < 0x20
                                          or ord(char) == 0x7F else char) for char in text)
    return f'"{body}"'


def _array(key: str, items: Iterable[str], *, one_per_line: bool = False) -> Lines:
    items = list(items)
    line = f"{key} = [{', '.join(items)}]"
    if not one_per_line and len(line) <= WIDTH:
        return [line]
    return [f"{key} = [", *(f"  {item}," for item in items), "]"]


def _strings(key: str, values: Iterable[str]) -> Lines:
    values = list(values)
    return _array(key, map(_string, values)) if values else []


def _inline(pairs: list[tuple[str, str]]) -> str:
    return "{ " + ", ".join(f"{key} = {value}" for key, value in pairs) + " }"


def _campaign(campaign: DeclaredCampaign) -> Lines:
    lines = [f"name = {_string(campaign.name)}", f"timezone = {_string(campaign.timezone)}"]
    return lines + ([f"vertical = {_string(campaign.vertical)}"] if campaign.vertical else [])


def _buyer(buyer: DeclaredBuyer) -> Lines:
    lines = [f"name = {_string(buyer.name)}"]
    if buyer.contact:
        lines.append(f"contact = {_string(buyer.contact)}")
    return lines + _strings("destinations", buyer.destinations)


def _publisher(publisher: DeclaredPublisher) -> Lines:
    lines = [f"name = {_string(publisher.name)}"]
    if publisher.kind is not PartnerKind.PUBLISHER:
        lines.append(f"kind = {_string(publisher.kind.value)}")
    if publisher.contact:
        lines.append(f"contact = {_string(publisher.contact)}")
    numbers = []
    for number in publisher.numbers:
        pairs = [("number", _string(number.e164))]
        if number.campaign is not None:
            pairs.append(("campaign", _string(number.campaign)))
        if number.friendly_name:
            pairs.append(("name", _string(number.friendly_name)))
        if number.monthly_cost_micros:
            pairs.append(("monthly_cost", _string(write_money(number.monthly_cost_micros))))
        numbers.append(_inline(pairs))
    return lines + (_array("numbers", numbers, one_per_line=True) if numbers else [])


def _price(price: Price) -> Lines:
    lines = []
    if price.fixed_micros is not None:
        lines.append(f"amount = {_string(write_money(price.fixed_micros))}")
    if price.tiers:
        tiers = (_inline([("from", _string(write_duration(tier.min_s, unit="s"))),
                          ("amount", _string(write_money(tier.amount_micros)))])
                 for tier in price.tiers)
        lines += _array("tiers", tiers, one_per_line=True)
    if price.revenue_share is not None:
        lines.append(f"revenue_share = {_string(write_share(price.revenue_share))}")
    return lines


def _hours(hours: Hours) -> Lines:
    weekly = list(hours.weekly)
    days = list(zip(DAYS, weekly, strict=False))
    lines: Lines = []
    if len(weekly) == 7 and weekly[0] and len(set(weekly)) == 1:
        days = [("every_day", weekly[0])]
    elif len(weekly) == 7 and weekly[0] and len(set(weekly[:5])) == 1:
        days = [("weekdays", weekly[0]), *days[5:]]
    for key, blocks in days:
        lines += _strings(key, map(write_block, blocks))
    closed = sorted(hours.closed_dates)
    return lines + (_array("closed", map(date.isoformat, closed)) if closed else [])


def _geography(geography: Geography) -> Lines:
    lines = [line for key in ("allowed_states", "blocked_states", "allowed_area_codes",
                              "blocked_area_codes")
             for line in _strings(key, sorted(getattr(geography, key)))]
    if geography.unknown_state is not UnknownState.ALLOW:
        lines.append(f"unknown_state = {_string(geography.unknown_state.value)}")
    return lines


def _callers(callers: Callers) -> Lines:
    defaults = Callers()
    lines = [f"{key} = {str(getattr(callers, key)).lower()}"
             for key in ("block_anonymous", "block_invalid", "us_ca_only")
             if getattr(callers, key) != getattr(defaults, key)]
    return lines + _strings("blocklist", sorted(callers.blocklist))


def _caps(caps: Caps) -> Lines:
    return [f"{key} = {getattr(caps, key)}"
            for key in ("hourly", "daily", "weekly", "monthly", "concurrency")
            if getattr(caps, key) is not None]


def _contract(terms: Terms) -> list[Lines]:
    head = ["[[contract]]", f"name = {_string(terms.name)}",
            f"{terms.counterparty.value} = {_string(terms.party)}"]
    if terms.campaign is not None:
        head.append(f"campaign = {_string(terms.campaign)}")
    head.append(f"timezone = {_string(terms.timezone)}")
    if terms.effective_from is not None:
        head.append(f"effective_from = {terms.effective_from.isoformat()}")
    if terms.note:
        head.append(f"note = {_string(terms.note)}")
    if terms.buffer_s:
        head.append(f"buffer = {_string(write_duration(terms.buffer_s, unit='s'))}")
    if terms.buffer_basis is not BufferBasis.CONNECTED:
        head.append(f"buffer_basis = {_string(terms.buffer_basis.value)}")
    tables = [("price", _price(terms.price))]
    if terms.duplicates is not None:
        duplicates = terms.duplicates
        lines = [f"window = {_string(write_duration(duplicates.window_s))}"]
        if duplicates.scope is not DuplicateScope.CAMPAIGN:
            lines.append(f"scope = {_string(duplicates.scope.value)}")
        if duplicates.basis is not DuplicateBasis.CONNECTED:
            lines.append(f"basis = {_string(duplicates.basis.value)}")
        tables.append(("duplicates", lines))
    if terms.hours is not None:
        tables.append(("hours", _hours(terms.hours)))
    tables += [("geography", _geography(terms.geography)), ("callers", _callers(terms.callers)),
               ("caps", _caps(terms.caps))]
    return [head] + [[f"[contract.{name}]", *lines] for name, lines in tables
                     if lines or name in {"price", "hours"}]


def dumps(value: ContractFile | Terms | Iterable[Terms]) -> str:
    """Write a whole file, one contract, or several contracts as canonical TOML text."""
    if isinstance(value, Terms):
        value = ContractFile(contracts=(value,))
    elif not isinstance(value, ContractFile):
        value = ContractFile(contracts=tuple(value))
    sections: list[Lines] = []
    sections += [["[[campaign]]", *_campaign(item)] for item in value.campaigns]
    sections += [["[[buyer]]", *_buyer(item)] for item in value.buyers]
    sections += [["[[publisher]]", *_publisher(item)] for item in value.publishers]
    for terms in value.contracts:
        sections += _contract(terms)
    return "\n\n".join("\n".join(lines) for lines in sections) + ("\n" if sections else "")


def export(path: Path, value: ContractFile | Terms | Iterable[Terms]) -> None:
    """Write :func:`dumps` of ``value`` to ``path`` atomically (the old file or the new one)."""
    write_text_atomic(path, dumps(value))
