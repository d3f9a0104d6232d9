"""An edit a person makes to a vendor bill in the NetSuite UI that no simulated API call covers (the
`edit_bill_total` mutate op, used by the reconciliation tests): changing its amount. The difference goes
on the first line's `amount` (and `rate` for a quantity of one); the bill's total, amount remaining and
Open / Paid In Full status follow from its lines and applied payments as for any bill (store.py), a
total below what is already paid is refused, and `lastModifiedDate` is bumped.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from erpsim.core import MutateError
from erpsim.netsuite.store import NetSuiteStore, Record


def edit_bill_total(store: NetSuiteStore, bill: Record, total: Decimal) -> dict[str, Any]:
    if bill["statusRef"] in ("cancelled", "rejected"):
        raise MutateError(f"bill {bill['id']} is {bill['statusRef']} and cannot be edited")
    if total < store.amount_paid(bill):
        raise MutateError("the new total is below what is already paid")
    delta = total - store.total(bill)
    line = bill["lines"][0]
    line["amount"] = Decimal(line["amount"]) + delta
    if Decimal(str(line.get("quantity") or 0)) == 1:
        line["rate"] = line["amount"]
    store.refresh_bill_status(bill)
    store.touch(bill)
    return {
        "bill_id": bill["id"],
        "total": str(store.total(bill)),
        "amount_remaining": str(store.amount_remaining(bill)),
    }


def total_param(params: dict[str, Any]) -> Decimal:
    """The op's `total`, a number or a decimal string."""
    try:
        return Decimal(str(params["total"]))
    except (KeyError, ArithmeticError):
        raise MutateError("edit_bill_total needs a numeric total") from None
