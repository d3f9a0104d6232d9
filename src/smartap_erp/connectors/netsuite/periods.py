"""NetSuite accounting periods through SuiteQL: which posting periods take a vendor bill.

`SELECT ... FROM accountingperiod WHERE isposting = 'T'` (the posting months, not their quarters and
years; analytics column names UNCERTAIN, netsuite-connector.md §SuiteQL), dates as `YYYY-MM-DD` with
TO_CHAR, one page of up to 1,000 periods (83 years of months). A period is closed for a bill when it
is `closed` (nothing posts), `aplocked` (the A/P sub-ledger is locked) or `alllocked` (Oracle help
"Transaction Edits in Closed, Locked Accounting Periods"). A role with Override Period Restrictions can
still post to a locked period, and some accounts let NetSuite move a bill dated in a closed period into
the next open one (preference "Default Posting Period When Transaction Date in Closed Period"): SmartAP
cannot see either, so it takes the strict reading (UNCERTAIN per account). A date no posting period
covers cannot post (`bounded`). SuiteQL is served by the SuiteTalk host; a RESTlet-mode connection sends
this one query there with the same token (as deletions.py does).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any

from smartap_erp.connectors.base import rebase_url
from smartap_erp.connectors.ledger import Period, PeriodLocks
from smartap_erp.errors import ERPProtocolError
from smartap_erp.http.paginate import OffsetLimit

if TYPE_CHECKING:
    from smartap_erp.connectors.netsuite.connector import NetSuiteConnector

SUITEQL_PATH = "/services/rest/query/v1/suiteql"
QUERY = (
    "SELECT id, periodname, TO_CHAR(startdate, 'YYYY-MM-DD') AS startdate, "
    "TO_CHAR(enddate, 'YYYY-MM-DD') AS enddate, closed, aplocked, alllocked "
    "FROM accountingperiod WHERE isposting = 'T' ORDER BY startdate, id"
)
_FLAGS = (("closed", "closed"), ("alllocked", "all locked"), ("aplocked", "A/P locked"))


async def suiteql_pages(connector: NetSuiteConnector, query: str) -> AsyncIterator[list[Any]]:
    """Pages of a SuiteQL query, on the SuiteTalk host whatever the connection's mode."""
    call = connector.suiteql_call(query)
    if connector.mode == "restlet":
        real = f"https://{connector.host}.suitetalk.api.netsuite.com{SUITEQL_PATH}"
        call = dataclasses.replace(call, url=rebase_url(real, connector.options.base_url))
    async for page in connector.pages(call, OffsetLimit(limit=connector.page_size), "items"):
        yield [row for row in page.records if isinstance(row, dict)]


async def read_locks(connector: NetSuiteConnector) -> PeriodLocks:
    found = [_period(connector, row) async for page in suiteql_pages(connector, QUERY) for row in page]
    found.sort(key=lambda period: period.start)
    return PeriodLocks(connector.system.value, connector.now(), periods=tuple(found), bounded=True)


def _period(connector: NetSuiteConnector, row: dict[str, Any]) -> Period:
    try:
        start = dt.date.fromisoformat(str(row["startdate"])[:10])
        end = dt.date.fromisoformat(str(row["enddate"])[:10])
    except (KeyError, ValueError):
        raise ERPProtocolError(
            f"NetSuite accounting period {row.get('id')!r} has no readable start/end date",
            erp=connector.system,
            url=SUITEQL_PATH,
        ) from None
    state = next((word for flag, word in _FLAGS if str(row.get(flag, "F")).upper() == "T"), "")
    return Period(
        name=str(row.get("periodname") or row.get("id")),
        start=start,
        end=end,
        closed=bool(state),
        status=state,
    )
