"""SAP Business One A/P invoices already holding an invoice's supplier reference (`NumAtCard`).

SAP has no idempotency key, so the supplier's invoice number (`NumAtCard`, sap.md §Entities) and the
supplier (`CardCode`) identify a bill. One `$filter` per `NUMBERS_PER_QUERY` numbers,
`(NumAtCard eq 'A' or NumAtCard eq 'B' ...) and Cancelled eq 'tNO'` (a cancelled invoice no longer
holds the number), `$select` of the few fields compared, paged by nextLink; the supplier is compared
here. HANA compares strings case-sensitively (sap.md §Query options), which is what a bill number
needs. The connector remembers the pairs looked up and not found, so `export_invoice` does not ask
again for each of them (it still looks again after a create whose answer was lost).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from smartap_erp.connectors.common import money
from smartap_erp.connectors.ledger import ExistingBill, bill_key
from smartap_erp.connectors.sap import payloads
from smartap_erp.domain import ERPInvoice

if TYPE_CHECKING:
    from smartap_erp.connectors.sap.connector import SAPConnector

NUMBERS_PER_QUERY = 40  # keeps the URL of one look-up under ~4 KB
_FIELDS = "DocEntry,DocNum,CardCode,NumAtCard,DocTotal,DocCurrency,DocumentStatus"


async def find_bills(connector: SAPConnector, invoices: Sequence[ERPInvoice]) -> list[ExistingBill]:
    numbers = sorted({i.invoice_number for i in invoices})
    wanted = {bill_key(i.vendor_id, i.invoice_number) for i in invoices}
    found: list[ExistingBill] = []
    for start in range(0, len(numbers), NUMBERS_PER_QUERY):
        either = " or ".join(
            f"NumAtCard eq {payloads.odata_string(n)}" for n in numbers[start : start + NUMBERS_PER_QUERY]
        )
        call = connector.query_call(
            "PurchaseInvoices",
            filter_=f"({either}) and Cancelled eq 'tNO'",
            select=_FIELDS,
            orderby="DocEntry",
        )
        found.extend(
            bill
            for row in await connector._rows(call)
            if (bill := _bill(row)) is not None and bill_key(bill.vendor_id, bill.invoice_number) in wanted
        )
    connector.absent_bills.update(wanted - {bill_key(b.vendor_id, b.invoice_number) for b in found})
    return found


def _bill(row: Any) -> ExistingBill | None:
    if not isinstance(row, dict) or row.get("DocEntry") is None:
        return None
    return ExistingBill(
        bill_id=str(row["DocEntry"]),
        vendor_id=str(row.get("CardCode") or ""),
        invoice_number=str(row.get("NumAtCard") or ""),
        total=money(row.get("DocTotal", 0), "DocTotal"),
        currency=row.get("DocCurrency") or None,
        number=None if row.get("DocNum") is None else str(row["DocNum"]),
        status=row.get("DocumentStatus"),
    )
