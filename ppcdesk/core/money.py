"""Money as integer micros (millionths of the currency unit), never a float.

Why micros and not cents: Twilio rates a call leg at $0.0085 a minute, a fraction of a cent that
cents would round away; Google Ads and others use the same unit (``cost_micros``). One rule
rounds: half to even, applied when text or a Decimal becomes micros and when micros are shown
as cents. Example: ``Money.parse("-0.0085").micros == -8500``; ``Money(12_345_678).format()``
is ``"$12.35"``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Context, Decimal

from ppcdesk.core.errors import MoneyError

MICROS_PER_UNIT = 1_000_000
_MICRO = Decimal("0.000001")
_CENT = Decimal("0.01")
_SYMBOLS = {"USD": "$", "CAD": "CA$", "EUR": "€", "GBP": "£"}
# Amounts as statements write them: "-$1,200.50", "$-3", "(3.00)", "0.0085". Thousands
# separators must group by three ("1,2,3" is a typo, not 123), and parentheses must pair.
_AMOUNT = re.compile(
    r"(?P<open>\()?\s*(?P<sign1>[-+])?\s*\$?\s*(?P<sign2>[-+])?\s*"
    r"(?P<number>(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d*)?|\.\d+)\s*(?P<close>\))?"
)
# Wide enough for any amount a ledger holds; a result beyond it is refused, never rounded.
_EXACT = Context(prec=60, rounding=ROUND_HALF_EVEN)
_MAX_MICROS = 10**30


def _parse_text(text: str) -> Decimal:
    match = _AMOUNT.fullmatch(text.strip())
    if match is None or bool(match["open"]) != bool(match["close"]):
        raise MoneyError(f"{text!r} is not an amount")
    if match["sign1"] and match["sign2"]:
        raise MoneyError(f"{text!r} is not an amount (two signs)")
    value = Decimal(match["number"].replace(",", ""))
    negative = (match["sign1"] or match["sign2"]) == "-"
    if match["open"]:  # accounting negatives: (3.00) is -3.00
        if negative:
            raise MoneyError(f"{text!r} is not an amount (a sign inside parentheses)")
        negative = True
    return -value if negative else value


def to_micros(amount: Decimal | int | str) -> int:
    """Convert a Decimal, int units or text like ``"12.99"`` or ``"$1,200.50"`` to micros."""
    if isinstance(amount, bool):
        raise MoneyError(f"{amount!r} is not an amount")
    if isinstance(amount, int):
        return amount * MICROS_PER_UNIT
    if isinstance(amount, str):
        value = _parse_text(amount)
    elif isinstance(amount, Decimal):
        value = amount
    else:  # floats are refused on purpose: 12.99 is not exactly 12.99
        raise MoneyError(f"{amount!r} ({type(amount).__name__}) is not an exact amount")
    if not value.is_finite():
        raise MoneyError(f"{amount!r} is not a finite amount")
    # scaleb is exact (no division rounding in the default 28-digit context).
    micros = value.scaleb(6, _EXACT).to_integral_value(ROUND_HALF_EVEN, _EXACT)
    if abs(micros) >= _MAX_MICROS:
        raise MoneyError(f"{amount!r} is too large an amount")
    return int(micros)


@dataclass(frozen=True, slots=True)
class Money:
    """An exact amount of one currency; amounts of two currencies neither add nor compare."""

    micros: int
    currency: str = "USD"

    @classmethod
    def parse(cls, text: str, currency: str = "USD") -> Money:
        return cls(to_micros(text), currency)

    @classmethod
    def of(cls, amount: Decimal | int | str, currency: str = "USD") -> Money:
        return cls(to_micros(amount), currency)

    @classmethod
    def zero(cls, currency: str = "USD") -> Money:
        return cls(0, currency)

    def to_decimal(self) -> Decimal:
        return Decimal(self.micros) * _MICRO

    def cents(self) -> int:
        """Round half to even to whole cents."""
        cents = Decimal(self.micros).scaleb(-4, _EXACT)
        return int(cents.to_integral_value(ROUND_HALF_EVEN, _EXACT))

    def format(self, *, precise: bool = False) -> str:
        """Show as ``$1,234.56`` (or to the micro with ``precise``, for telco rates)."""
        symbol = _SYMBOLS.get(self.currency, self.currency + " ")
        if precise:
            amount = abs(self.to_decimal()).normalize()
            text = f"{amount:,f}"
            if "." not in text:
                text += ".00"
            elif len(text.split(".")[1]) < 2:
                text += "0"
            shown_nonzero = self.micros != 0
        else:
            cents = abs(self.to_decimal()).quantize(_CENT, rounding=ROUND_HALF_EVEN)
            text = f"{cents:,}"
            shown_nonzero = bool(cents)
        # -0.4 cents shows as "$0.00", not "-$0.00": the sign follows what is shown.
        sign = "-" if self.micros < 0 and shown_nonzero else ""
        return f"{sign}{symbol}{text}"

    def _check(self, other: Money) -> None:
        if other.currency != self.currency:
            raise MoneyError(f"cannot combine {self.currency} with {other.currency}")

    def __add__(self, other: Money) -> Money:
        self._check(other)
        return Money(self.micros + other.micros, self.currency)

    def __sub__(self, other: Money) -> Money:
        self._check(other)
        return Money(self.micros - other.micros, self.currency)

    def __lt__(self, other: Money) -> bool:
        self._check(other)
        return self.micros < other.micros

    def __le__(self, other: Money) -> bool:
        self._check(other)
        return self.micros <= other.micros

    def __gt__(self, other: Money) -> bool:
        self._check(other)
        return self.micros > other.micros

    def __ge__(self, other: Money) -> bool:
        self._check(other)
        return self.micros >= other.micros

    def __neg__(self) -> Money:
        return Money(-self.micros, self.currency)

    def times(self, factor: Decimal | int) -> Money:
        """Multiply by an exact factor (a share, a count), rounding half to even to the micro."""
        if isinstance(factor, bool) or not isinstance(factor, Decimal | int):
            raise MoneyError(f"{factor!r} ({type(factor).__name__}) is not an exact factor")
        product = _EXACT.multiply(Decimal(self.micros), Decimal(factor))
        return Money(int(product.to_integral_value(ROUND_HALF_EVEN, _EXACT)), self.currency)

    def __str__(self) -> str:
        return self.format()
