"""NetSuite's side of a reconciliation report (netsuite-connector.md §SuiteQL).

Three SuiteQL reads, paged by `offset`/`limit` at 1,000 rows with a unique ORDER BY, on the SuiteTalk
host in either mode (`periods.suiteql_pages`, as the removal feed and the export checks do):
`SELECT id, entityid, companyname, isinactive FROM vendor`; one read of the purchase orders and bills
together, `SELECT id, type, tranid, entity, currency, status, foreigntotal, foreignamountpaid,
foreignamountunpaid FROM transaction WHERE type IN ('PurchOrd', 'VendBill')` (amounts in the
transaction's currency); and, when a transaction names a currency, one `SELECT id, symbol FROM
currency` for the ids met (SuiteQL gives `currency` as an internal id; `symbol` is the ISO code; the
same read as the duplicate look-up's, duplicates.py). Payments need no request of their own: a bill's
paid amount is `foreignamountpaid` (else total less `foreignamountunpaid`), as QuickBooks' Balance and
Xero's AmountDue give theirs. Budget: max(1, ⌈vendors/1000⌉) + max(1, ⌈(POs + bills)/1000⌉) + 1.

Column names are the analytics data source's (foreignamountpaid / foreignamountunpaid on transaction:
Prolecto's SuiteQL A/R-A/P field table; UNCERTAIN as for the other SuiteQL reads). SuiteQL's
`transaction.status` is a one-letter code in a real account (Tim Dietrich, "NetSuite SuiteQL
transaction statuses"; letters per Prolecto's status list, UNCERTAIN), while the simulator answers the
UI label: both are read (statuses.py), and paid / partial / unpaid follows the amounts, not the
status, except for a cancelled or rejected bill (voided).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from smartap_erp.connectors.common import money
from smartap_erp.connectors.netsuite.connector import NetSuiteConnector
from smartap_erp.connectors.netsuite.duplicates import _currency_codes
from smartap_erp.connectors.netsuite.payloads import PO_STATUS_TEXT
from smartap_erp.connectors.netsuite.periods import suiteql_pages
from smartap_erp.connectors.netsuite.statuses import DEAD_BILL, status_label
from smartap_erp.connectors.reconciliation import ERPRow, ERPSnapshot
from smartap_erp.domain.enums import PaymentStatus, PurchaseOrderStatus

VENDORS = "SELECT id, entityid, companyname, isinactive FROM vendor ORDER BY id"
TRANSACTIONS = (
    "SELECT id, type, tranid, entity, currency, status, foreigntotal, foreignamountpaid, "
    "foreignamountunpaid FROM transaction WHERE type IN ('PurchOrd', 'VendBill') ORDER BY id"
)


async def _rows(erp: NetSuiteConnector, query: str) -> list[dict[str, Any]]:
    return [row async for page in suiteql_pages(erp, query) for row in page]


def po_row(row: dict[str, Any], currencies: dict[str, str]) -> ERPRow:
    status = PO_STATUS_TEXT.get(status_label(row), PurchaseOrderStatus.OPEN)
    return ERPRow(
        key=str(row["id"]),
        label=row.get("tranid"),
        status=status.value,
        amount=money(row.get("foreigntotal") or 0),
        currency=currencies.get(str(row.get("currency"))) or None,
    )


def bill_row(row: dict[str, Any], currencies: dict[str, str]) -> ERPRow:
    total = money(row.get("foreigntotal") or 0)
    voided = status_label(row) in DEAD_BILL
    if row.get("foreignamountpaid") is not None:
        paid = money(row["foreignamountpaid"])
    else:
        paid = total - money(row.get("foreignamountunpaid") or 0)
    paid = min(max(paid, Decimal(0)), total)
    if voided:
        paid_status = PaymentStatus.VOIDED
    elif paid >= total and total > 0:
        paid_status = PaymentStatus.PAID
    else:
        paid_status = PaymentStatus.PARTIAL if paid > 0 else PaymentStatus.UNPAID
    return ERPRow(
        key=str(row["id"]),
        label=row.get("tranid"),
        status="voided" if voided else "open",
        amount=total,
        currency=currencies.get(str(row.get("currency"))) or None,
        paid=paid,
        paid_status=paid_status.value,
    )


async def read_snapshot(erp: NetSuiteConnector) -> ERPSnapshot:
    vendors = await _rows(erp, VENDORS)
    transactions = await _rows(erp, TRANSACTIONS)
    currencies = await _currency_codes(erp, {str(t["currency"]) for t in transactions if t.get("currency")})
    return ERPSnapshot(
        vendors=[
            ERPRow(
                str(v["id"]),
                v.get("companyname") or v.get("entityid"),
                "inactive" if str(v.get("isinactive") or "F").upper() in ("T", "TRUE") else "active",
            )
            for v in vendors
        ],
        purchase_orders=[po_row(t, currencies) for t in transactions if t.get("type") == "PurchOrd"],
        bills=[bill_row(t, currencies) for t in transactions if t.get("type") == "VendBill"],
    )
