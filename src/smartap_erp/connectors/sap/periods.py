"""SAP Business One posting periods and their status, read through the Service Layer's CompanyService.

`GET CompanyService_GetPeriods` lists the period categories (one per fiscal year: `AbsoluteEntry`,
`PeriodCategory`), and `POST CompanyService_GetFinancePeriods {"PeriodCategoryParams": {"AbsoluteEntry":
n}}` the posting periods of one (SAP's SDK help, CompanyService and FinancePeriod objects: `PeriodCode`,
`PeriodName`, `PostingDateFrom`, `PostingDateTo`, `PeriodStatus`): 1 + one request per fiscal year, read
through export's five-minute cache. `PeriodStatus` (PeriodStatusEnum, DI API 10.0): `ltUnlocked` (all
postings), `ltUnlockedExceptSales` (all but A/R documents, so A/P invoices post), `ltPeriodClosing`
(only users with period-closing authorisation post) and `ltLocked` (nothing posts). The integration user's
authorisation is unknown, so `ltPeriodClosing` counts as closed with `ltLocked`. A date no posting period
covers cannot post either (DI "-5002 ... Posting Date deviates from the defined range"): the locks are
`bounded`. The Service Layer names of the two calls come from the SL metadata and the SDK help; the
response shape (an OData `value` array of those objects) is the Service Layer's usual one (UNCERTAIN).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from smartap_erp.connectors.ledger import Period, PeriodLocks
from smartap_erp.connectors.sap import payloads
from smartap_erp.errors import ERPProtocolError
from smartap_erp.http.call import Call

if TYPE_CHECKING:
    from smartap_erp.connectors.sap.connector import SAPConnector

CLOSED_STATUSES = frozenset({"ltLocked", "ltPeriodClosing"})
# DI enum values, in case a server answers with numbers (PeriodStatusEnum: 0..3)
_BY_NUMBER = {"0": "ltUnlocked", "1": "ltUnlockedExceptSales", "2": "ltPeriodClosing", "3": "ltLocked"}


async def read_locks(connector: SAPConnector) -> PeriodLocks:
    categories = await connector._json(Call.get("CompanyService_GetPeriods"), {"value": list})
    periods: list[Period] = []
    for category in categories["value"]:
        entry = category.get("AbsoluteEntry") if isinstance(category, dict) else None
        if entry is None:
            continue
        body = {"PeriodCategoryParams": {"AbsoluteEntry": entry}}
        answer = await connector._json(
            Call("POST", "CompanyService_GetFinancePeriods", json=body, idempotent=True), {"value": list}
        )
        periods.extend(_period(connector, raw) for raw in answer["value"] if isinstance(raw, dict))
    return PeriodLocks(
        erp=connector.system.value,
        read_at=connector.now(),
        periods=tuple(sorted(periods, key=lambda p: p.start)),
        bounded=True,
    )


def _period(connector: SAPConnector, raw: dict[str, Any]) -> Period:
    status = str(raw.get("PeriodStatus", ""))
    status = _BY_NUMBER.get(status, status)
    try:
        start = payloads.parse_date(raw.get("PostingDateFrom"))
        end = payloads.parse_date(raw.get("PostingDateTo"))
    except ValueError:
        start = end = None
    if start is None or end is None:
        raise ERPProtocolError(
            f"SAP posting period {raw.get('PeriodCode')!r} has no readable PostingDateFrom/PostingDateTo",
            erp=connector.system,
            url="CompanyService_GetFinancePeriods",
        )
    return Period(
        name=str(raw.get("PeriodName") or raw.get("PeriodCode") or start.isoformat()),
        start=start,
        end=end,
        closed=status in CLOSED_STATUSES,
        status=status,
    )
