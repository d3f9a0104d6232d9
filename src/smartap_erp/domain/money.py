"""Money rules: ISO 4217 currency codes, their minor-unit exponents, and Decimal <-> minor units.

The database keeps integer minor units (cents) beside a currency code; code keeps `Decimal`. A
conversion never rounds silently: an amount finer than the currency allows is an error.
`check_currency` only checks the shape of a code (what an ERP sends is read as it is);
`check_iso_currency` checks that a code is an active ISO 4217 currency, for data people enter.
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


# ISO 4217 list one (active codes, including funds, precious metals and SDR units), as maintained by
# SIX for the ISO 4217 agency, 2025: XCG replaced ANG (both valid during the 2025 transition), ZWG
# replaced ZWL (withdrawn 2024), HRK was withdrawn in 2023 (Croatia uses EUR).
ISO_4217_CODES: frozenset[str] = frozenset(
    """
    AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BHD BIF BMD BND BOB BOV BRL BSD BTN BWP
    BYN BZD CAD CDF CHE CHF CHW CLF CLP CNY COP COU CRC CUC CUP CVE CZK DJF DKK DOP DZD EGP ERN ETB
    EUR FJD FKP GBP GEL GHS GIP GMD GNF GTQ GYD HKD HNL HTG HUF IDR ILS INR IQD IRR ISK JMD JOD JPY
    KES KGS KHR KMF KPW KRW KWD KYD KZT LAK LBP LKR LRD LSL LYD MAD MDL MGA MKD MMK MNT MOP MRU MUR
    MVR MWK MXN MXV MYR MZN NAD NGN NIO NOK NPR NZD OMR PAB PEN PGK PHP PKR PLN PYG QAR RON RSD RUB
    RWF SAR SBD SCR SDG SEK SGD SHP SLE SLL SOS SRD SSP STN SVC SYP SZL THB TJS TMT TND TOP TRY TTD
    TWD TZS UAH UGX USD USN UYI UYU UYW UZS VED VES VND VUV WST XAF XAG XAU XBA XBB XBC XBD XCD XCG
    XDR XOF XPD XPF XPT XSU XTS XUA XXX YER ZAR ZMW ZWG
    """.split()
)
# Codes in the list that name no money to pay a bill in: XTS is reserved for testing, XXX means
# "no currency".
_NOT_PAYABLE = frozenset({"XTS", "XXX"})


class MoneyError(ValueError):
    """An amount or currency that cannot be represented exactly."""


def check_currency(code: str) -> str:
    """Return the code if it looks like ISO 4217 (three upper-case letters), else raise."""
    if not isinstance(code, str) or not CURRENCY_PATTERN.match(code):
        raise MoneyError(f"expected a three-letter ISO 4217 currency code such as USD, got {code!r}")
    return code


def is_iso_currency(code: object) -> bool:
    """True if `code` is an active ISO 4217 currency code that money can be in (not XTS or XXX)."""
    return isinstance(code, str) and code in ISO_4217_CODES and code not in _NOT_PAYABLE


def check_iso_currency(code: str) -> str:
    """Return the code if it is an active ISO 4217 currency (see `is_iso_currency`), else raise."""
    check_currency(code)
    if not is_iso_currency(code):
        raise MoneyError(f"{code!r} is not an active ISO 4217 currency code")
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
