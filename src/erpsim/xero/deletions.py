"""A purchase order deleted in Xero, for `POST /_sim/mutate`:

    {"op": "delete_purchase_order", "purchase_order_id": "<guid>", "tenant_id"?: "<tenant>"}

Xero keeps a deleted purchase order with Status DELETED (its PurchaseOrder Status enum is DRAFT,
SUBMITTED, AUTHORISED, BILLED, DELETED, erp-api-facts §2.7) and bumps UpdatedDateUTC, so an
If-Modified-Since read returns it with that status. A BILLED order is refused (it has been billed; UI
rule, UNCERTAIN for the API). Archived contacts, voided and deleted bills: `archive_vendor`,
`void_bill`, `delete_bill` in simulator.py.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from erpsim.core.simulator import MutateError
from erpsim.xero.store import Org

DELETABLE = frozenset({"DRAFT", "SUBMITTED", "AUTHORISED"})


def delete_purchase_order(org: Org, params: dict[str, Any], now: Callable[[], datetime]) -> dict[str, Any]:
    key = str(params.get("purchase_order_id") or "").lower()
    po = org.purchase_orders.get(key)
    if po is None:
        raise MutateError(f"no purchase order {params.get('purchase_order_id')!r}")
    if po["Status"] not in DELETABLE:
        raise MutateError(f"purchase order is {po['Status']}, expected one of {sorted(DELETABLE)}")
    po.update(Status="DELETED", UpdatedDateUTC=now())
    return {"purchase_order_id": po["PurchaseOrderID"], "status": "DELETED"}
