"""QuickBooks Online's closed books: `Preferences.AccountingInfoPrefs.BookCloseDate`.

QuickBooks has a single closing date per company ("Close the books"); a transaction dated on or
before it is refused with fault 6210 "Account Period Closed" (erp-api-facts.md §1.11). The date is
read with `GET /v3/company/{realm}/preferences` (one request; absent when the books were never
closed). Whether a closing date with a password lets the API write anyway is not documented: we treat
every day on or before it as closed, which is what the 6210 refusals integrators report show.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from smartap_erp.connectors.ledger import PeriodLocks
from smartap_erp.errors import ERPProtocolError

if TYPE_CHECKING:
    from smartap_erp.connectors.quickbooks.connector import QuickBooksConnector


async def read_locks(connector: QuickBooksConnector) -> PeriodLocks:
    body = await connector._get("preferences", {"Preferences": dict})
    prefs = body["Preferences"].get("AccountingInfoPrefs") or {}
    raw = prefs.get("BookCloseDate")
    try:
        closed = dt.date.fromisoformat(str(raw)[:10]) if raw else None
    except ValueError:
        raise ERPProtocolError(
            f"QuickBooks BookCloseDate {raw!r} is not a date", erp=connector.system, url="preferences"
        ) from None
    return PeriodLocks(
        erp=connector.system.value, read_at=connector.now(), lock_date=closed, lock_source="closing date"
    )
