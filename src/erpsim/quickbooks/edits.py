"""Edits a person makes to a bill in the QuickBooks UI through the `edit_bill_total` mutate op (used by the
reconciliation tests): changing a bill's amount. The difference goes on the bill's first expense
line, TotalAmt and Balance move by it (a bill with payments keeps what was paid), the vendor's balance
follows, and SyncToken / LastUpdatedTime are bumped as for any edit.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from erpsim.core.simulator import MutateError
from erpsim.quickbooks.bills import adjust_vendor_balance, index_bill, unindex_bill
from erpsim.quickbooks.store import QboStore


def edit_bill_total(store: QboStore, bill_id: str, total: Decimal) -> dict[str, Any]:
    bill = store.get("Bill", bill_id)
    if bill is None:
        raise MutateError(f"no Bill {bill_id}")
    delta = total - Decimal(bill["TotalAmt"])
    if Decimal(bill["Balance"]) + delta < 0:
        raise MutateError("the new total is below what is already paid")
    unindex_bill(store, bill)
    bill["Line"][0]["Amount"] = Decimal(bill["Line"][0]["Amount"]) + delta
    bill["TotalAmt"], bill["Balance"] = total, Decimal(bill["Balance"]) + delta
    adjust_vendor_balance(store, bill["VendorRef"]["value"], delta)
    index_bill(store, bill)
    store.touch("Bill", bill)
    return bill
