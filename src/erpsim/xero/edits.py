"""Edits a person makes to a bill in Xero through the `edit_bill_total` mutate op (used by the
reconciliation tests): changing an AUTHORISED bill's amount. The difference goes on the first line's
LineAmount (and UnitAmount for a quantity of one), SubTotal, Total and AmountDue move by it,
UpdatedDateUTC is set.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from decimal import Decimal
from typing import Any

from erpsim.core.simulator import MutateError
from erpsim.xero.store import Org


def edit_bill_total(org: Org, invoice_id: str, total: Decimal, now: Callable[[], datetime]) -> dict[str, Any]:
    bill = org.invoices.get(invoice_id.lower())
    if bill is None or bill.get("Type") != "ACCPAY":
        raise MutateError(f"no bill {invoice_id}")
    if bill["Status"] != "AUTHORISED":
        raise MutateError(f"a {bill['Status']} bill cannot be edited")
    delta = total - bill["Total"]
    line = bill["LineItems"][0]
    line["LineAmount"] += delta
    if line.get("Quantity") == 1:
        line["UnitAmount"] = line["LineAmount"]
    bill.update(
        SubTotal=bill["SubTotal"] + delta,
        Total=total,
        AmountDue=bill["AmountDue"] + delta,
        UpdatedDateUTC=now(),
    )
    return bill
