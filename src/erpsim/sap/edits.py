"""An edit a person makes to an A/P invoice in the B1 client that the Service Layer simulator has no API
for (the `edit_bill_total` mutate op, used by the reconciliation tests): changing its amount. The
difference goes on the first line's `LineTotal` (and `Price`/`UnitPrice` for a quantity of one),
`DocTotal` moves by it, `PaidToDate` and the open/closed status are recomputed from the vendor payments
(a total below what is already paid is refused, as B1 refuses it), and `UpdateDate`/`UpdateTime` are
stamped as for any edit. Tax is left as it was (the edit models a changed net amount).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from erpsim.core import MutateError
from erpsim.sap.company import Company
from erpsim.sap.documents import refresh_status


def edit_bill_total(company: Company, invoice: dict[str, Any], total: Decimal) -> dict[str, Any]:
    if invoice.get("Cancelled") == "tYES":
        raise MutateError(f"A/P invoice {invoice['DocEntry']} is cancelled and cannot be edited")
    if total < company.applied_to(invoice["DocEntry"]):
        raise MutateError("the new total is below what is already paid")
    delta = total - Decimal(invoice["DocTotal"])
    line = invoice["DocumentLines"][0]
    line["LineTotal"] = Decimal(line["LineTotal"]) + delta
    if Decimal(line.get("Quantity") or 0) == 1:
        line["Price"] = line["UnitPrice"] = line["LineTotal"]
    invoice["DocTotal"] = total
    refresh_status(company, invoice)
    company.stamp(invoice)
    return {
        "doc_entry": invoice["DocEntry"],
        "doc_total": str(total),
        "paid_to_date": str(invoice["PaidToDate"]),
    }


def total_param(params: dict[str, Any]) -> Decimal:
    try:
        return Decimal(str(params["total"]))
    except (KeyError, ArithmeticError):
        raise MutateError("edit_bill_total needs a numeric total") from None
