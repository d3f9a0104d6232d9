"""Records deleted in the simulated NetSuite account, and SuiteQL's `deletedrecord` table over them.

A person deleting a vendor, purchase order or vendor bill removes it from every read (record API,
RESTlets, SuiteQL `vendor` / `transaction`); NetSuite keeps a line in its deleted-records log (record
type, internal id, name, external id, date deleted: what SOAP `getDeleted` returns), which SuiteQL reads
as `deletedrecord` (columns `recordid`, `type`, `name`, `externalid`, `deleteddate`; names UNCERTAIN, see
connectors/netsuite/deletions.py). A record others depend on cannot be deleted: a vendor with
transactions, a bill with payments applied ("This record cannot be deleted because it has dependent
records.").

    {"op": "delete_vendor", "id": "105"}
    {"op": "delete_purchase_order", "id": "1003"}
    {"op": "delete_bill", "bill_id": "1010"}        or "external_id"
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from erpsim.core.simulator import MutateError, MutateOp
from erpsim.netsuite.store import NetSuiteStore, Record

# record type (store key) -> the deleted-records log's type id
LOG_TYPE = {"vendor": "vendor", "purchaseOrder": "purchaseorder", "vendorBill": "vendorbill"}
COLUMNS = "recordid type name externalid deleteddate"
DEPENDENT = "This record cannot be deleted because it has dependent records."


def deleted_rows(store: NetSuiteStore) -> list[Record]:
    """The `deletedrecord` rows (the SuiteQL engine renders them like any table)."""
    return [dict(row) for row in store.deleted]


def delete(store: NetSuiteStore, record_type: str, record: Record) -> Record:
    """Remove `record` and log it as deleted now."""
    store.records[record_type].pop(record["id"], None)
    row = {
        "recordid": record["id"],
        "type": LOG_TYPE[record_type],
        "name": record.get("companyName") or record.get("tranId") or record["id"],
        "externalid": record.get("externalId"),
        "deleteddate": store.now(),
    }
    store.deleted.append(row)
    return row


def _has_transactions(store: NetSuiteStore, vendor_id: str) -> bool:
    return any(
        (txn.get("entity") or {}).get("id") == vendor_id
        for kind in ("purchaseOrder", "vendorBill", "vendorPayment")
        for txn in store.records[kind].values()
    )


def deletion_ops(
    store: NetSuiteStore, find_bill: Callable[[dict[str, Any]], Record]
) -> Mapping[str, MutateOp]:
    def record(record_type: str, params: dict[str, Any]) -> Record:
        found = store.get(record_type, str(params.get("id", "")))
        if found is None:
            raise MutateError(f"no {record_type} with id {params.get('id')!r}")
        return found

    def delete_vendor(params: dict[str, Any]) -> dict[str, Any]:
        vendor = record("vendor", params)
        if _has_transactions(store, vendor["id"]):
            raise MutateError(DEPENDENT)
        return {"deleted": delete(store, "vendor", vendor)["recordid"]}

    def delete_purchase_order(params: dict[str, Any]) -> dict[str, Any]:
        po = record("purchaseOrder", params)
        return {"deleted": delete(store, "purchaseOrder", po)["recordid"]}

    def delete_bill(params: dict[str, Any]) -> dict[str, Any]:
        bill = find_bill(params)
        if store.payments_of(bill["id"]):
            raise MutateError(DEPENDENT)
        return {"deleted": delete(store, "vendorBill", bill)["recordid"]}

    return {
        "delete_vendor": delete_vendor,
        "delete_purchase_order": delete_purchase_order,
        "delete_bill": delete_bill,
    }
