"""NetSuite deletions through SuiteQL's `DeletedRecord` table (issue 16 item 4).

A deleted vendor, purchase order or vendor bill leaves `vendor` / `transaction` and is only recorded in
the deleted-records log, the table behind SOAP `getDeleted` and the UI's Deleted Record search (Oracle:
"Deleted records in NetSuite are tracked by internalID and record type"; the role needs the Deleted
Records permission). SuiteQL reads it as `deletedrecord`; its columns here are `recordid`, `type`,
`name`, `externalid` and `deleteddate`, with `type` the lower-case record type id (`vendor`,
`purchaseorder`, `vendorbill`): the names are UNCERTAIN (not in erp-api-facts §4.6; confirm in the
Records Catalog), which is why they are all in this one module. Paged like any SuiteQL read (1,000 rows
a page, a unique ORDER BY). SuiteQL lives on the SuiteTalk host, so a RESTlet-mode connection sends
this one query there (same TBA token; its role also needs REST Web Services). Cancelled and rejected
bills and inactive vendors are not deleted records: they come through the ordinary reads.
"""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING

from smartap_erp.connectors.base import rebase_url
from smartap_erp.connectors.removals import ERPRemoval, RemovalKind
from smartap_erp.domain.enums import ERPEntity
from smartap_erp.http.paginate import OffsetLimit

if TYPE_CHECKING:
    from smartap_erp.connectors.netsuite.connector import NetSuiteConnector

RECORD_TYPE = {
    ERPEntity.VENDOR: "vendor",
    ERPEntity.PURCHASE_ORDER: "purchaseorder",
    ERPEntity.INVOICE: "vendorbill",
}


def deleted_query(entity: ERPEntity, since_literal: str | None) -> str:
    """`SELECT recordid ... FROM deletedrecord` for `entity`, deleted at or after `since_literal` (a
    SuiteQL TO_TIMESTAMP) if given; no user input reaches it."""
    conditions = [f"type = '{RECORD_TYPE[entity]}'"]
    if since_literal:
        conditions.append(f"deleteddate >= {since_literal}")
    where = " AND ".join(conditions)
    return f"SELECT recordid, type FROM deletedrecord WHERE {where} ORDER BY recordid"  # noqa: S608


async def deleted_records(
    connector: NetSuiteConnector,
    entity: ERPEntity,
    *,
    suiteql_path: str,
    since_literal: str | None,
) -> AsyncIterator[list[ERPRemoval]]:
    """Pages of `entity` records deleted at or after `since_literal` (all the log keeps when None),
    mapped or not (the caller looks up only these ids, issue 17)."""
    call = connector.suiteql_call(deleted_query(entity, since_literal))
    if connector.mode == "restlet":  # SuiteQL is served by the SuiteTalk host, not the RESTlet one
        real = f"https://{connector.host}.suitetalk.api.netsuite.com{suiteql_path}"
        call = dataclasses.replace(call, url=rebase_url(real, connector.options.base_url))
    async for page in connector.pages(call, OffsetLimit(limit=connector.page_size), "items"):
        yield [
            ERPRemoval(entity=entity, external_id=str(row["recordid"]), kind=RemovalKind.DELETED)
            for row in page.records
            if isinstance(row, dict) and row.get("recordid")
        ]
