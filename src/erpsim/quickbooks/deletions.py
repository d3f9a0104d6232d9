"""Purchase-order changes a person makes in QuickBooks, for `POST /_sim/mutate`:

    {"op": "close_purchase_order", "po_id": "12"}    POStatus Closed, ManuallyClosed true
    {"op": "delete_purchase_order", "po_id": "12"}   gone: the query never returns it again, CDC lists
                                                    it as {"Id", "status": "Deleted", "MetaData"}

Both bump what they change the way the real company does (quickbooks.md §Change data capture: deleted
objects come back from CDC with status Deleted and only Id / MetaData [Q12]). Vendors are never deleted,
only deactivated (`deactivate_vendor`); bills are voided or deleted by `void_bill` / `delete_bill`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from erpsim.core.simulator import MutateError, MutateOp
from erpsim.quickbooks.store import QboStore


def _purchase_order(store: QboStore, params: dict[str, Any]) -> dict[str, Any]:
    ident = params.get("po_id")
    if ident is None:
        raise MutateError("po_id is required")
    record = store.records["PurchaseOrder"].get(str(ident))
    if record is None:
        raise MutateError(f"no PurchaseOrder with Id {ident}")
    return record


def deletion_ops(store: QboStore) -> Mapping[str, MutateOp]:
    def close_purchase_order(params: dict[str, Any]) -> dict[str, Any]:
        po = _purchase_order(store, params)
        po["POStatus"], po["ManuallyClosed"] = "Closed", True
        store.touch("PurchaseOrder", po)
        return {"id": po["Id"], "POStatus": "Closed", "SyncToken": po["SyncToken"]}

    def delete_purchase_order(params: dict[str, Any]) -> dict[str, Any]:
        po = _purchase_order(store, params)
        store.delete("PurchaseOrder", po["Id"])
        return {"Id": po["Id"], "status": "Deleted"}

    return {"close_purchase_order": close_purchase_order, "delete_purchase_order": delete_purchase_order}
