"""Xero's side of a reconciliation report (xero.md §Paging, §Entities, §Paid or not).

Three paged reads of 1,000 records a page (`page`/`pageSize`, xero.md §Paging), through the connector's
paging loop: `GET /Contacts?where=IsSupplier==true&includeArchived=true&summaryOnly=true` (archived
suppliers are inactive vendors), `GET /PurchaseOrders` (no `summaryOnly` on this endpoint; every
status), `GET /Invoices?where=Type=="ACCPAY"&includeArchived=true&summaryOnly=true` (summary invoices
keep Total, AmountPaid, AmountDue, Status and CurrencyCode and drop line items and payments; VOIDED
and DELETED bills come only with includeArchived). Payments need no request of their own: a bill's
paid amount is Total - AmountDue, as the payment sync reads it. Budget: Σ over the three reads of
max(1, ⌈n/1000⌉).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from smartap_erp.connectors.common import money
from smartap_erp.connectors.reconciliation import ERPRow, ERPSnapshot
from smartap_erp.connectors.xero import payloads
from smartap_erp.connectors.xero.connector import MAX_PAGE_SIZE, XeroConnector
from smartap_erp.http.call import Call
from smartap_erp.http.paginate import PageNumber


async def _all(erp: XeroConnector, resource: str, params: dict[str, object]) -> list[Any]:
    call = Call.get(resource, params=params)
    pages = erp.pages(call, PageNumber(size=MAX_PAGE_SIZE), resource)
    return [row async for page in pages for row in page.records]


def bill_row(raw: dict[str, Any], now: dt.datetime) -> ERPRow:
    status = payloads.payment_status_from(raw, now)
    return ERPRow(
        key=str(raw["InvoiceID"]),
        label=raw.get("InvoiceNumber"),
        status="voided" if raw.get("Status") in ("VOIDED", "DELETED") else "open",
        amount=money(raw.get("Total", 0)),
        currency=raw.get("CurrencyCode") or "USD",
        paid=status.amount_paid,
        paid_status=status.status.value,
    )


async def read_snapshot(erp: XeroConnector) -> ERPSnapshot:
    contacts = await _all(
        erp, "Contacts", {"where": "IsSupplier==true", "includeArchived": "true", "summaryOnly": "true"}
    )
    orders = await _all(erp, "PurchaseOrders", {})
    bills = await _all(
        erp, "Invoices", {"where": 'Type=="ACCPAY"', "includeArchived": "true", "summaryOnly": "true"}
    )
    return ERPSnapshot(
        vendors=[
            ERPRow(
                str(c["ContactID"]),
                c.get("Name"),
                "active" if c.get("ContactStatus", "ACTIVE") == "ACTIVE" else "inactive",
            )
            for c in contacts
        ],
        purchase_orders=[
            ERPRow(
                key=str(p["PurchaseOrderID"]),
                label=p.get("PurchaseOrderNumber"),
                status=payloads.PO_STATUS[p["Status"]].value
                if p.get("Status") in payloads.PO_STATUS
                else "open",
                amount=money(p.get("Total", 0)),
                currency=p.get("CurrencyCode") or "USD",
            )
            for p in orders
        ],
        bills=[bill_row(b, erp.now()) for b in bills],
    )
