"""Dispatch of a write (`POST /v3/company/{realmId}/{entity}[?operation=...]`) to the entity's rules.

Without `operation`, a body with an `Id` is an update (sparse when `"sparse": true`), otherwise a
create (quickbooks.md §Hosts and URLs, §Updates and SyncToken). What each entity supports here: Vendor
create/update (vendors are never deleted, only deactivated, quickbooks.md §Entities); Bill
create/update/delete (the QBO API has no void for Bill; voiding is a UI action, see the `void_bill` mutate
op); BillPayment create/delete. Other entities are read-only in this simulator (the real API can create some
of them, e.g. Account and PurchaseOrder): such writes get Fault 500 Unsupported Operation.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from erpsim.quickbooks import faults as f
from erpsim.quickbooks.bills import create_bill, delete_bill, update_bill
from erpsim.quickbooks.payments import create_payment, delete_payment
from erpsim.quickbooks.store import QboStore
from erpsim.quickbooks.vendors import create_vendor, update_vendor

Write = Callable[[QboStore, dict[str, Any], bool], dict[str, Any]]

_WRITES: dict[tuple[str, str], Write] = {
    ("Vendor", "create"): lambda store, body, dup: create_vendor(store, body),
    ("Vendor", "update"): lambda store, body, dup: update_vendor(store, body),
    ("Bill", "create"): lambda store, body, dup: create_bill(store, body, allow_duplicate=dup),
    ("Bill", "update"): lambda store, body, dup: update_bill(store, body, allow_duplicate=dup),
    ("Bill", "delete"): lambda store, body, dup: delete_bill(store, body),
    ("BillPayment", "create"): lambda store, body, dup: create_payment(store, body),
    ("BillPayment", "delete"): lambda store, body, dup: delete_payment(store, body),
}


def write_entity(
    store: QboStore, entity: str, operation: str | None, body: dict[str, Any], *, allow_duplicate: bool
) -> dict[str, Any]:
    """Apply one write and return the entity as the response carries it."""
    op = (operation or ("update" if body.get("Id") not in (None, "") else "create")).lower()
    write = _WRITES.get((entity, op))
    if write is None:
        raise f.unsupported_operation(f"{op} on {entity}")
    return write(store, body, allow_duplicate)
