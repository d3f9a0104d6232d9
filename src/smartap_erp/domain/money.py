"""Money rules: ISO 4217 currency codes, their minor-unit exponents, and Decimal <-> minor units.

The database keeps integer minor units (cents) beside a currency code; code keeps `Decimal`. A
conversion never rounds silently: an amount finer than the currency allows is an error.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

CURRENCY_PATTERN = re.compile(r"^[A-Z]{3}$")

# ISO 4217 currencies whose minor unit is not 2 decimal places; every other code uses 2.
_EXPONENTS: dict[str, int] = {
    **dict.fromkeys("BIF CLP DJF GNF ISK JPY KMF KRW PYG RWF UGX UYI VND VUV XAF XOF XPF".split(), 0),
    **dict.fromkeys("BHD IQD JOD KWD LYD OMR TND".split(), 3),
    **dict.fromkeys("CLF UYW".split(), 4),
}


class MoneyError(ValueError):
    """An amount or currency that cannot be represented exactly."""


def check_currency(code: str) -> str:
    """Return the code if it looks like ISO 4217 (three upper-case letters), else raise."""
    if not isinstance(code, str) or not CURRENCY_PATTERN.match(code):
        raise MoneyError(f"expected a three-letter ISO 4217 currency code such as USD, got {code!r}")
    return code


def minor_unit_exponent(currency: str) -> int:
    """Decimal places of the currency's minor unit (USD 2, JPY 0, KWD 3)."""
    return _EXPONENTS.get(check_currency(currency), 2)


def to_minor_units(amount: Decimal, currency: str) -> int:
    """Decimal amount -> integer minor units, refusing any amount finer than the currency allows."""
    exponent = minor_unit_exponent(currency)
    try:
        scaled = amount.scaleb(exponent)
        whole = scaled.to_integral_value()
    except InvalidOperation as exc:
        raise MoneyError(f"{amount!r} is not a finite amount") from exc
    if scaled != whole:
        raise MoneyError(f"{amount} {currency} has more than {exponent} decimal places")
    return int(whole)


def from_minor_units(minor: int, currency: str) -> Decimal:
    """Integer minor units -> Decimal with the currency's exact number of places."""
    return Decimal(minor).scaleb(-minor_unit_exponent(currency))
