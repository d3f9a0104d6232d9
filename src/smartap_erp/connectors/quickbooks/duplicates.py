"""QuickBooks bills already holding an invoice's number: one query per hundred invoices.

`SELECT * FROM Bill WHERE DocNumber IN (...)` (the query language has IN but no OR, erp-api-facts.md
§1.3), up to `NUMBERS_PER_QUERY` numbers and `MAXRESULTS 1000` rows, paged past that; the vendor is
compared here (VendorRef), since one number may belong to several vendors. A bill without
`CurrencyRef` is in the company's home currency.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from smartap_erp.connectors.common import money
from smartap_erp.connectors.ledger import ExistingBill
from smartap_erp.connectors.quickbooks import queries
from smartap_erp.domain import ERPInvoice

if TYPE_CHECKING:
    from smartap_erp.connectors.quickbooks.connector import QuickBooksConnector

NUMBERS_PER_QUERY = 100


async def find_bills(connector: QuickBooksConnector, invoices: Sequence[ERPInvoice]) -> list[ExistingBill]:
    numbers = sorted({i.invoice_number for i in invoices})
    if not numbers:
        return []
    home = await connector.home_currency()
    found: list[ExistingBill] = []
    for start in range(0, len(numbers), NUMBERS_PER_QUERY):
        in_list = ", ".join(queries.quote(n) for n in numbers[start : start + NUMBERS_PER_QUERY])
        conditions = [f"DocNumber IN ({in_list})"]
        rows = await connector._rows(
            "Bill", queries.select("Bill", conditions) + f" MAXRESULTS {queries.PAGE_SIZE}"
        )
        if len(rows) >= queries.PAGE_SIZE:  # more than one page: read them all (rare)
            rows = [row async for page in connector._stream("Bill", conditions) for row in page]
        found.extend(_bill(row, home) for row in rows)
    return found


def _bill(row: dict[str, Any], home: str) -> ExistingBill:
    return ExistingBill(
        bill_id=str(row["Id"]),
        vendor_id=str((row.get("VendorRef") or {}).get("value", "")),
        invoice_number=str(row.get("DocNumber", "")),
        total=money(row.get("TotalAmt", 0)),
        currency=str((row.get("CurrencyRef") or {}).get("value") or home),
    )
