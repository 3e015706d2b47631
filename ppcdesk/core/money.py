"""Money as integer micros (millionths of the currency unit), never a float.

Why micros and not cents: Twilio rates a call leg at $0.0085 a minute, a fraction of a cent that
cents would round away; Google Ads and others use the same unit (``cost_micros``). One rule
rounds: half to even, applied when text or a Decimal becomes micros and when micros are shown
as cents. Example: ``Money.parse("-0.0085").micros == -8500``; ``Money(12_345_678).format()``
is ``"$12.35"``.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation

from ppcdesk.core.errors import MoneyError

MICROS_PER_UNIT = 1_000_000
_MICRO = Decimal("0.000001")
_CENT = Decimal("0.01")
_SYMBOLS = {"USD": "$", "CAD": "CA$", "EUR": "€", "GBP": "£"}


def to_micros(amount: Decimal | int | str) -> int:
    """Convert a Decimal, int units or text like ``"12.99"`` or ``"$1,200.50"`` to micros."""
    if isinstance(amount, bool):
        raise MoneyError(f"{amount!r} is not an amount")
    if isinstance(amount, int):
        return amount * MICROS_PER_UNIT
    if isinstance(amount, str):
        text = amount.strip().replace(",", "").replace("$", "")
        negative = text.startswith("(") and text.endswith(")")  # accounting negatives
        text = text.strip("()")
        try:
            value = Decimal(text)
        except InvalidOperation as exc:
            raise MoneyError(f"{amount!r} is not an amount") from exc
        if negative:
            value = -value
    elif isinstance(amount, Decimal):
        value = amount
    else:  # floats are refused on purpose: 12.99 is not exactly 12.99
        raise MoneyError(f"{amount!r} ({type(amount).__name__}) is not an exact amount")
    if not value.is_finite():
        raise MoneyError(f"{amount!r} is not a finite amount")
    return int((value / _MICRO).quantize(Decimal(1), rounding=ROUND_HALF_EVEN))


@dataclass(frozen=True, order=True, slots=True)
class Money:
    """An exact amount of one currency."""

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
        return int((Decimal(self.micros) / 10_000).quantize(Decimal(1), rounding=ROUND_HALF_EVEN))

    def format(self, *, precise: bool = False) -> str:
        """Show as ``$1,234.56`` (or to the micro with ``precise``, for telco rates)."""
        sign = "-" if self.micros < 0 else ""
        symbol = _SYMBOLS.get(self.currency, self.currency + " ")
        if precise:
            amount = abs(self.to_decimal()).normalize()
            text = f"{amount:,f}"
            if "." not in text:
                text += ".00"
            elif len(text.split(".")[1]) < 2:
                text += "0"
        else:
            text = f"{abs(self.to_decimal()).quantize(_CENT, rounding=ROUND_HALF_EVEN):,}"
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

    def __neg__(self) -> Money:
        return Money(-self.micros, self.currency)

    def times(self, factor: Decimal | int) -> Money:
        """Multiply by an exact factor (a share, a count), rounding half to even to the micro."""
        product = Decimal(self.micros) * Decimal(factor)
        return Money(int(product.quantize(Decimal(1), rounding=ROUND_HALF_EVEN)), self.currency)

    def __str__(self) -> str:
        return self.format()
