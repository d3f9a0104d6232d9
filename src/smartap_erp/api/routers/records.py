"""What the imports brought in, and a connection's reference data, over HTTP (read keys): vendors and
purchase orders (`/api/v1/erp/vendors`, `/api/v1/erp/purchase-orders`: filtered by the connection they
came from, paged by an opaque cursor and `limit` <= 200, each with its ERP ids), one of each by id,
and the seed's `GET /api/v1/erp/connections/{id}/accounts` and `/tax-codes`, read from the ERP through
a cache kept `reference.DEFAULT_MAX_AGE` by this server (`?refresh=true` reads the ERP now).

Each endpoint calls `app.records` or `app.reference`; none holds SQL or ERP logic.
"""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query, Request

from smartap_erp.api.deps import Ctx, ReadKey
from smartap_erp.app import records, reference
from smartap_erp.app.records import MAX_PAGE, PurchaseOrderPage, PurchaseOrderView, VendorPage, VendorView
from smartap_erp.app.reference import AccountList, ReferenceCache, TaxCodeList
from smartap_erp.domain.enums import PurchaseOrderStatus

ERP = "/api/v1/erp"


router = APIRouter(prefix=ERP, tags=["vendors, purchase orders and reference data"])

Connection = Annotated[
    str | None,
    Query(min_length=1, max_length=255, description="a connection's id or name: records linked to it"),
]
Limit = Annotated[int, Query(ge=1, le=MAX_PAGE)]
Cursor = Annotated[str | None, Query(max_length=1024, description="`next_cursor` of the previous page")]
Refresh = Annotated[bool, Query(description="read the ERP now, whatever the cached answer's age")]


@router.get("/vendors", summary="Vendors imported, by name, with their ERP ids")
async def list_vendors(
    ctx: Ctx,
    _: ReadKey,
    connection_id: Connection = None,
    active: bool | None = None,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> VendorPage:
    query = records.VendorFilter(connection=connection_id, active=active, limit=limit, cursor=cursor)
    return await records.list_vendors(ctx, query)


@router.get("/vendors/{vendor_id}", summary="A vendor, with its ERP ids")
async def get_vendor(vendor_id: str, ctx: Ctx, _: ReadKey) -> VendorView:
    return await records.get_vendor(ctx, vendor_id)


@router.get("/purchase-orders", summary="Purchase orders imported, by number, with their ERP ids")
async def list_purchase_orders(
    ctx: Ctx,
    _: ReadKey,
    connection_id: Connection = None,
    vendor_id: uuid.UUID | None = None,
    status: PurchaseOrderStatus | None = None,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> PurchaseOrderPage:
    query = records.OrderFilter(
        connection=connection_id, vendor_id=vendor_id, status=status, limit=limit, cursor=cursor
    )
    return await records.list_purchase_orders(ctx, query)


@router.get("/purchase-orders/{po_id}", summary="A purchase order with its lines and ERP ids")
async def get_purchase_order(po_id: str, ctx: Ctx, _: ReadKey) -> PurchaseOrderView:
    return await records.get_purchase_order(ctx, po_id)


def _cache(request: Request) -> ReferenceCache:
    """The server's one cache, made on first use (no await in between: two requests cannot both make it)."""
    state = request.app.state
    if getattr(state, "reference_cache", None) is None:
        state.reference_cache = ReferenceCache()
    cache: ReferenceCache = state.reference_cache
    return cache


@router.get("/connections/{connection_id}/accounts", summary="The connection's chart of accounts (cached)")
async def accounts(
    connection_id: str, ctx: Ctx, request: Request, _: ReadKey, refresh: Refresh = False
) -> AccountList:
    """`from_cache` says whether the ERP was asked for this call; `read_at` when it was."""
    return await reference.accounts(ctx, connection_id, cache=_cache(request), refresh=refresh)


@router.get("/connections/{connection_id}/tax-codes", summary="The connection's tax codes (cached)")
async def tax_codes(
    connection_id: str, ctx: Ctx, request: Request, _: ReadKey, refresh: Refresh = False
) -> TaxCodeList:
    return await reference.tax_codes(ctx, connection_id, cache=_cache(request), refresh=refresh)
