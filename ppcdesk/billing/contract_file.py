"""Read and write contract files: TOML that sets up campaigns, buyers, publishers and contracts.

The format is documented in docs/contracts.md. Reading is all or nothing: :func:`parse` either
returns the whole :class:`ContractFile` or raises one :class:`ContractFileError` listing every
problem with its file, line and key (``contracts.toml:14: contract 'Desert Auto'
price.tiers[1]: overlaps another tier starting at 120 s``), so an import never stops halfway.
Writing is canonical: ``parse(dumps(x)) == x``, and ``dumps(parse(text)) == text`` when ``text``
is canonical (as every example in the docs is).

To add a key: read it in ``_contract`` (or a declaration reader) with a reader from
:mod:`ppcdesk.billing.contract_forms`, list it in the table's known keys, and write it in
:mod:`ppcdesk.billing.contract_writer` (omitted at its default).
"""

from __future__ import annotations

import difflib
import re
import tomllib
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum
from pathlib import Path
from typing import TypeVar

from ppcdesk.billing import contract_forms as forms
from ppcdesk.billing.contract_writer import dumps, export
from ppcdesk.billing.declarations import (
    ContractFile,
    DeclaredBuyer,
    DeclaredCampaign,
    DeclaredNumber,
    DeclaredPublisher,
)
from ppcdesk.billing.terms import (
    Block,
    BufferBasis,
    Callers,
    Caps,
    DuplicateBasis,
    Duplicates,
    DuplicateScope,
    Geography,
    Hours,
    Price,
    Terms,
    Tier,
    UnknownState,
)
from ppcdesk.billing.toml_lines import KeyPath, key_lines, line_of
from ppcdesk.core.errors import PpcdeskError
from ppcdesk.core.model import Counterparty, PartnerKind

__all__ = ["ContractFile", "ContractFileError", "DeclaredBuyer", "DeclaredCampaign",
           "DeclaredNumber", "DeclaredPublisher", "Problem", "dumps", "export", "load", "parse"]

T = TypeVar("T")
E = TypeVar("E", bound=StrEnum)
DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
SHORTHANDS = {"every_day": range(7), "weekdays": range(5)}
_SYNTAX = re.compile(r"\s*\((?:at line (\d+), column (\d+)|at end of document)\)$")
_KEY_PART = re.compile(r"([^.\[\]]+)|\[(\d+)\]")
_SECTIONS = ("campaign", "buyer", "publisher", "contract")



@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong in a contract file; ``key`` is dotted inside ``subject`` (``caps.daily``)."""

    source: str
    line: int
    key: str
    message: str
    subject: str = ""  # "contract 'Desert Auto'"; empty for the file's top level

    def __str__(self) -> str:
        where = " ".join(part for part in (self.subject, self.key) if part)
        return f"{self.source}:{self.line}: {where + ': ' if where else ''}{self.message}"


class ContractFileError(PpcdeskError):
    """A contract file that cannot be used as it is; ``problems`` lists each thing to fix."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__("\n".join(map(str, problems)))
        self.problems = problems


@dataclass
class _Scope:
    """Where problems are reported: ``subject`` names the entry, ``base`` is its path."""

    subject: str
    base: KeyPath
    reported: list[KeyPath] = field(default_factory=list)
    aliases: dict[KeyPath, KeyPath] = field(default_factory=dict)  # hours.mon -> hours.weekdays


class _Reader:
    def __init__(self, source: str, text: str) -> None:
        self.source = source
        self.lines = key_lines(text)
        self.problems: list[Problem] = []

    def report(self, scope: _Scope, rel: KeyPath, message: str) -> None:
        scope.reported.append(rel)
        problem = Problem(self.source, line_of(self.lines, (*scope.base, *rel)), _dotted(rel),
                          message, scope.subject)
        if problem not in self.problems:  # "weekdays" overlaps once, not once a day
            self.problems.append(problem)

    def line(self, path: KeyPath) -> int:
        return line_of(self.lines, path)


