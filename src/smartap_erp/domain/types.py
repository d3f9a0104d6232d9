"""Field types shared by the standard models: exact money, currency codes, aware UTC datetimes.

Each is an `Annotated` pydantic type whose validator gives an error that says what was expected.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any

from pydantic import AfterValidator, BeforeValidator, PlainSerializer

from smartap_erp.domain.money import check_currency


def _to_decimal(value: Any) -> Decimal:
    """Accept Decimal, int or a decimal string; refuse float (it cannot hold cents exactly) and bool."""
    if isinstance(value, bool | float):
        raise ValueError(
            f"expected a Decimal or a decimal string for money, got {type(value).__name__} {value!r}"
        )
    if isinstance(value, Decimal):
        result = value
    elif isinstance(value, int | str):
        try:
            result = Decimal(value.strip() if isinstance(value, str) else value)
        except InvalidOperation:
            raise ValueError(f"expected a decimal number, got {value!r}") from None
    else:
        raise ValueError(f"expected a Decimal or a decimal string, got {type(value).__name__}")
    if not result.is_finite():
        raise ValueError(f"expected a finite amount, got {value!r}")
    return result


def _to_utc(value: dt.datetime) -> dt.datetime:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError("expected a timezone-aware datetime (naive datetimes are ambiguous), got naive")
    return value.astimezone(dt.UTC)


# Money is serialised as a string so JSON keeps every digit ("10.10" stays "10.10").
Amount = Annotated[Decimal, BeforeValidator(_to_decimal), PlainSerializer(str, when_used="json")]
Quantity = Amount
CurrencyCode = Annotated[str, AfterValidator(check_currency)]
UTCDateTime = Annotated[dt.datetime, AfterValidator(_to_utc)]
