"""Small pieces every connector shares: exact money in and out of JSON, the mapping error, and the
OAuth 2.0 refresh auth set-up of QuickBooks and Xero (token store from the stored pair if none given).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation
from typing import Any

from smartap_erp.connectors.base import ConnectorOptions, rebase_url
from smartap_erp.connectors.credentials import ConnectorCredentials
from smartap_erp.domain.enums import ERPSystem
from smartap_erp.http.clock import to_datetime
from smartap_erp.http.oauth2 import OAuth2RefreshAuth
from smartap_erp.http.tokens import MemoryTokenStore, Token


class MappingError(ValueError):
    """A record that cannot be translated to or from an ERP's shape; `field` names what is wrong."""

    def __init__(self, field: str | None, message: str) -> None:
        super().__init__(f"{field}: {message}" if field else message)
        self.field = field


def money(value: Any, field: str = "amount") -> Decimal:
    """An ERP amount as Decimal. Bodies are parsed with `parse_float=Decimal`; a float from elsewhere
    goes through its shortest repr, never through binary arithmetic."""
    if isinstance(value, Decimal):
        return value
    if isinstance(value, bool) or not isinstance(value, int | str | float):
        raise MappingError(field, f"expected a number, got {value!r}")
    try:
        return Decimal(value if isinstance(value, int | str) else repr(value))
    except InvalidOperation:
        raise MappingError(field, f"expected a number, got {value!r}") from None


def json_number(value: Decimal) -> int | float:
    """A Decimal as a JSON number with exactly the same digits, or an error if that is impossible
    (all four ERPs take JSON numbers for amounts, erp-facts.md §Money)."""
    if value == value.to_integral_value():
        return int(value)
    as_float = float(value)
    if Decimal(repr(as_float)) != value:
        raise MappingError("amount", f"{value} has more digits than a JSON number can carry")
    return as_float


def oauth2_refresh_auth(
    system: ERPSystem,
    credentials: ConnectorCredentials,
    options: ConnectorOptions,
    *,
    token_url: str,
    assumed_lifetime: float,
) -> OAuth2RefreshAuth:
    """Bearer auth with refresh. Without a token store, one in memory holds the stored pair; a pair
    with no recorded expiry is taken as fresh for `assumed_lifetime` seconds (a 401 refreshes anyway)."""
    client_id, client_secret, access, refresh = credentials.require(
        "client_id", "client_secret", "access_token", "refresh_token", system=system.value
    )
    store = options.token_store
    if store is None:
        expires = credentials.text("access_token_expires_at")
        expires_at = (
            dt.datetime.fromisoformat(expires) if expires else to_datetime(options.clock() + assumed_lifetime)
        )
        store = MemoryTokenStore(Token(access, refresh, expires_at))
    return OAuth2RefreshAuth(
        store,
        erp=system,
        token_url=rebase_url(token_url, options.base_url),
        client_id=client_id,
        client_secret=client_secret,
        clock=options.clock,
        sleep=options.sleep,
    )