class _Table:
    """One TOML table being read: unknown keys are reported as soon as it is opened."""

    def __init__(self, reader: _Reader, scope: _Scope, rel: KeyPath, data: dict[str, object],
                 keys: tuple[str, ...]) -> None:
        self.reader, self.scope, self.rel, self.data = reader, scope, rel, data
        for key in data:
            if key not in keys:
                close = difflib.get_close_matches(key, keys, n=1)
                hint = f"did you mean {close[0]!r}?" if close else "known: " + ", ".join(keys)
                self.fail(key, f"unknown key; {hint}")

    def fail(self, key: str | KeyPath, message: str) -> None:
        rel = (*self.rel, key) if isinstance(key, str) else (*self.rel, *key)
        self.reader.report(self.scope, rel, message)

    def get(self, key: str, read: Callable[[object], T], default: T, *,
            refused: T | None = None) -> T:
        """Read ``key``: ``default`` when it is absent, ``refused`` (or default) when bad."""
        if key not in self.data:
            return default
        try:
            return read(self.data[key])
        except forms.FormError as exc:
            self.fail(key, str(exc))
            return default if refused is None else refused

    def need(self, key: str, read: Callable[[object], T], default: T) -> T:
        if key not in self.data:
            self.fail(key, "is missing")
        return self.get(key, read, default)

    def items(self, key: str, read: Callable[[object], T]) -> list[T]:
        value = self.data.get(key, [])
        if not isinstance(value, list):
            self.fail(key, "must be a list in brackets [...]")
            return []
        found: list[T] = []
        for index, item in enumerate(value):
            try:
                found.append(read(item))
            except forms.FormError as exc:
                self.fail((key, index), str(exc))
        return found

    def table(self, key: str, keys: tuple[str, ...]) -> _Table | None:
        value = self.data.get(key)
        if value is None:
            return None
        if not isinstance(value, dict):
            self.fail(key, f"must be a table ([{'.'.join(map(str, self.scope.base[:1]))}.{key}]"
                      " or { ... })")
            return None
        return _Table(self.reader, self.scope, (*self.rel, key), value, keys)

    def tables(self, key: str, keys: tuple[str, ...], shape: str) -> list[_Table]:
        value = self.data.get(key, [])
        if not isinstance(value, list):
            self.fail(key, f"must be a list of tables: {shape}")
            return []
        found: list[_Table] = []
        for index, item in enumerate(value):
            if isinstance(item, dict):
                found.append(_Table(self.reader, self.scope, (*self.rel, key, index), item, keys))
            else:
                self.fail((key, index), f"must be a table: {shape}")
        return found


def _dotted(path: KeyPath) -> str:
    """Write a path as the file's reader would: ``price.tiers[1]``."""
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else f".{part}" if text else part
    return text


def _path(dotted: str) -> KeyPath:
    return tuple(int(index) if index else name for name, index in _KEY_PART.findall(dotted))


def _subject(kind: str, index: int, data: dict[str, object]) -> str:
    name = data.get("name")
    return f"{kind} {name!r}" if isinstance(name, str) and name.strip() else f"{kind} #{index + 1}"


def _enum(table: _Table, key: str, kind: type[E], default: E) -> E:
    choices = tuple(member.value for member in kind)
    return table.get(key, lambda v: kind(forms.read_choice(v, choices)), default)


def _price(contract: _Table) -> Price:
    table = contract.table("price", ("amount", "tiers", "revenue_share"))
    if table is None:
        if "price" not in contract.data:
            contract.fail("price", "is missing: add [contract.price] with amount, tiers or "
                                   "revenue_share")
        return Price(fixed_micros=0)
    tiers = tuple(
        Tier(tier.need("from", forms.read_duration, 0), tier.need("amount", forms.read_money, 0))
        for tier in table.tables("tiers", ("from", "amount"),
                                 '{ from = "60s", amount = "$20.00" }'))
    # A refused amount or share stands in as 0, so the terms do not also say one is missing.
    return Price(table.get("amount", forms.read_money, None, refused=0), tiers,
                 table.get("revenue_share", forms.read_share, None, refused=Decimal(0)))


def _hours(contract: _Table) -> Hours | None:
    table = contract.table("hours", (*SHORTHANDS, *DAYS, "closed"))
    if table is None:
        return None
    weekly: list[tuple[Block, ...] | None] = [None] * 7
    given_by: dict[int, str] = {}
    for key in (*SHORTHANDS, *DAYS):
        if key not in table.data:
            continue
        days = SHORTHANDS[key] if key in SHORTHANDS else (DAYS.index(key),)
        twice = [day for day in days if day in given_by]
        if twice:
            table.fail(key, f"{DAYS[twice[0]]} is already given by {given_by[twice[0]]}")
            continue
        blocks = tuple(table.items(key, forms.read_block))
        for day in days:
            given_by[day] = key
            weekly[day] = blocks
            if key in SHORTHANDS:  # the terms name the day; the file wrote the shorthand
                table.scope.aliases[("hours", DAYS[day])] = ("hours", key)
    return Hours(tuple(blocks or () for blocks in weekly),
                 frozenset(table.items("closed", forms.read_date)))


def _duplicates(contract: _Table) -> Duplicates | None:
    table = contract.table("duplicates", ("window", "scope", "basis"))
    if table is None:
        return None
    return Duplicates(table.need("window", forms.read_duration, 1),
                      _enum(table, "scope", DuplicateScope, DuplicateScope.CAMPAIGN),
                      _enum(table, "basis", DuplicateBasis, DuplicateBasis.CONNECTED))


