"""Money is exact: integer micros, one rounding rule (half to even), one currency at a time."""

from __future__ import annotations

from decimal import Decimal

import pytest
from ppcdesk.core.errors import DataError, MoneyError
from ppcdesk.core.money import Money, to_micros


@pytest.mark.parametrize(("text", "micros"), [
    ("$1,200.50", 1_200_500_000),
    ("1200.50", 1_200_500_000),
    ("(3.00)", -3_000_000),  # accounting negative
    ("($1,000.00)", -1_000_000_000),
    ("-0.0085", -8_500),  # a Twilio per-minute rate
    ("-$5", -5_000_000),
    ("$-5", -5_000_000),
    ("  12.99 ", 12_990_000),
    (".5", 500_000),
    ("0.0000005", 0),  # half a micro rounds to even: 0
    ("0.0000015", 2),  # one and a half micros rounds to even: 2
    ("0.0000025", 2),
])
def test_text_as_statements_write_it_becomes_micros(text: str, micros: int) -> None:
    assert to_micros(text) == micros
    assert Money.parse(text).micros == micros


@pytest.mark.parametrize("text", [
    "", "abc", "12.99.1", "(3.00", "3.00)", "1,2,3", "--3", "(-3)", "1e30", "NaN", "$", "12,99",
])
def test_text_that_is_not_an_amount_is_refused_naming_it(text: str) -> None:
    with pytest.raises(MoneyError) as caught:
        to_micros(text)
    assert repr(text) in str(caught.value)
    assert isinstance(caught.value, DataError)  # the CLI and importers report it as bad data


def test_a_float_is_refused_because_it_is_not_exact() -> None:
    with pytest.raises(MoneyError, match="not an exact amount"):
        to_micros(12.99)  # type: ignore[arg-type]
    with pytest.raises(MoneyError):
        Money.of(0.1)  # type: ignore[arg-type]


def test_booleans_are_not_amounts() -> None:
    with pytest.raises(MoneyError):
        to_micros(True)


def test_ints_are_whole_units_and_decimals_are_exact() -> None:
    assert to_micros(3) == 3_000_000
    assert to_micros(Decimal("0.0085")) == 8_500
    assert Money.of(Decimal("19.99")).to_decimal() == Decimal("19.99")


def test_infinite_and_absurd_amounts_are_refused() -> None:
    with pytest.raises(MoneyError, match="finite"):
        to_micros(Decimal("Infinity"))
    with pytest.raises(MoneyError, match="too large"):
        to_micros(Decimal("1e30"))


@pytest.mark.parametrize(("micros", "cents"), [
    (5_000, 0),  # $0.005 -> 0 cents (half to even)
    (15_000, 2),  # $0.015 -> 2 cents
    (25_000, 2),  # $0.025 -> 2 cents
    (35_000, 4),
    (-15_000, -2),
    (14_999, 1),
    (12_345_678, 1_235),
])
def test_cents_round_half_to_even(micros: int, cents: int) -> None:
    assert Money(micros).cents() == cents


@pytest.mark.parametrize(("money", "shown"), [
    (Money(12_345_678), "$12.35"),
    (Money(1_234_567_890_000), "$1,234,567.89"),
    (Money(-3_000_000), "-$3.00"),
    (Money(25_000), "$0.02"),  # half to even, as cents() does
    (Money(-1), "$0.00"),  # a sign on zero would only confuse
    (Money(-5_001), "-$0.01"),
    (Money(5_000_000, "EUR"), "€5.00"),
    (Money(5_000_000, "MXN"), "MXN 5.00"),
])
def test_format_shows_cents(money: Money, shown: str) -> None:
    assert money.format() == shown
    assert str(money) == shown


@pytest.mark.parametrize(("micros", "shown"), [
    (8_500, "$0.0085"),
    (-8_500, "-$0.0085"),
    (10_000_000, "$10.00"),
    (1_500_000, "$1.50"),
    (1_234_000_001, "$1,234.000001"),
])
def test_precise_format_keeps_fractions_of_a_cent(micros: int, shown: str) -> None:
    assert Money(micros).format(precise=True) == shown


def test_arithmetic_in_one_currency() -> None:
    assert Money.parse("1.10") + Money.parse("2.20") == Money.parse("3.30")
    assert Money.parse("1.10") - Money.parse("2.20") == Money.parse("-1.10")
    assert -Money.parse("1.10") == Money.parse("(1.10)")
    assert Money.parse("1") < Money.parse("2")
    assert max(Money.parse("1"), Money.parse("3"), Money.parse("2")) == Money.parse("3")
    assert Money.zero("EUR") == Money(0, "EUR")


def test_mixing_currencies_is_refused() -> None:
    usd, cad = Money.parse("1.00"), Money.parse("1.00", "CAD")
    with pytest.raises(MoneyError, match="USD with CAD"):
        _ = usd + cad
    with pytest.raises(MoneyError):
        _ = usd - cad
    with pytest.raises(MoneyError):
        _ = usd < cad
    assert usd != cad  # equal micros, different money


def test_times_multiplies_exactly_and_rounds_half_to_even_to_the_micro() -> None:
    assert Money.parse("12.00").times(3) == Money.parse("36.00")
    assert Money.parse("10.00").times(Decimal("0.15")) == Money.parse("1.50")
    # 1 micro x 0.5 = 0.5 micro -> 0; 3 micros x 0.5 = 1.5 -> 2 (half to even)
    assert Money(1).times(Decimal("0.5")).micros == 0
    assert Money(3).times(Decimal("0.5")).micros == 2
    assert Money(-3).times(Decimal("0.5")).micros == -2
    # A third of a dollar is 333,333 micros: the share never invents money.
    assert Money.parse("1.00").times(Decimal(1) / Decimal(3)).micros == 333_333
    assert Money.parse("1.00", "CAD").times(2).currency == "CAD"


def test_times_refuses_a_float_factor() -> None:
    with pytest.raises(MoneyError, match="not an exact factor"):
        Money.parse("10.00").times(0.15)  # type: ignore[arg-type]
