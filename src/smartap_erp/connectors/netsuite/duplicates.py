"""NetSuite vendor bills already holding an invoice's number (`tranid`), found with SuiteQL.

`SELECT id, tranid, entity, foreigntotal, currency, status FROM transaction WHERE type = 'VendBill' AND
tranid IN (...)`, up to `NUMBERS_PER_QUERY` numbers a query (SuiteQL has IN; netsuite-connector.md
§SuiteQL: unique ORDER BY, 1,000 rows a page), the vendor (`entity`) compared here. Cancelled and
rejected bills do not hold the number. `currency` is an internal id: the ISO codes of the currencies
met are read in one more query (`currency.symbol`) only when bills were found. `status` is SuiteQL's
one-letter code (statuses.py: `C` cancelled, `E` rejected). Column names are the
analytics data source's (UNCERTAIN, as for the other SuiteQL reads); SuiteQL runs on the SuiteTalk
host in either connection mode (periods.py). No second look-up happens at export: RESTlet and REST
exports are idempotent by `externalId`, not by number, so the export path does not search by number.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from smartap_erp.connectors.common import money
from smartap_erp.connectors.ledger import ExistingBill, bill_key
from smartap_erp.connectors.netsuite.periods import suiteql_pages
from smartap_erp.connectors.netsuite.statuses import DEAD_BILL, status_label
from smartap_erp.domain import ERPInvoice

if TYPE_CHECKING:
    from smartap_erp.connectors.netsuite.connector import NetSuiteConnector

NUMBERS_PER_QUERY = 100


def _quote(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


async def find_bills(connector: NetSuiteConnector, invoices: Sequence[ERPInvoice]) -> list[ExistingBill]:
    numbers = sorted({i.invoice_number for i in invoices})
    wanted = {bill_key(i.vendor_id, i.invoice_number) for i in invoices}
    rows: list[dict[str, Any]] = []
    for start in range(0, len(numbers), NUMBERS_PER_QUERY):
        listed = ", ".join(_quote(n) for n in numbers[start : start + NUMBERS_PER_QUERY])
        query = (
            "SELECT id, tranid, entity, foreigntotal, currency, status FROM transaction "  # noqa: S608 (quoted)
            f"WHERE type = 'VendBill' AND tranid IN ({listed}) ORDER BY id"
        )
        async for page in suiteql_pages(connector, query):
            rows.extend(
                row
                for row in page
                if bill_key(str(row.get("entity") or ""), str(row.get("tranid") or "")) in wanted
                and status_label(row, "VendBill") not in DEAD_BILL
            )
    if not rows:
        return []
    codes = await _currency_codes(connector, {str(r["currency"]) for r in rows if r.get("currency")})
    return [
        ExistingBill(
            bill_id=str(row["id"]),
            vendor_id=str(row["entity"]),
            invoice_number=str(row["tranid"]),
            total=money(row.get("foreigntotal", "0"), "foreigntotal"),
            currency=codes.get(str(row.get("currency"))) or None,
            status=status_label(row, "VendBill"),
        )
        for row in rows
    ]


async def _currency_codes(connector: NetSuiteConnector, ids: set[str]) -> dict[str, str]:
    digits = sorted(i for i in ids if i.isdigit())
    if not digits:
        return {}
    listed = ", ".join(_quote(i) for i in digits)
    query = f"SELECT id, symbol FROM currency WHERE id IN ({listed}) ORDER BY id"  # noqa: S608 (digits)
    return {
        str(row["id"]): str(row.get("symbol") or "")
        async for page in suiteql_pages(connector, query)
        for row in page
    }