def _geography(contract: _Table) -> Geography:
    keys = ("allowed_states", "blocked_states", "allowed_area_codes", "blocked_area_codes")
    table = contract.table("geography", (*keys, "unknown_state"))
    if table is None:
        return Geography()
    states, codes = forms.read_state, forms.read_area_code
    return Geography(frozenset(table.items(keys[0], states)),
                     frozenset(table.items(keys[1], states)),
                     frozenset(table.items(keys[2], codes)),
                     frozenset(table.items(keys[3], codes)),
                     _enum(table, "unknown_state", UnknownState, UnknownState.ALLOW))


def _callers(contract: _Table) -> Callers:
    table = contract.table("callers", ("block_anonymous", "block_invalid", "us_ca_only",
                                       "blocklist"))
    if table is None:
        return Callers()
    return Callers(table.get("block_anonymous", forms.read_bool, True),
                   table.get("block_invalid", forms.read_bool, True),
                   table.get("us_ca_only", forms.read_bool, False),
                   frozenset(table.items("blocklist", forms.read_phone)))


def _caps(contract: _Table) -> Caps:
    keys = ("hourly", "daily", "weekly", "monthly", "concurrency")
    table = contract.table("caps", keys)
    if table is None:
        return Caps()
    return Caps(*(table.get(key, forms.read_count, None) for key in keys))


def _contract(table: _Table) -> Terms:
    scope, data, reader = table.scope, table.data, table.reader
    buyer = table.get("buyer", forms.read_text, None)
    publisher = table.get("publisher", forms.read_text, None)
    if buyer is not None and publisher is not None:
        table.fail("publisher", "a contract names a buyer or a publisher, not both")
    elif "buyer" not in data and "publisher" not in data:
        table.fail("buyer", 'is missing: name the buyer = "..." or the publisher = "..."')
    counterparty = Counterparty.PUBLISHER if buyer is None and publisher else Counterparty.BUYER
    terms = Terms(
        name=table.need("name", forms.read_text, ""),
        counterparty=counterparty,
        party=(publisher if counterparty is Counterparty.PUBLISHER else buyer) or "",
        campaign=table.get("campaign", forms.read_text, None),
        timezone=table.need("timezone", forms.read_zone, "UTC"),
        price=_price(table),
        buffer_s=table.get("buffer", forms.read_duration, 0),
        buffer_basis=_enum(table, "buffer_basis", BufferBasis, BufferBasis.CONNECTED),
        duplicates=_duplicates(table),
        hours=_hours(table),
        geography=_geography(table),
        callers=_callers(table),
        caps=_caps(table),
        effective_from=table.get("effective_from", forms.read_date, None),
        note=table.get("note", forms.read_text, ""),
    )
    reported = list(scope.reported)
    for key, why in terms.problems():
        rel = scope.aliases.get(_path(key), _path(key))
        if not any(_explained(rel, seen) for seen in reported):
            reader.report(scope, rel, why)
    return terms


def _explained(problem: KeyPath, refused: KeyPath) -> bool:
    """Whether the terms' ``problem`` only echoes the value already refused at ``refused``.

    A refused value was replaced by a stand-in, and the terms judged the stand-in: a problem
    at the refused key, inside it, or in a table holding it is noise. Not so when the refused
    key is an amount: an amount stands in as 0, which a tier's overlap does not depend on.
    """
    if refused[:len(problem)] != problem:
        return problem[:len(refused)] == refused
    return problem == refused or refused[-1] != "amount"


def _campaign(table: _Table) -> DeclaredCampaign:
    return DeclaredCampaign(table.need("name", forms.read_text, ""),
                            table.need("timezone", forms.read_zone, "UTC"),
                            table.get("vertical", forms.read_text, ""))


def _buyer(table: _Table) -> DeclaredBuyer:
    return DeclaredBuyer(table.need("name", forms.read_text, ""),
                         tuple(table.items("destinations", forms.read_phone)),
                         table.get("contact", forms.read_text, ""))


def _publisher(table: _Table) -> DeclaredPublisher:
    numbers = tuple(
        DeclaredNumber(number.need("number", forms.read_phone, ""),
                       number.get("campaign", forms.read_text, None),
                       number.get("name", forms.read_text, ""),
                       number.get("monthly_cost", forms.read_money, 0))
        for number in table.tables("numbers", ("number", "campaign", "name", "monthly_cost"),
                                   '{ number = "+18885550101", campaign = "..." }'))
    return DeclaredPublisher(table.need("name", forms.read_text, ""),
                             _enum(table, "kind", PartnerKind, PartnerKind.PUBLISHER),
                             table.get("contact", forms.read_text, ""), numbers)


