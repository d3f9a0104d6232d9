"""QuickBooks bills already holding an invoice's number: a whole export step in one `/batch` request.

Each look-up is a `Query` item of a `/batch` request (`batchquery.py`; erp-api-facts.md §1.9: an item may
carry a Query, answered by a `QueryResponse` or by a `Fault` inside the HTTP 200): `SELECT * FROM Bill
WHERE DocNumber IN (...) MAXRESULTS 1000` (the query language has IN but no OR, §1.3), `NUMBERS_PER_QUERY`
numbers an item and `export.BATCH_SIZE` items a request, so an export step of `export.STEP_SIZE`
invoices (12 items) costs one request. While the home currency is unknown, `SELECT * FROM CompanyInfo`
rides as one more item (the currency follows from its Country, as `test_connection` reads it). A Query
item that fills MAXRESULTS is read again in full, page by page (rare). A Fault in any item fails the
look-up with the error the query alone would have raised: no bill of the step is created unless every
look-up answered. The vendor is compared here (VendorRef), since one number may belong to several
vendors. A bill without `CurrencyRef` is in the company's home currency.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from smartap_erp.connectors.common import money
from smartap_erp.connectors.ledger import ExistingBill
from smartap_erp.connectors.quickbooks import batchquery, export, queries
from smartap_erp.domain import ERPInvoice

if TYPE_CHECKING:
    from smartap_erp.connectors.quickbooks.connector import QuickBooksConnector

NUMBERS_PER_QUERY = 100


async def find_bills(connector: QuickBooksConnector, invoices: Sequence[ERPInvoice]) -> list[ExistingBill]:
    numbers = sorted({i.invoice_number for i in invoices})
    if not numbers:
        return []
    lookups = [
        [f"DocNumber IN ({', '.join(queries.quote(n) for n in numbers[start : start + NUMBERS_PER_QUERY])})"]
        for start in range(0, len(numbers), NUMBERS_PER_QUERY)
    ]
    statements = [queries.select("Bill", c) + f" MAXRESULTS {queries.PAGE_SIZE}" for c in lookups]
    keys: list[Mapping[str, type] | None] = [None] * len(statements)
    if not connector.knows_home_currency:
        statements.insert(0, batchquery.COMPANY_INFO)
        keys.insert(0, batchquery.COMPANY_KEYS)
        lookups.insert(0, [])
    rows: list[dict[str, Any]] = []
    for start in range(0, len(statements), export.BATCH_SIZE):
        end = start + export.BATCH_SIZE
        answers = await batchquery.run(connector, statements[start:end], keys[start:end])
        for conditions, statement, answer in zip(lookups[start:], statements[start:], answers, strict=False):
            if statement == batchquery.COMPANY_INFO:
                batchquery.learn_company(connector, answer)
                continue
            found = answer.get("Bill", [])
            if len(found) >= queries.PAGE_SIZE:  # more than one page: read them all (rare)
                found = [row async for page in connector._stream("Bill", conditions) for row in page]
            rows.extend(found)
    home = await connector.home_currency()
    return [_bill(row, home) for row in rows]


def _bill(row: dict[str, Any], home: str) -> ExistingBill:
    return ExistingBill(
        bill_id=str(row["Id"]),
        vendor_id=str((row.get("VendorRef") or {}).get("value", "")),
        invoice_number=str(row.get("DocNumber", "")),
        total=money(row.get("TotalAmt", 0)),
        currency=str((row.get("CurrencyRef") or {}).get("value") or home),
    )
