"""QuickBooks payment status (quickbooks.md §Paid or not): the change feed of the payment-status sync
and the read of one bill.

A bill's status comes from its `Balance` alone (the source of truth). The feed reads the Bills changed
since the cursor and the BillPayments changed since: whether a payment always bumps the Bill's
LastUpdatedTime is UNCERTAIN, so both are read, and the bills a changed payment links to that were not
among the changed Bills (and are open bills of ours, when the caller names them) are read by id. Every
read is a query carried as an item of a `/batch` request (`batchquery.py`, erp-api-facts §1.9), so the
requests do not grow with the pages: one batch holds both COUNTs and both first pages, then batches of
`PAGES_PER_BATCH` hold every further page the counts promise (one past a full last page, as
`queries.start_positions` reads), then pages one at a time while the last comes back full (records
changed since the count), then the `Id IN (...)` reads. The home currency, unless configured, comes with
the first batch (`SELECT * FROM CompanyInfo`). With b Bills and q BillPayments changed, p rows a page and
B pages a batch: 1 + ceil((b // p + q // p) / B) batches, plus ceil(ceil(m / 100) / B) for m linked bills
not changed themselves: 2 requests at 5,000 changed bills and payments (p = 1,000, B = 10), with the
removal read (CDC) 3. Pages are mapped and yielded batch by batch: at most B pages held at once.
One bill alone is `GET bill/<id>` plus its linked BillPayments (their dates and amounts).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator, Collection, Sequence
from typing import TYPE_CHECKING, Any

from smartap_erp.connectors.models import RecordPage
from smartap_erp.connectors.quickbooks import batchquery, payloads, queries
from smartap_erp.connectors.quickbooks.walks import Walk, walk_pages
from smartap_erp.domain import ERPPaymentStatus

if TYPE_CHECKING:
    from smartap_erp.connectors.quickbooks.connector import QuickBooksConnector

# Query items per /batch: the safe size of erp-api-facts §1.9 (30 may be accepted, UNCERTAIN), and a
# bound on memory: at most ten 1,000-row pages in one answer.
PAGES_PER_BATCH = 10
IDS_PER_QUERY = 100  # ids in one `Id IN (...)` condition of a query


def _linked_bills(payments: Sequence[Any]) -> set[str]:
    return {
        str(txn["TxnId"])
        for payment in payments
        for line in payment.get("Line", [])
        for txn in line.get("LinkedTxn", [])
        if txn.get("TxnType") == "Bill"
    }


async def payment_changes(
    connector: QuickBooksConnector, since: dt.datetime, bill_ids: Collection[str] | None = None
) -> AsyncIterator[RecordPage[ERPPaymentStatus]]:
    """Status pages of the Bills changed since `since` and of the bills linked to BillPayments changed
    since (of `bill_ids` only, when given); `payments` stay empty here (module docstring)."""
    now = connector.now()
    currency: str | None = None

    async def page_of(rows: list[Any]) -> RecordPage[ERPPaymentStatus]:
        nonlocal currency
        currency = currency or await connector.home_currency()  # learnt in the first batch
        home = currency
        return connector.to_page(
            rows,
            lambda raw: payloads.payment_status_from_qbo(raw, [], home_currency=home, checked_at=now),
            "Id",
        )

    bills = Walk("Bill", queries.changed_since(since))
    payments = Walk("BillPayment", queries.changed_since(since))
    seen: set[str] = set()
    linked: set[str] = set()
    async for walk, rows in walk_pages(connector, [bills, payments], per_batch=PAGES_PER_BATCH):
        if walk is bills:
            seen.update(str(row["Id"]) for row in rows)
            yield await page_of(rows)
        else:
            linked |= _linked_bills(rows)
    missing = sorted((linked - seen) & set(bill_ids) if bill_ids is not None else linked - seen)
    per_query = min(IDS_PER_QUERY, queries.PAGE_SIZE)  # every row of an `Id IN` read fits one page
    statements = [
        queries.select(
            "Bill", [f"Id IN ({', '.join(queries.quote(i) for i in missing[at : at + per_query])})"]
        )
        + f" MAXRESULTS {queries.PAGE_SIZE}"
        for at in range(0, len(missing), per_query)
    ]
    for first in range(0, len(statements), PAGES_PER_BATCH):
        for answer in await batchquery.run(connector, statements[first : first + PAGES_PER_BATCH]):
            if rows := answer.get("Bill", []):
                yield await page_of(rows)


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
