"""QuickBooks payment status (quickbooks.md §Paid or not): the change feed of the payment-status sync
and the read of one bill.

A bill's status comes from its `Balance` alone (the source of truth). The feed reads the Bills changed
since the cursor, then the bills of the BillPayments changed since: whether a payment always bumps the
Bill's LastUpdatedTime is UNCERTAIN, so both are read. One bill alone is `GET bill/<id>` plus its
linked BillPayments (their dates and amounts).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator, Collection
from typing import TYPE_CHECKING, Any

from smartap_erp.connectors.models import RecordPage
from smartap_erp.connectors.quickbooks import payloads, queries
from smartap_erp.domain import ERPPaymentStatus

if TYPE_CHECKING:
    from smartap_erp.connectors.quickbooks.connector import QuickBooksConnector

IDS_PER_QUERY = 100  # ids in one `Id IN (...)` condition of a query


async def payment_changes(
    connector: QuickBooksConnector, since: dt.datetime, bill_ids: Collection[str] | None = None
) -> AsyncIterator[RecordPage[ERPPaymentStatus]]:
    """Bills changed since `since`, then the bills of BillPayments changed since; `payments` stay
    empty here."""
    currency, now = await connector.home_currency(), connector.now()

    def status(raw: dict[str, Any]) -> ERPPaymentStatus:
        return payloads.payment_status_from_qbo(raw, [], home_currency=currency, checked_at=now)

    seen: set[str] = set()
    async for rows in connector._stream("Bill", queries.changed_since(since)):
        seen.update(str(row["Id"]) for row in rows)
        yield connector.to_page(rows, status, "Id")
    linked: set[str] = set()
    async for rows in connector._stream("BillPayment", queries.changed_since(since)):
        linked.update(
            str(txn["TxnId"])
            for payment in rows
            for line in payment.get("Line", [])
            for txn in line.get("LinkedTxn", [])
            if txn.get("TxnType") == "Bill"
        )
    missing = sorted(linked - seen)
    for start in range(0, len(missing), IDS_PER_QUERY):
        in_list = ", ".join(queries.quote(i) for i in missing[start : start + IDS_PER_QUERY])
        async for rows in connector._stream("Bill", [f"Id IN ({in_list})"]):
            yield connector.to_page(rows, status, "Id")


async def payment_status(connector: QuickBooksConnector, bill_id: str) -> ERPPaymentStatus:
    """One bill's status, with the BillPayments linked to it: two requests."""
    bill = (await connector._get(f"bill/{bill_id}", {"Bill": dict}))["Bill"]
    payment_ids = [
        str(t["TxnId"])
        for t in bill.get("LinkedTxn", [])
        if str(t.get("TxnType", "")).startswith("BillPayment")
    ]
    payments = []
    if payment_ids:
        in_list = ", ".join(queries.quote(i) for i in payment_ids)
        payments = await connector._rows("BillPayment", queries.select("BillPayment", [f"Id IN ({in_list})"]))
    return payloads.payment_status_from_qbo(
        bill, payments, home_currency=await connector.home_currency(), checked_at=connector.now()
    )
