"""Xero's lock dates: `Organisation.PeriodLockDate` and `Organisation.EndOfYearLockDate`.

One `GET /Organisation` (the same read `test_connection` makes) gives both dates, as `/Date(ms+0000)/`
or ISO text, absent when not set. Xero's help ("Set and work with lock dates"): once a lock date is set,
users cannot add or edit transactions dated on or before it (an older page says "earlier than"; we take
on-or-before, the current wording), but they can still create DRAFT bills and submit them for approval;
the period lock date can be set "for all users except advisers". Whether the API user is an adviser is
not known to SmartAP (UNCERTAIN per connection), so the later of the two dates binds: a bill dated on or
before it is treated as closed, and Xero's `draft` policy is what lets it in anyway.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from smartap_erp.connectors.ledger import PeriodLocks
from smartap_erp.connectors.xero import payloads
from smartap_erp.errors import ERPProtocolError
from smartap_erp.http.call import Call

if TYPE_CHECKING:
    import datetime as dt

    from smartap_erp.connectors.xero.connector import XeroConnector

_FIELDS = {"PeriodLockDate": "period lock date", "EndOfYearLockDate": "end of year lock date"}


async def read_locks(connector: XeroConnector) -> PeriodLocks:
    body = await connector._json(
        Call.get("Organisation"), keys={"Organisations": list}, non_empty=("Organisations",)
    )
    org = body["Organisations"][0]
    dates: list[tuple[dt.date, str]] = []
    for key, label in _FIELDS.items():
        raw = org.get(key)
        try:
            day = payloads.parse_date(raw)
        except ValueError:
            raise ERPProtocolError(
                f"Xero {key} {raw!r} is not a date", erp=connector.system, url="Organisation"
            ) from None
        if day is not None:
            dates.append((day, label))
    latest = max(dates, default=None)
    return PeriodLocks(
        erp=connector.system.value,
        read_at=connector.now(),
        lock_date=latest[0] if latest else None,
        lock_source=latest[1] if latest else "lock date",
    )
