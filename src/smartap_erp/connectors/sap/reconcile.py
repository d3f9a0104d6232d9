"""SAP Business One's side of a reconciliation report (sap.md §Paging, §Paid or not).

Three collection reads with `$select` of the needed fields only, paged by `odata.nextLink` at the
connector's page size (`Prefer: odata.maxpagesize`): `BusinessPartners` (CardCode, CardName, Valid,
Frozen; `$filter=CardType eq 'cSupplier'`: a frozen or not-valid supplier is an inactive vendor),
`PurchaseOrders` (DocEntry, DocNum, DocTotal, DocCurrency, DocumentStatus, Cancelled) and
`PurchaseInvoices` (DocEntry, NumAtCard, DocTotal, DocCurrency, Cancelled). Budget: the session's
Login and Logout plus Σ over the three reads of max(1, ⌈n/page size⌉). Payments are not reconciled for
SAP: B1 keeps what is paid on the vendor payments (`VendorPayments`, sap.md §Paid or not), not on
the invoice, and reading them all is not a bounded summary read; the payment sync reads them for
SmartAP's bills instead.
"""

from __future__ import annotations

from typing import Any

from smartap_erp.connectors.common import money
from smartap_erp.connectors.reconciliation import ERPRow, ERPSnapshot, ReconcileObject
from smartap_erp.connectors.sap import payloads
from smartap_erp.connectors.sap.connector import SAPConnector


async def _all(erp: SAPConnector, resource: str, select: str, filter_: str | None = None) -> list[Any]:
    options = {"select": select, "orderby": select.split(",")[0]}
    if filter_:
        options["filter_"] = filter_
    return await erp._rows(erp.query_call(resource, **options))


async def read_snapshot(erp: SAPConnector) -> ERPSnapshot:
    partners = await _all(
        erp, "BusinessPartners", "CardCode,CardName,Valid,Frozen", "CardType eq 'cSupplier'"
    )
    orders = await _all(
        erp, "PurchaseOrders", "DocEntry,DocNum,DocTotal,DocCurrency,DocumentStatus,Cancelled"
    )
    bills = await _all(erp, "PurchaseInvoices", "DocEntry,NumAtCard,DocTotal,DocCurrency,Cancelled")
    return ERPSnapshot(
        vendors=[
            ERPRow(
                str(bp["CardCode"]),
                bp.get("CardName"),
                "inactive"
                if payloads.is_yes(bp.get("Frozen")) or bp.get("Valid") in ("tNO", "N")
                else "active",
            )
            for bp in partners
        ],
        purchase_orders=[
            ERPRow(
                key=str(doc["DocEntry"]),
                label=str(doc.get("DocNum") or ""),
                status=payloads.po_status(doc).value,
                amount=money(doc.get("DocTotal", 0)),
                currency=str(doc.get("DocCurrency") or ""),
            )
            for doc in orders
        ],
        bills=[
            ERPRow(
                key=str(doc["DocEntry"]),
                label=doc.get("NumAtCard"),
                status="voided" if payloads.is_yes(doc.get("Cancelled")) else "open",
                amount=money(doc.get("DocTotal", 0)),
                currency=str(doc.get("DocCurrency") or ""),
            )
            for doc in bills
        ],
        objects=frozenset({ReconcileObject.VENDORS, ReconcileObject.PURCHASE_ORDERS, ReconcileObject.BILLS}),
    )
