"""REST-mode payment status through one SuiteQL query: bills with their currency and applied payments.

`SELECT ... FROM transaction b LEFT JOIN currency c ON c.id = b.currency LEFT JOIN nexttransactionlinelink l
ON l.previousdoc = b.id AND l.linktype = 'Payment' LEFT JOIN transaction p ON p.id = l.nextdoc WHERE
b.type = 'VendBill' AND <filter> ORDER BY b.lastmodifieddate, b.id, l.nextdoc`: one row per bill and
payment applied to it (one row for a bill without payment), carrying the bill's status (one-letter code,
statuses.py), total and unpaid amount in its currency, the currency's ISO code (`currency.symbol`, as
duplicates.py reads it) and each payment's amount applied, number and date. SuiteQL joins tables
(netsuite-connector.md §SuiteQL); column names are the analytics data source's (UNCERTAIN, as reconcile.py's
`foreigntotal` / `foreignamountunpaid` / `foreignamountpaid` and the link table's `foreignamount`). Pages of
1,000 rows (`limit`/`offset`, the unique ORDER BY above); a bill whose rows straddle two pages is held until
its last row is read. Requests for the bills changed since a time: max(1, ceil(R / 1000)) with R the rows,
sum over the changed bills of max(1, payments applied): 5 at 5,000 changed bills with at most one payment
each. Before, REST mode read each changed bill, its payment links and each payment by itself (2 + P
requests a bill with P payments, and each currency once). One bill by id is the same query: one request.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator, Sequence
from typing import TYPE_CHECKING, Any

from smartap_erp.connectors.models import RecordPage
from smartap_erp.connectors.netsuite import payloads
from smartap_erp.connectors.netsuite.periods import suiteql_pages
from smartap_erp.connectors.netsuite.statuses import status_label
from smartap_erp.domain.models import ERPPaymentStatus
from smartap_erp.errors import ERPNotFoundError

if TYPE_CHECKING:
    from smartap_erp.connectors.netsuite.connector import NetSuiteConnector

SELECT = (
    "SELECT b.id AS id, b.status AS status, b.foreigntotal AS total, b.foreignamountunpaid AS unpaid, "
    "b.currency AS currency, c.name AS currencyname, c.symbol AS symbol, l.nextdoc AS payment, "
    "l.foreignamount AS amount, p.tranid AS paymentnumber, "
    "TO_CHAR(p.trandate, 'YYYY-MM-DD') AS paymentdate "
    "FROM transaction b LEFT JOIN currency c ON c.id = b.currency "
    "LEFT JOIN nexttransactionlinelink l ON l.previousdoc = b.id AND l.linktype = 'Payment' "
    "LEFT JOIN transaction p ON p.id = l.nextdoc "
    "WHERE b.type = 'VendBill' AND {where} ORDER BY b.lastmodifieddate, b.id, l.nextdoc"
)
# SuiteQL label -> the status the payload mapping reads (Payment In Transit counts as paid, docs/netsuite.md)
_STATUS = {"paid in full": "paid", "payment in transit": "paid"}


def bill_of(rows: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """The rows of one bill as the bill and payments `payloads.payment_status_from_netsuite` reads."""
    first = rows[0]
    label = status_label(first, "VendBill")
    bill = {
        "id": str(first["id"]),
        "total": first.get("total") or "0",
        "amountRemaining": first.get("unpaid", first.get("total") or "0"),
        "statusRef": _STATUS.get(label, label),
        "currency": {
            "id": first.get("currency"),
            "refName": first.get("currencyname"),
            "symbol": first.get("symbol"),
        },
    }
    payments = [
        {
            "id": r["payment"],
            "amount": r.get("amount") or "0",
            "tranDate": r["paymentdate"],
            "tranId": r.get("paymentnumber"),
        }
        for r in rows
        if r.get("payment")
    ]
    return {**bill, "payments": payments}


def _grouped(rows: Sequence[dict[str, Any]]) -> list[list[dict[str, Any]]]:
    groups: list[list[dict[str, Any]]] = []
    for row in rows:
        if groups and groups[-1][0]["id"] == row["id"]:
            groups[-1].append(row)
        else:
            groups.append([row])
    return groups


async def bills(connector: NetSuiteConnector, where: str) -> AsyncIterator[list[dict[str, Any]]]:
    """Pages of bills (as `bill_of` gives them) matching `where` (on `b.`), each bill whole."""
    held: list[dict[str, Any]] = []
    async for page in suiteql_pages(connector, SELECT.format(where=where)):
        groups = _grouped(held + page)
        held = groups.pop() if groups else []  # its rows may go on in the next page
        if groups:
            yield [bill_of(group) for group in groups]
    if held:
        yield [bill_of(held)]


async def changed_since(
    connector: NetSuiteConnector, since_literal: str, wanted: set[str] | None, checked_at: dt.datetime
) -> AsyncIterator[RecordPage[ERPPaymentStatus]]:
    async for page in bills(connector, f"b.lastmodifieddate >= {since_literal}"):
        chosen = [bill for bill in page if wanted is None or bill["id"] in wanted]
        yield connector.to_page(
            chosen,
            lambda bill: payloads.payment_status_from_netsuite(bill, bill["payments"], checked_at=checked_at),
            "id",
        )


async def one(connector: NetSuiteConnector, bill_id: str) -> ERPPaymentStatus:
    found = [bill async for page in bills(connector, f"b.id = '{int(bill_id)}'") for bill in page]
    if not found:
        raise ERPNotFoundError(f"vendor bill {bill_id} not found", erp=connector.system)
    return connector.status_of(found[0], found[0]["payments"])
