"""Contract files: readable values, exact round trips, and refusals that name file, line and key."""

from __future__ import annotations

import textwrap
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from ppcdesk.billing import contract_forms as forms
from ppcdesk.billing.contract_file import (
    ContractFile,
    ContractFileError,
    DeclaredBuyer,
    DeclaredCampaign,
    DeclaredNumber,
    DeclaredPublisher,
    dumps,
    export,
    load,
    parse,
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
from ppcdesk.billing.toml_lines import key_lines, line_of
from ppcdesk.core.model import Counterparty, PartnerKind
from ppcdesk.core.phone import US_STATES

ROOT = Path(__file__).resolve().parents[2]
CANONICAL = [*sorted((ROOT / "docs" / "examples").glob("*.toml")),
             ROOT / "resources" / "demo" / "contracts.toml"]


def refusals(text: str) -> list[str]:
    with pytest.raises(ContractFileError) as caught:
        parse(textwrap.dedent(text), source="contracts.toml")
    return [str(problem) for problem in caught.value.problems]


# ------------------------------------------------------------------ readable forms
@pytest.mark.parametrize(("written", "micros"), [
    ("$45.00", 45_000_000),
    ("45", 45_000_000),
    ("$1,200.50", 1_200_500_000),
    ("0.0085", 8_500),  # a telco rate: finer than a cent, exact to the micro
    (45, 45_000_000),  # a whole number is exact too
    ("-$3.00", -3_000_000),  # read; the terms then refuse it as negative
])
def test_money_is_read_exactly(written: object, micros: int) -> None:
    assert forms.read_money(written) == micros


@pytest.mark.parametrize(("written", "why"), [
    (12.99, '12.99 is a decimal number, which is not exact: write it as a string, "12.99"'),
    ("twelve", "'twelve' is not an amount like \"$45.00\""),
    ("0.0000005", "'0.0000005' is finer than a millionth"),
    (True, 'must be an amount like "$45.00", not a true/false'),
])
def test_money_that_is_not_exact_is_refused(written: object, why: str) -> None:
    with pytest.raises(forms.FormError, match="^" + _escape(why) + "$"):
        forms.read_money(written)


@pytest.mark.parametrize(("written", "seconds", "canonical"), [
    ("90s", 90, "90s"),
    ("90 s", 90, "90s"),
    ("2m", 120, "2m"),
    ("1h30m", 5_400, "90m"),
    ("36h", 129_600, "36h"),
    ("30d", 2_592_000, "30d"),
    ("0s", 0, "0s"),
])
def test_durations_carry_their_unit(written: str, seconds: int, canonical: str) -> None:
    assert forms.read_duration(written) == seconds
    assert forms.write_duration(seconds) == canonical


@pytest.mark.parametrize(("written", "why"), [
    (90, 'must be a duration with its unit, like "90s", not a number'),
    ("90", "'90' is not a duration like \"90s\", \"2m\", \"36h\" or \"30d\""),
    ("2w", "'2w' is not a duration"),
    ("", "'' is not a duration"),
])
def test_durations_without_a_unit_are_refused(written: object, why: str) -> None:
    with pytest.raises(forms.FormError, match="^" + _escape(why)):
        forms.read_duration(written)


@pytest.mark.parametrize(("written", "block"), [
    ("08:00-18:00", Block(480, 1080)),
    ("8:30-12:00", Block(510, 720)),
    ("00:00-24:00", Block(0, 1440)),
])
def test_hours_are_blocks_of_the_day(written: str, block: Block) -> None:
    assert forms.read_block(written) == block


@pytest.mark.parametrize(("written", "why"), [
    ("8-18", "'8-18' is not a block like \"08:00-18:00\""),
    ("08:00", "'08:00' is not a block like \"08:00-18:00\""),
    ("08:60-09:00", "'08:60-09:00': 08:60 is not a time of day (00:00 to 24:00)"),
    ("24:30-25:00", "'24:30-25:00': 24:30 is not a time of day (00:00 to 24:00)"),
])
def test_bad_hours_are_refused(written: str, why: str) -> None:
    with pytest.raises(forms.FormError, match="^" + _escape(why) + "$"):
        forms.read_block(written)


@pytest.mark.parametrize(("written", "share", "canonical"), [
    ("60%", Decimal("0.6"), "60%"),
    ("12.5 %", Decimal("0.125"), "12.5%"),
    ("0%", Decimal(0), "0%"),
    ("100%", Decimal(1), "100%"),
])
def test_revenue_share_is_a_percentage(written: str, share: Decimal, canonical: str) -> None:
    assert forms.read_share(written) == share
    assert forms.write_share(share) == canonical


@pytest.mark.parametrize(("reader", "written", "why"), [
    (forms.read_share, 0.6, 'must be a percentage in quotes, like "0.6%"'),
    (forms.read_state, "Arizona", "write 'Arizona' as its two-letter code, 'AZ'"),
    (forms.read_state, "ZZ", "'ZZ' is not a US state or Canadian province code like 'AZ'"),
    (forms.read_area_code, 602, 'write area codes as strings, like "602"'),
    (forms.read_area_code, "123", "'123' is not an area code like '602'"),
    (forms.read_date, "2026-02-30", "'2026-02-30' is not a date like 2026-12-25"),
    (forms.read_phone, "555-0100", "'555-0100' is not a phone number"),
    (forms.read_zone, "America/Pheonix", ("'America/Pheonix' is not a time zone like "
                                         "'America/Phoenix'; did you mean 'America/Phoenix'?")),
])
def test_values_out_of_form_say_what_to_write(reader: object, written: object, why: str) -> None:
    assert callable(reader)
    with pytest.raises(forms.FormError, match="^" + _escape(why) + "$"):
        reader(written)


def test_states_and_numbers_are_kept_in_one_spelling() -> None:
    assert forms.read_state("az") == "AZ"
    assert forms.read_phone("(602) 555-0131") == "+16025550131"
    assert forms.STATE_NAMES["WA"] == "Washington"
    assert forms.STATE_NAMES["DC"] == "District of Columbia"


def _escape(text: str) -> str:
    import re

    return re.escape(text)


# ------------------------------------------------------------------ the key locator
LOCATED = '''\
# a comment with [brackets] and key = "value"
title = "a # not a comment"

[[contract]]
name = "First"
price.amount = "$1"

[contract.hours]
mon = [
  "08:00-12:00",
  "13:00-18:00",
]

[[contract]]
name = """multi
line [[not a header]]
"""
tiers = [ { from = "60s", amount = "$1" },
  { from = "120s", amount = "$2" } ]
"quoted key" = 1
'''


@pytest.mark.parametrize(("path", "line"), [
    (("title",), 2),
    (("contract",), 4),
    (("contract", 0), 4),
    (("contract", 0, "name"), 5),
    (("contract", 0, "price"), 6),
    (("contract", 0, "price", "amount"), 6),
    (("contract", 0, "hours"), 8),
    (("contract", 0, "hours", "mon"), 9),
    (("contract", 0, "hours", "mon", 1), 11),
    (("contract", 1), 14),
    (("contract", 1, "name"), 15),
    (("contract", 1, "tiers", 0, "from"), 18),
    (("contract", 1, "tiers", 1), 19),
    (("contract", 1, "tiers", 1, "amount"), 19),
    (("contract", 1, "quoted key"), 20),
])
def test_every_key_is_found_on_its_line(path: tuple[str | int, ...], line: int) -> None:
    assert key_lines(LOCATED)[path] == line


def test_an_unwritten_key_is_placed_at_its_nearest_written_ancestor() -> None:
    lines = key_lines(LOCATED)
    assert line_of(lines, ("contract", 0, "hours", "tue")) == 8
    assert line_of(lines, ("contract", 1, "caps", "daily")) == 14
    assert line_of(lines, ("nothing",)) == 1


# ------------------------------------------------------------------ refusals
def test_a_syntax_error_names_its_line_and_column() -> None:
    assert refusals("""\
        [[contract]]
        name = "x"
        buyer =
        """) == ["contracts.toml:3: not valid TOML: Invalid value (column 8)"]


@pytest.mark.parametrize(("snippet", "expected"), [
    ('bufer = "90s"', ("contracts.toml:6: contract 'Desert Auto' bufer: unknown key; "
                      "did you mean 'buffer'?")),
    ('timezone = "Mars/Olympus"', ("contracts.toml:6: contract 'Desert Auto' timezone: "
                                  "'Mars/Olympus' is not a time zone like 'America/Phoenix'")),
    ("buffer = 90", ('contracts.toml:6: contract \'Desert Auto\' buffer: must be a duration '
                    'with its unit, like "90s", not a number')),
    ('buffer_basis = "talk"', ("contracts.toml:6: contract 'Desert Auto' buffer_basis: "
                              "'talk' is not one of: connected, call")),
    ('effective_from = 2026-01-01T08:00:00', ("contracts.toml:6: contract 'Desert Auto' "
     "effective_from: 2026-01-01T08:00:00 is a moment: give the day alone, like 2026-12-25")),
])
def test_a_bad_contract_key_is_refused_on_its_line(snippet: str, expected: str) -> None:
    text = f"""\
        [[contract]]
        name = "Desert Auto"
        buyer = "Desert Auto"
        timezone = "America/Phoenix"
        price.amount = "$45.00"
        {snippet}
        """
    if snippet.startswith("timezone"):
        text = text.replace('timezone = "America/Phoenix"\n', "")
        expected = expected.replace(":6:", ":5:")
    assert refusals(text) == [expected]


DESERT_AUTO = """\
    [[contract]]
    name = "Desert Auto"
    buyer = "Desert Auto"
    timezone = "America/Phoenix"

"""


@pytest.mark.parametrize(("tables", "expected"), [
    ('[contract.price]\namount = 45.5\n',
     [('contracts.toml:7: contract \'Desert Auto\' price.amount: 45.5 is a decimal number, '
      'which is not exact: write it as a string, "45.5"')]),
    ('[contract.price]\namount = "-$45.00"\n',
     ["contracts.toml:7: contract 'Desert Auto' price.amount: cannot be negative"]),
    ('[contract.price]\namount = "$1"\nrevenue_share = "60%"\n',
     [("contracts.toml:6: contract 'Desert Auto' price: give exactly one of: amount, tiers, "
      "revenue_share"),
      ("contracts.toml:8: contract 'Desert Auto' price.revenue_share: only a publisher contract "
      "pays a share")]),
    (('[contract.price]\ntiers = [\n  { from = "60s", amount = "$20" },\n'
     '  { from = "1m", amount = "$35" },\n]\n'),
     [("contracts.toml:9: contract 'Desert Auto' price.tiers[1]: overlaps another tier starting "
      "at 60 s")]),
    ('[contract.price]\ntiers = [{ form = "60s", amount = "$20" }]\n',
     [("contracts.toml:7: contract 'Desert Auto' price.tiers[0].form: unknown key; did you mean "
      "'from'?"),
      "contracts.toml:7: contract 'Desert Auto' price.tiers[0].from: is missing"]),
    (('[contract.price]\namount = "$1"\n\n[contract.hours]\ntues = ["08:00-18:00"]\n'
     'mon = ["08:00-12:00", "11:00-18:00"]\n'),
     ["contracts.toml:10: contract 'Desert Auto' hours.tues: unknown key; did you mean 'tue'?",
      ("contracts.toml:11: contract 'Desert Auto' hours.mon: blocks 08:00-12:00 and 11:00-18:00 "
      "overlap")]),
    (('[contract.price]\namount = "$1"\n\n[contract.hours]\nweekdays = ["18:00-08:00"]\n'
     'closed = ["2026-12-32"]\n'),
     [("contracts.toml:10: contract 'Desert Auto' hours.weekdays: 18:00-08:00 is not a block of "
      "the day (start before end, 00:00-24:00)"),
      ("contracts.toml:11: contract 'Desert Auto' hours.closed[0]: '2026-12-32' is not a date "
      "like 2026-12-25")]),
    (('[contract.price]\namount = "$1"\n\n[contract.hours]\nweekdays = ["08:00-18:00"]\n'
     'fri = ["08:00-16:00"]\n'),
     ["contracts.toml:11: contract 'Desert Auto' hours.fri: fri is already given by weekdays"]),
    (('[contract.price]\namount = "$1"\n\n[contract.geography]\n'
     'allowed_states = ["AZ", "Nevada"]\nblocked_area_codes = [702]\n'),
     [("contracts.toml:10: contract 'Desert Auto' geography.allowed_states[1]: write 'Nevada' as "
      "its two-letter code, 'NV'"),
      ("contracts.toml:11: contract 'Desert Auto' geography.blocked_area_codes[0]: write area "
      'codes as strings, like "702"')]),
    ('[contract.price]\namount = "$1"\n\n[contract.caps]\ndayly = 20\nweekly = -1\n',
     ["contracts.toml:10: contract 'Desert Auto' caps.dayly: unknown key; did you mean 'daily'?",
      "contracts.toml:11: contract 'Desert Auto' caps.weekly: cannot be negative"]),
    (('[contract.price]\namount = "$1"\n\n[contract.duplicates]\nwindow = "0d"\n'
     'scope = "everything"\n'),
     ["contracts.toml:10: contract 'Desert Auto' duplicates.window: must be longer than zero",
      ("contracts.toml:11: contract 'Desert Auto' duplicates.scope: 'everything' is not one of: "
      "campaign, buyer, all")]),
    (('[contract.price]\namount = "$1"\n\n[contract.callers]\nblocklist = ["555"]\n'
     'block_anonymous = "yes"\n'),
     [("contracts.toml:10: contract 'Desert Auto' callers.blocklist[0]: '555' is not a phone "
      "number"),
      ("contracts.toml:11: contract 'Desert Auto' callers.block_anonymous: must be true or false, "
      "not a string")]),
    ("", [("contracts.toml:1: contract 'Desert Auto' price: is missing: add [contract.price] "
          "with amount, tiers or revenue_share")]),
])
def test_every_problem_in_a_contract_is_named(tables: str, expected: list[str]) -> None:
    assert refusals(DESERT_AUTO + textwrap.indent(tables, "    ")) == expected


def test_all_problems_of_a_file_come_at_once_in_line_order() -> None:
    problems = refusals("""\
        [[campaign]]
        name = "HVAC Repair"
        timezone = "America/Pheonix"

        [[buyer]]
        name = "Desert Air"
        destinations = ["+16025550131", "+16025550131"]

        [[publisher]]
        name = "Peak Leads Co"
        kind = "affiliate"
        numbers = [
          { number = "+17025550303", campaign = "HVAC Repair", cost = "$1" },
        ]

        [[contract]]
        publisher = "Peak Leads Co"
        timezone = "America/Phoenix"
        price.revenue_share = "160%"

        [[contrakt]]
        name = "x"
        """)
    assert problems == [
        ("contracts.toml:3: campaign 'HVAC Repair' timezone: 'America/Pheonix' is not a time "
        "zone like 'America/Phoenix'; did you mean 'America/Phoenix'?"),
        ("contracts.toml:7: buyer 'Desert Air' destinations[1]: +16025550131 is also a "
        "destination of buyer 'Desert Air'"),
        ("contracts.toml:11: publisher 'Peak Leads Co' kind: 'affiliate' is not one of: "
        "publisher, traffic_source"),
        ("contracts.toml:13: publisher 'Peak Leads Co' numbers[0].cost: unknown key; known: "
        "number, campaign, name, monthly_cost"),
        "contracts.toml:16: contract #1 name: is missing",
        "contracts.toml:19: contract #1 price.revenue_share: must be between 0% and 100%",
        "contracts.toml:21: contrakt: unknown key; did you mean 'contract'?",
    ]


def test_names_and_numbers_are_declared_once() -> None:
    assert refusals("""\
        [[buyer]]
        name = "Apex"
        destinations = ["+12145550119"]

        [[buyer]]
        name = "Apex"

        [[publisher]]
        name = "BlueSky"
        numbers = [{ number = "+12145550119" }]
        """) == [
        "contracts.toml:6: buyer 'Apex' name: is declared twice (first on line 1)",
        ("contracts.toml:10: publisher 'BlueSky' numbers[0].number: +12145550119 is also a "
        "destination of buyer 'Apex'"),
    ]


def test_versions_of_a_contract_differ_by_date_and_keep_their_counterparty() -> None:
    version = """
        [[contract]]
        name = "Apex - Auto"
        buyer = "{buyer}"
        timezone = "America/Chicago"
        effective_from = {date}
        price.amount = "$40"
        """
    ok = parse(version.format(buyer="Apex", date="2026-01-01")
               + version.format(buyer="Apex", date="2026-07-01"))
    assert [terms.effective_from for terms in ok.contract("Apex - Auto")] == [
        date(2026, 1, 1), date(2026, 7, 1)]
    assert refusals(version.format(buyer="Apex", date="2026-01-01")
                    + version.format(buyer="Apex", date="2026-01-01")
                    + version.format(buyer="Keystone", date="2026-09-01")) == [
        ("contracts.toml:10: contract 'Apex - Auto' name: is declared with this effective_from "
        "twice (first on line 2)"),
        ("contracts.toml:17: contract 'Apex - Auto' name: another version of this contract names "
        "another counterparty or campaign; give it another name"),
    ]


def test_a_file_that_is_not_utf8_is_refused_with_its_path(tmp_path: Path) -> None:
    path = tmp_path / "contracts.toml"
    path.write_bytes(b'[[campaign]]\nname = "caf\xe9"\n')
    with pytest.raises(ContractFileError, match=r"contracts\.toml:2: is not UTF-8 text$"):
        load(path)


def test_a_refused_file_yields_nothing_at_all() -> None:
    """All or nothing: one bad contract among good ones refuses the file."""
    good = dumps(Terms("Good", Counterparty.BUYER, "Apex", None, "UTC", Price(fixed_micros=1)))
    with pytest.raises(ContractFileError) as caught:
        parse(good + '\n[[contract]]\nname = "Bad"\n', source="x.toml")
    assert len(caught.value.problems) == 3  # buyer, timezone, price
    assert str(caught.value).startswith("x.toml:9: contract 'Bad' buyer: is missing")


# ------------------------------------------------------------------ canonical files
@pytest.mark.parametrize("path", CANONICAL, ids=lambda path: path.name)
def test_example_files_are_canonical(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    assert dumps(load(path)) == text


def test_the_demo_file_covers_every_demo_pair() -> None:
    from ppcdesk.demo.cast import BUYERS, CAMPAIGNS, NUMBERS, PUBLISHERS

    found = load(ROOT / "resources" / "demo" / "contracts.toml")
    pairs = {(c.name, buyer) for c in CAMPAIGNS for buyer, _ in c.buyers}
    buyer_contracts = {(t.campaign, t.party) for t in found.contracts
                       if t.counterparty is Counterparty.BUYER}
    assert buyer_contracts == pairs
    # Every affiliate is paid by contract; the workspace's own ad accounts are not: their cost
    # is the media spend the demo records per day (a payout too would count it twice).
    assert {t.party for t in found.contracts if t.counterparty is Counterparty.PUBLISHER} == {
        p.name for p in PUBLISHERS if p.kind != "traffic_source"}
    assert {(b.name, b.destinations) for b in found.buyers} == {
        (b.name, b.destinations) for b in BUYERS}
    assert {(n.campaign, p.name, n.e164, n.friendly_name)
            for p in found.publishers for n in p.numbers} == {row[:4] for row in NUMBERS}
    assert {(c.name, c.timezone, c.vertical) for c in found.campaigns} == {
        (c.name, c.timezone, c.vertical) for c in CAMPAIGNS}


def test_one_terms_value_exports_alone_and_exports_atomically(tmp_path: Path) -> None:
    terms = Terms("Apex - Auto", Counterparty.BUYER, "Apex", "Auto Insurance", "America/Chicago",
                  Price(fixed_micros=40_000_000), buffer_s=120)
    assert dumps(terms) == textwrap.dedent("""\
        [[contract]]
        name = "Apex - Auto"
        buyer = "Apex"
        campaign = "Auto Insurance"
        timezone = "America/Chicago"
        buffer = "120s"

        [contract.price]
        amount = "$40.00"
        """)
    assert dumps([terms, terms]) == dumps(ContractFile(contracts=(terms, terms)))
    export(tmp_path / "out.toml", terms)
    assert load(tmp_path / "out.toml").contracts == (terms,)


# ------------------------------------------------------------------ round trip, generated
TEXT = st.text(st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=12)
NAMES = TEXT.filter(str.strip)
ZONES = st.sampled_from(["America/Phoenix", "America/New_York", "UTC", "Europe/Paris"])
STATES = sorted(set(US_STATES.values()))
MICROS = st.integers(0, 10**15)
DATES = st.dates(date(1900, 1, 1), date(2200, 1, 1))
PHONES = st.from_regex(r"\+1[2-9][0-9]{2}[2-9][0-9]{6}", fullmatch=True)


@st.composite
def hours(draw: st.DrawFn) -> Hours:
    def day() -> tuple[Block, ...]:
        points = sorted(draw(st.lists(st.integers(0, 1440), unique=True, max_size=6)))
        blocks = [Block(a, b) for a, b in zip(points[::2], points[1::2], strict=False)]
        return tuple(draw(st.permutations(blocks)))

    weekly = tuple(day() for _ in range(7))
    if draw(st.booleans()):  # the shorthands' shapes: every day alike, or Mon-Fri alike
        weekly = ((weekly[0],) * (7 if draw(st.booleans()) else 5) + weekly[5:])[:7]
    if not any(weekly):  # never open is refused by the terms themselves
        weekly = ((Block(480, 1080),), *weekly[1:])
    return Hours(weekly, draw(st.frozensets(DATES, max_size=4)))


@st.composite
def terms(draw: st.DrawFn) -> Terms:
    counterparty = draw(st.sampled_from(Counterparty))
    kinds = ["fixed", "tiers"] + (["share"] * (counterparty is Counterparty.PUBLISHER))
    kind = draw(st.sampled_from(kinds))
    if kind == "fixed":
        price = Price(fixed_micros=draw(MICROS))
    elif kind == "tiers":
        starts = draw(st.lists(st.integers(0, 100_000), unique=True, min_size=1, max_size=4))
        price = Price(tiers=tuple(Tier(start, draw(MICROS)) for start in starts))
    else:
        price = Price(revenue_share=draw(st.decimals(0, 1, places=4)))
    allowed = draw(st.frozensets(st.sampled_from(STATES), max_size=4))
    blocked = draw(st.frozensets(st.sampled_from(STATES), max_size=3)) - allowed
    codes = st.frozensets(st.from_regex(r"[2-9][0-9][0-9]", fullmatch=True), max_size=3)
    caps = st.none() | st.integers(0, 10_000)
    return Terms(
        name=draw(NAMES), counterparty=counterparty, party=draw(NAMES),
        campaign=draw(st.none() | NAMES), timezone=draw(ZONES), price=price,
        buffer_s=draw(st.integers(0, 100_000)), buffer_basis=draw(st.sampled_from(BufferBasis)),
        duplicates=draw(st.none() | st.builds(Duplicates, st.integers(1, 10**9),
                                              st.sampled_from(DuplicateScope),
                                              st.sampled_from(DuplicateBasis))),
        hours=draw(st.none() | hours()),
        geography=Geography(allowed, blocked, draw(codes), draw(codes),
                            draw(st.sampled_from(UnknownState))),
        callers=Callers(draw(st.booleans()), draw(st.booleans()), draw(st.booleans()),
                        draw(st.frozensets(PHONES, max_size=7))),
        caps=Caps(*(draw(caps) for _ in range(5))),
        effective_from=draw(st.none() | DATES), note=draw(st.just("") | TEXT))


@st.composite
def files(draw: st.DrawFn) -> ContractFile:
    numbers = iter(draw(st.lists(PHONES, unique=True, min_size=12, max_size=12)))
    campaigns = draw(st.lists(st.builds(DeclaredCampaign, NAMES, ZONES, st.just("") | TEXT),
                              max_size=3, unique_by=lambda c: c.name))
    buyers = [DeclaredBuyer(name, tuple(next(numbers) for _ in range(draw(st.integers(0, 2)))),
                            draw(st.just("") | TEXT))
              for name in draw(st.lists(NAMES, max_size=3, unique=True))]
    publishers = [DeclaredPublisher(
        name, draw(st.sampled_from(PartnerKind)), draw(st.just("") | TEXT),
        tuple(DeclaredNumber(next(numbers), draw(st.none() | NAMES), draw(st.just("") | TEXT),
                             draw(MICROS)) for _ in range(draw(st.integers(0, 2)))))
        for name in draw(st.lists(NAMES, max_size=3, unique=True))]
    contracts = draw(st.lists(terms(), max_size=3, unique_by=lambda t: t.name))
    return ContractFile(tuple(campaigns), tuple(buyers), tuple(publishers), tuple(contracts))


@settings(max_examples=150, deadline=None)
@given(terms())
def test_any_sound_terms_read_back_exactly(value: Terms) -> None:
    assert value.problems() == []
    text = dumps(value)
    assert parse(text) == ContractFile(contracts=(value,))
    assert dumps(parse(text)) == text


@settings(max_examples=60, deadline=None)
@given(files())
def test_any_workspace_file_reads_back_exactly(value: ContractFile) -> None:
    text = dumps(value)
    assert parse(text) == value
    assert dumps(parse(text)) == text


def test_the_refusal_shown_in_the_docs_is_the_one_users_get() -> None:
    doc = (ROOT / "docs" / "contracts.md").read_text(encoding="utf-8")
    shown = doc.split("This file:\n\n```toml\n", 1)[1]
    text, rest = shown.split("```\n", 1)
    messages = rest.split("is refused with:\n\n```\n", 1)[1].split("```", 1)[0]
    with pytest.raises(ContractFileError) as caught:
        parse(text, source="contracts.toml")
    assert str(caught.value) + "\n" == messages
