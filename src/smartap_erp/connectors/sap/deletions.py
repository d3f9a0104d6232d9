"""SAP Business One removals: business partners found missing by comparing key lists (issue 16 item 4).

The Service Layer keeps no record of a removed business partner (no deleted-records entity, and
`UpdateDate` filters only see partners that still exist, erp-api-facts §3.3, §3.7), so the only way to
see one is to compare the CardCodes SmartAP maps with the suppliers' CardCodes that still exist:
`GET BusinessPartners?$select=CardCode&$filter=CardType eq 'cSupplier'&$orderby=CardCode`, paged by
`odata.nextLink` with a large `Prefer: odata.maxpagesize` (only the key comes back, so a page is small;
no documented maximum, erp-api-facts §3.4). The cost is one request per `KEY_PAGE_SIZE` suppliers per
vendor import, whatever changed (the whole list is read even past the last mapped CardCode, as only
then is its order known to be right). A mapped
CardCode missing from the list was removed (or stopped being a supplier). Neither side is held whole
(issue 17): the ERP's sorted pages are merged with the mapped CardCodes streamed in the same order, so
memory holds one page of each. The merge needs both in code-point order; a key list that comes back in
another order (a case-insensitive collation on the company database, with mixed-case CardCodes) makes
the comparison unsafe, so it is abandoned with a warning and reports nothing rather than a wrong
removal. Documents are never removed in B1, only cancelled (`Cancelled = tYES`), which the ordinary
purchase-order read and the payment read already see, so there is no feed for them here.
"""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncGenerator, AsyncIterator
from typing import TYPE_CHECKING

from smartap_erp.connectors.removals import ERPRemoval, MappedIds, RemovalKind
from smartap_erp.domain.enums import ERPEntity
from smartap_erp.http.paginate import NextLink
from smartap_erp.http.redact import get_logger

if TYPE_CHECKING:
    from smartap_erp.connectors.sap.connector import SAPConnector

log = get_logger(__name__)

KEY_PAGE_SIZE = 5000


class KeyOrderError(Exception):
    """The ERP's key list is not in ascending code-point order: a merge against it would be wrong."""


async def supplier_codes(connector: SAPConnector, page_size: int | None = None) -> AsyncGenerator[str]:
    """Every supplier's CardCode, ascending, read `page_size` (`KEY_PAGE_SIZE`) a request (only the key
    is selected)."""
    call = connector.query_call(
        "BusinessPartners", filter_="CardType eq 'cSupplier'", select="CardCode", orderby="CardCode"
    )
    call = dataclasses.replace(call, headers=(("Prefer", f"odata.maxpagesize={page_size or KEY_PAGE_SIZE}"),))
    previous: str | None = None
    async for page in connector.pages(call, NextLink(), "value"):
        for row in page.records:
            if not isinstance(row, dict) or "CardCode" not in row:
                continue
            code = str(row["CardCode"])
            if previous is not None and code <= previous:
                raise KeyOrderError(f"SAP CardCode {code!r} came after {previous!r}")
            previous = code
            yield code


async def missing_partners(
    connector: SAPConnector, mapped: MappedIds, page_size: int | None = None
) -> AsyncIterator[list[ERPRemoval]]:
    """One page: the mapped CardCodes no supplier has any more, found by merging the two sorted lists
    (none if the key list turns out unsorted anywhere). No request at all when nothing is mapped."""
    missing: list[str] = []  # removals only: a handful, not the mapped list
    codes = supplier_codes(connector, page_size)
    current: str | None = None
    exhausted = False
    try:
        async for part in mapped.ascending():
            for known in part:
                while not exhausted and (current is None or current < known):
                    try:
                        current = await anext(codes)
                    except StopAsyncIteration:
                        exhausted = True
                if exhausted or current != known:
                    missing.append(known)
        if current is not None:  # the rest of the list, read only to be sure it is in order
            async for _ in codes:
                pass
    except KeyOrderError as exc:
        log.warning("SAP removal comparison skipped: %s (key list not in code-point order)", exc)
        return
    finally:
        await codes.aclose()
    if missing:
        yield [ERPRemoval(entity=ERPEntity.VENDOR, external_id=c, kind=RemovalKind.DELETED) for c in missing]
