"""Xero bills already holding an invoice's number, found before any create.

ACCPAY `InvoiceNumber` is not unique in Xero (erp-api-facts §2.13 gotcha 6), so bills are looked up by
the optimised `InvoiceNumbers` and `ContactIDs` list parameters of `GET /Invoices` (§2.2), with
`where=Type=="ACCPAY"` and the live statuses (`Statuses=DRAFT,SUBMITTED,AUTHORISED,PAID`: a voided or
deleted bill does not hold the number any more), up to `NUMBERS_PER_QUERY` numbers a request and
paged at 1,000 rows. Contact and number are matched again here (both lists narrow independently, so
a contact's other numbers come back too). The connector remembers which (contact, number) pairs were
looked up and not found, so its export does not ask Xero a second time for the same batch
(`XeroConnector._export_batch`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from smartap_erp.connectors.common import money
from smartap_erp.connectors.ledger import ExistingBill, bill_key
from smartap_erp.domain import ERPInvoice
from smartap_erp.http.call import Call

if TYPE_CHECKING:
    from smartap_erp.connectors.xero.connector import XeroConnector

NUMBERS_PER_QUERY = 50  # the export batch size: one request per batch, URLs well under 8 KB
LIVE_BILL_STATUSES = "DRAFT,SUBMITTED,AUTHORISED,PAID"


async def bills_for(
    connector: XeroConnector, invoices: Sequence[ERPInvoice], page_size: int
) -> list[dict[str, Any]]:
    """The raw live ACCPAY invoices with these invoices' numbers and contacts."""
    numbers = sorted({i.invoice_number for i in invoices})
    contacts = ",".join(sorted({i.vendor_id for i in invoices}))
    found: list[dict[str, Any]] = []
    for start in range(0, len(numbers), NUMBERS_PER_QUERY):
        page = 1
        while True:
            params = {
                "InvoiceNumbers": ",".join(numbers[start : start + NUMBERS_PER_QUERY]),
                "ContactIDs": contacts,
                "Statuses": LIVE_BILL_STATUSES,
                "where": 'Type=="ACCPAY"',
                "page": page,
                "pageSize": page_size,
            }
            rows = (await connector._json(Call.get("Invoices", params=params))).get("Invoices") or []
            found.extend(r for r in rows if isinstance(r, dict))
            if len(rows) < page_size:
                break
            page += 1
    return found


async def find_bills(connector: XeroConnector, invoices: Sequence[ERPInvoice]) -> list[ExistingBill]:
    if not invoices:
        return []
    wanted = {bill_key(i.vendor_id, i.invoice_number) for i in invoices}
    bills = [
        b
        for raw in await bills_for(connector, invoices, connector.page_size)
        if (b := _bill(raw)) is not None and bill_key(b.vendor_id, b.invoice_number) in wanted
    ]
    connector.absent_bills.update(wanted - {bill_key(b.vendor_id, b.invoice_number) for b in bills})
    return bills


def _bill(raw: dict[str, Any]) -> ExistingBill | None:
    contact = (raw.get("Contact") or {}).get("ContactID")
    if not contact or raw.get("InvoiceID") is None:
        return None
    return ExistingBill(
        bill_id=str(raw["InvoiceID"]),
        vendor_id=str(contact),
        invoice_number=str(raw.get("InvoiceNumber") or ""),
        total=money(raw.get("Total", 0)),
        currency=raw.get("CurrencyCode"),
        status=raw.get("Status"),
    )