_KEYS = {
    "campaign": ("name", "timezone", "vertical"),
    "buyer": ("name", "contact", "destinations"),
    "publisher": ("name", "kind", "contact", "numbers"),
    "contract": ("name", "buyer", "publisher", "campaign", "timezone", "effective_from", "note",
                 "buffer", "buffer_basis", "price", "duplicates", "hours", "geography",
                 "callers", "caps"),
}


def _check_unique(reader: _Reader, scopes: list[tuple[_Scope, object]], what: str) -> None:
    """Report entries whose ``key`` repeats an earlier one's."""
    first: dict[object, _Scope] = {}
    for scope, key in scopes:
        if key in first:
            earlier = first[key]
            reader.report(scope, ("name",),
                          f"{what} twice (first on line {reader.line(earlier.base)})")
        else:
            first[key] = scope


def _check_numbers(reader: _Reader, found: ContractFile, scopes: dict[str, list[_Scope]]) -> None:
    seen: dict[str, str] = {}
    for scope, buyer in zip(scopes["buyer"], found.buyers, strict=True):
        for index, number in enumerate(buyer.destinations):
            if number in seen:
                reader.report(scope, ("destinations", index), f"{number} is also {seen[number]}")
            seen.setdefault(number, f"a destination of {scope.subject}")
    for scope, publisher in zip(scopes["publisher"], found.publishers, strict=True):
        for index, declared in enumerate(publisher.numbers):
            if declared.e164 in seen:
                reader.report(scope, ("numbers", index, "number"),
                              f"{declared.e164} is also {seen[declared.e164]}")
            seen.setdefault(declared.e164, f"a tracking number of {scope.subject}")


def _check_versions(reader: _Reader, contracts: list[tuple[_Scope, Terms]]) -> None:
    """Contracts sharing a name are versions: distinct dates, the same party and campaign."""
    _check_unique(reader, [(scope, (terms.name, terms.effective_from))
                           for scope, terms in contracts], "is declared with this effective_from")
    first: dict[str, Terms] = {}
    for scope, terms in contracts:
        earlier = first.setdefault(terms.name, terms)
        who = (terms.counterparty, terms.party, terms.campaign)
        if who != (earlier.counterparty, earlier.party, earlier.campaign):
            reader.report(scope, ("name",), "another version of this contract names another "
                                            "counterparty or campaign; give it another name")


def parse(text: str, *, source: str = "<text>") -> ContractFile:
    """Read a contract file's text; raise :class:`ContractFileError` naming every problem."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        message = str(exc)
        match = _SYNTAX.search(message)
        line = int(match[1]) if match and match[1] else text.count("\n") + 1
        where = f" (column {match[2]})" if match and match[2] else ""
        detail = message[:match.start()] if match else message
        problem = Problem(source, line, "", f"not valid TOML: {detail}{where}")
        raise ContractFileError([problem]) from None
    reader = _Reader(source, text)
    top = _Table(reader, _Scope("", ()), (), data, _SECTIONS)
    scopes: dict[str, list[_Scope]] = {kind: [] for kind in _SECTIONS}
    for kind in _SECTIONS:
        entries = data.get(kind, [])
        if not isinstance(entries, list):
            top.fail(kind, f"write [[{kind}]] with two brackets: a file may hold several")
            continue
        for index, entry in enumerate(entries):
            if not isinstance(entry, dict):
                top.fail((kind, index), f"must be a table: [[{kind}]]")
                continue
            scopes[kind].append(_Scope(_subject(kind, index, entry), (kind, index)))
    tables = {kind: [_Table(reader, scope, (), data[kind][scope.base[1]], _KEYS[kind])
                     for scope in scopes[kind]] for kind in _SECTIONS}
    found = ContractFile(tuple(map(_campaign, tables["campaign"])),
                         tuple(map(_buyer, tables["buyer"])),
                         tuple(map(_publisher, tables["publisher"])),
                         tuple(map(_contract, tables["contract"])))
    names: dict[str, tuple[str, ...]] = {
        "campaign": tuple(item.name for item in found.campaigns),
        "buyer": tuple(item.name for item in found.buyers),
        "publisher": tuple(item.name for item in found.publishers)}
    for kind, declared in names.items():
        _check_unique(reader, list(zip(scopes[kind], declared, strict=True)), "is declared")
    _check_numbers(reader, found, scopes)
    _check_versions(reader, list(zip(scopes["contract"], found.contracts, strict=True)))
    if reader.problems:
        raise ContractFileError(sorted(reader.problems, key=lambda problem: problem.line))
    return found


def load(path: Path | str) -> ContractFile:
    """Read a contract file from disk (UTF-8); problems name it as it was given."""
    path = Path(path)
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        raise ContractFileError([Problem(str(path), line, "", "is not UTF-8 text")]) from None
    return parse(text, source=str(path))
