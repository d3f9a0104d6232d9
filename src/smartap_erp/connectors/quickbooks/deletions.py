"""QuickBooks deletions and voids through Change Data Capture (erp-api-facts §1.10, quickbooks.md §Change
data capture).

The query language never returns a deleted record, so the removal feed asks
`GET /cdc?entities=<Entity>&changedSince=<time>`: deleted objects come back with `status: "Deleted"` and
only Id and MetaData, voided transactions with `status: "Voided"` [Q12][Q6]. One request per entity and
run, whatever the number of records. CDC looks back 30 days at most: an older `since` (or none, a full
read) asks from 30 days ago less a minute, and deletions older than that are not seen here (a deleted
bill is still found by the payment sync when reading it alone answers 610 Object Not Found). Vendors are
deactivated rather than deleted (Active=false, erp-api-facts §1.5, read by the ordinary query with
`Active IN (true, false)`); a vendor entry marked Deleted is still taken as a removal, should CDC report
one. CDC answers at most 1,000 objects per entity and has no paging [Q12]: a run that meets the cap logs a
warning, as removals past the first 1,000 of its window may be missed (a full re-sync finds vendors and
POs; the payment sync still finds each deleted bill by reading it).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any

from smartap_erp.connectors.quickbooks.payloads import format_qbo_datetime, parse_qbo_datetime
from smartap_erp.connectors.removals import ERPRemoval, RemovalKind
from smartap_erp.domain.enums import ERPEntity
from smartap_erp.http.redact import get_logger

if TYPE_CHECKING:
    from smartap_erp.connectors.quickbooks.connector import QuickBooksConnector

log = get_logger(__name__)

CDC_WINDOW = dt.timedelta(days=30)
CDC_MARGIN = dt.timedelta(minutes=1)  # our clock and Intuit's may differ: stay inside the window
CDC_MAX = 1000
CDC_ENTITY = {
    ERPEntity.VENDOR: "Vendor",
    ERPEntity.PURCHASE_ORDER: "PurchaseOrder",
    ERPEntity.INVOICE: "Bill",
}
_KINDS = {"Deleted": RemovalKind.DELETED, "Voided": RemovalKind.VOIDED}


def cdc_since(since: dt.datetime | None, now: dt.datetime) -> dt.datetime:
    """`since`, or the oldest time CDC accepts when `since` is None or older."""
    oldest = now - CDC_WINDOW + CDC_MARGIN
    return oldest if since is None or since < oldest else since


def removals_in(body: Any, entity: ERPEntity) -> list[ERPRemoval]:
    """The Deleted / Voided entries of `entity` in a CDC answer
    (`{"CDCResponse": [{"QueryResponse": [{"Bill": [...]}, ...]}]}`)."""
    name = CDC_ENTITY[entity]
    found: list[ERPRemoval] = []
    for block in body.get("CDCResponse") or []:
        for response in (block or {}).get("QueryResponse") or []:
            for raw in (response or {}).get(name) or []:
                kind = _KINDS.get(str(raw.get("status") or ""))
                if kind is None or raw.get("Id") is None:
                    continue  # a changed (not removed) record: the ordinary reads handle it
                stamp = (raw.get("MetaData") or {}).get("LastUpdatedTime")
                found.append(
                    ERPRemoval(
                        entity=entity,
                        external_id=str(raw["Id"]),
                        kind=kind,
                        removed_at=parse_qbo_datetime(stamp) if stamp else None,
                    )
                )
    return found


async def cdc_removals(
    connector: QuickBooksConnector, entity: ERPEntity, since: dt.datetime | None
) -> AsyncIterator[list[ERPRemoval]]:
    """One CDC request for `entity` since `since` (clamped to the 30-day window); one page of removals,
    mapped or not (the caller looks up only these ids, issue 17)."""
    start = cdc_since(since, connector.now())
    body = await connector._get(
        "cdc",
        {"CDCResponse": list},
        entities=CDC_ENTITY[entity],
        changedSince=format_qbo_datetime(start),
    )
    removals = removals_in(body, entity)
    entries = sum(
        len((response or {}).get(CDC_ENTITY[entity]) or [])
        for block in body["CDCResponse"]
        for response in (block or {}).get("QueryResponse") or []
    )
    if entries >= CDC_MAX:
        log.warning("QuickBooks CDC returned its cap of %d %s entries since %s", CDC_MAX, entity.value, start)
    yield removals
