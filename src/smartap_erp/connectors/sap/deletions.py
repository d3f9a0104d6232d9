"""SAP Business One removals: business partners found missing by comparing key lists (issue 16 item 4).

The Service Layer keeps no record of a removed business partner (no deleted-records entity, and
`UpdateDate` filters only see partners that still exist, erp-api-facts §3.3, §3.7), so the only way to
see one is to compare the CardCodes SmartAP maps with the suppliers' CardCodes that still exist:
`GET BusinessPartners?$select=CardCode&$filter=CardType eq 'cSupplier'&$orderby=CardCode`, paged by
`odata.nextLink` with a large `Prefer: odata.maxpagesize` (only the key comes back, so a page is small;
no documented maximum, erp-api-facts §3.4). The cost is one request per `KEY_PAGE_SIZE` suppliers per
vendor import, whatever changed. A mapped CardCode missing from the list was removed (or stopped being a
supplier). Documents are never removed in B1, only cancelled (`Cancelled = tYES`), which the ordinary
purchase-order read and the payment read already see, so there is no feed for them here.
"""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator, Collection
from typing import TYPE_CHECKING

from smartap_erp.connectors.removals import ERPRemoval, RemovalKind
from smartap_erp.domain.enums import ERPEntity
from smartap_erp.http.paginate import NextLink

if TYPE_CHECKING:
    from smartap_erp.connectors.sap.connector import SAPConnector

KEY_PAGE_SIZE = 5000


async def missing_partners(
    connector: SAPConnector, known_ids: Collection[str]
) -> AsyncIterator[list[ERPRemoval]]:
    """One page: the `known_ids` CardCodes no supplier has any more (after walking the whole key list)."""
    call = connector.query_call(
        "BusinessPartners", filter_="CardType eq 'cSupplier'", select="CardCode", orderby="CardCode"
    )
    call = dataclasses.replace(call, headers=(("Prefer", f"odata.maxpagesize={KEY_PAGE_SIZE}"),))
    present: set[str] = set()
    async for page in connector.pages(call, NextLink(), "value"):
        present.update(
            str(row["CardCode"]) for row in page.records if isinstance(row, dict) and "CardCode" in row
        )
    yield [
        ERPRemoval(entity=ERPEntity.VENDOR, external_id=code, kind=RemovalKind.DELETED)
        for code in sorted(set(known_ids) - present)
    ]
