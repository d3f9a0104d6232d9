"""SAP Business One A/P invoices already holding an invoice's supplier reference (`NumAtCard`).

SAP has no idempotency key, so the supplier's invoice number (`NumAtCard`, sap.md §Entities) and the
supplier (`CardCode`) identify a bill. One `$filter` per `NUMBERS_PER_QUERY` numbers,
`(NumAtCard eq 'A' or NumAtCard eq 'B' ...) and Cancelled eq 'tNO'` (a cancelled invoice no longer
holds the number), `$select` of the few fields compared, paged by nextLink; the supplier is compared
here. HANA compares strings case-sensitively (sap.md §Query options), which is what a bill number
needs. One such query is a plain GET; several go as GET parts of one `$batch` (batch.py, sap.md §Batch),
so a step of 500 invoices (13 queries) costs one request. `live_bills` is the look-up itself, also used by
export before creating and after an answer was lost (export.py); `find_bills` is export's check, and the
connector remembers the pairs it looked up and did not find, so export does not ask again for them.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from smartap_erp.connectors.common import money
from smartap_erp.connectors.ledger import ExistingBill, bill_key
from smartap_erp.connectors.sap import batch, payloads
from smartap_erp.domain import ERPInvoice

if TYPE_CHECKING:
    from smartap_erp.connectors.sap.connector import SAPConnector

NUMBERS_PER_QUERY = 40  # keeps the URL of one look-up under ~4 KB
FIELDS = "DocEntry,DocNum,CardCode,NumAtCard,DocTotal,DocCurrency,DocumentStatus,UpdateDate,UpdateTime"
Key = tuple[str, str]


def lookup_calls(connector: SAPConnector, invoices: Sequence[ERPInvoice]) -> list[Any]:
    """The look-up queries for these invoices' numbers, `NUMBERS_PER_QUERY` numbers each."""
    numbers = sorted({i.invoice_number for i in invoices})
    calls = []
    for start in range(0, len(numbers), NUMBERS_PER_QUERY):
        either = " or ".join(
            f"NumAtCard eq {payloads.odata_string(n)}" for n in numbers[start : start + NUMBERS_PER_QUERY]
        )
        calls.append(
            connector.query_call(
                "PurchaseInvoices",
                filter_=f"({either}) and Cancelled eq 'tNO'",
                select=FIELDS,
                orderby="DocEntry",
            )
        )
    return calls


def matching(rows: Sequence[Any], invoices: Sequence[ERPInvoice]) -> dict[Key, list[dict[str, Any]]]:
    """The rows of the look-up naming one of these invoices' supplier + number, by key, DocEntry order."""
    wanted = {bill_key(i.vendor_id, i.invoice_number) for i in invoices}
    found: dict[Key, list[dict[str, Any]]] = {}
    for row in rows:
        if not isinstance(row, dict) or row.get("DocEntry") is None:
            continue
        key = bill_key(str(row.get("CardCode") or ""), str(row.get("NumAtCard") or ""))
        if key in wanted:
            found.setdefault(key, []).append(row)
    return found


async def live_bills(
    connector: SAPConnector, invoices: Sequence[ERPInvoice]
) -> dict[Key, list[dict[str, Any]]]:
    """The live A/P invoices with these invoices' supplier + number: one request for up to 2,000 numbers."""
    results = await batch.get_many(connector, lookup_calls(connector, invoices))
    return matching([row for rows in results for row in rows], invoices)


async def find_bills(connector: SAPConnector, invoices: Sequence[ERPInvoice]) -> list[ExistingBill]:
    found = await live_bills(connector, invoices)
    wanted = {bill_key(i.vendor_id, i.invoice_number) for i in invoices}
    connector.absent_bills.update(wanted - set(found))
    return [_bill(row) for rows in found.values() for row in rows]


def _bill(row: dict[str, Any]) -> ExistingBill:
    return ExistingBill(
        bill_id=str(row["DocEntry"]),
        vendor_id=str(row.get("CardCode") or ""),
        invoice_number=str(row.get("NumAtCard") or ""),
        total=money(row.get("DocTotal", 0), "DocTotal"),
        currency=row.get("DocCurrency") or None,
        number=None if row.get("DocNum") is None else str(row["DocNum"]),
        status=row.get("DocumentStatus"),
    )
