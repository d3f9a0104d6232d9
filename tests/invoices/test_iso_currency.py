"""`check_iso_currency` accepts exactly the active ISO 4217 codes money can be in."""

from __future__ import annotations

import pytest

from smartap_erp.domain.money import ISO_4217_CODES, MoneyError, check_iso_currency, is_iso_currency


@pytest.mark.parametrize("code", ["USD", "EUR", "JPY", "KWD", "CHF", "XCG", "ZWG", "SLE", "VES", "XOF"])
def test_active_codes_are_accepted(code: str) -> None:
    assert check_iso_currency(code) == code and is_iso_currency(code)


@pytest.mark.parametrize(
    ("code", "message"),
    [
        ("XYZ", "'XYZ' is not an active ISO 4217 currency code"),
        ("HRK", "'HRK' is not an active"),  # withdrawn 2023, Croatia uses EUR
        ("ZWL", "'ZWL' is not an active"),  # withdrawn 2024
        ("XXX", "'XXX' is not an active"),  # "no currency"
        ("XTS", "'XTS' is not an active"),  # reserved for tests
        ("usd", "expected a three-letter ISO 4217 currency code"),
        ("US", "expected a three-letter"),
    ],
)
def test_other_codes_are_refused(code: str, message: str) -> None:
    with pytest.raises(MoneyError, match=message):
        check_iso_currency(code)
    assert not is_iso_currency(code)


def test_the_list_is_complete_and_well_formed() -> None:
    assert len(ISO_4217_CODES) == 181 and all(len(c) == 3 and c.isupper() for c in ISO_4217_CODES)
    assert not is_iso_currency(None) and not is_iso_currency(840)
