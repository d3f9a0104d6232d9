"""The in-memory NetSuite account: records by type and internal id, status tables, derived amounts.

Records are plain dicts in one internal form (camelCase field ids as in netsuite-connector.md §Record fields,
references as `{"id", "refName"}`, amounts as Decimal, dates as `date`, `lastModifiedDate` as an aware UTC
datetime); `shapes.py` renders them for the RESTlet contract, the REST record API and SuiteQL. Entities
(vendors) and transactions (purchase orders, vendor bills, vendor payments) each share one internal-id
sequence, as NetSuite internal ids are unique across entity and transaction types. Bill totals and
`amountRemaining` are derived from lines and applied payments, never stored twice. Seeding lives in `seed.py`;
this module has no randomness.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from erpsim.core.clock import Clock

RECORD_TYPES = (
    "vendor",
    "purchaseOrder",
    "vendorBill",
    "vendorPayment",
    "account",
    "taxCode",
    "item",
    "subsidiary",
    "currency",
    "term",
)
ENTITY_TYPES = frozenset({"vendor"})
TRANSACTION_TYPES = frozenset({"purchaseOrder", "vendorBill", "vendorPayment"})

# Purchase order status text -> standard status (UI labels; the same table as the shipped RESTlets,
# netsuite/restlets/smartap_txn_lib.js, and docs/netsuite.md).
PO_STATUS_TEXT = {
    "Pending Supervisor Approval": "draft",
    "Pending Receipt": "open",
    "Rejected by Supervisor": "cancelled",
    "Partially Received": "open",
    "Pending Billing/Partially Received": "open",
    "Pending Bill": "open",
    "Fully Billed": "closed",
    "Closed": "closed",
}
# Vendor bill statuses (UI labels, netsuite-connector.md §Record fields [N13]).
BILL_STATUS_TEXT = {
    "open": "Open",
    "paid": "Paid In Full",
    "pendingApproval": "Pending Approval",
    "cancelled": "Cancelled",
    "rejected": "Rejected",
}
# SuiteQL answers `transaction.status` as a one-letter code, not the UI label (Tim Dietrich, "NetSuite
# SuiteQL transaction statuses": the values are characters; letters per Prolecto's transaction status
# list, `VendBill:A` Open ... `PurchOrd:H` Closed, the saved-search filter codes; UNCERTAIN for SuiteQL
# beyond A/B, netsuite-connector.md §Record fields).
BILL_STATUS_CODE = {"open": "A", "paid": "B", "cancelled": "C", "pendingApproval": "D", "rejected": "E"}
PO_STATUS_CODE = {
    "Pending Supervisor Approval": "A",
    "Pending Receipt": "B",
    "Rejected by Supervisor": "C",
    "Partially Received": "D",
    "Pending Billing/Partially Received": "E",
    "Pending Bill": "F",
    "Fully Billed": "G",
    "Closed": "H",
}
ZERO = Decimal("0.00")

Record = dict[str, Any]


def ref(record: Record | None, name_field: str = "name") -> dict[str, str] | None:
    """A reference `{"id", "refName"}` to `record` (netsuite-connector.md §REST record API: references are
    objects with an id)."""
    if record is None:
        return None
    return {"id": record["id"], "refName": str(record.get(name_field) or record["id"])}


class NetSuiteStore:
    """All records of one simulated NetSuite account."""

    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self.records: dict[str, dict[str, Record]] = {name: {} for name in RECORD_TYPES}
        self._sequences: dict[str, int] = {"entity": 100, "transaction": 1000, "other": 0}
        self.deleted: list[Record] = []  # the deleted-records log (deletions.py)

    # ---- ids and time -------------------------------------------------------------------------
    def next_id(self, record_type: str) -> str:
        group = (
            "entity"
            if record_type in ENTITY_TYPES
            else "transaction"
            if record_type in TRANSACTION_TYPES
            else "other"
        )
        self._sequences[group] += 1
        return str(self._sequences[group])

    def now(self) -> datetime:
        # NetSuite keeps lastModifiedDate to the second.
        return self.clock.now().replace(microsecond=0)

    def today(self) -> date:
        return self.clock.now().date()

    # ---- records ------------------------------------------------------------------------------
    def add(self, record_type: str, record: Record) -> Record:
        record.setdefault("id", self.next_id(record_type))
        record.setdefault("lastModifiedDate", self.now())
        self.records[record_type][record["id"]] = record
        return record

    def get(self, record_type: str, internal_id: str) -> Record | None:
        return self.records[record_type].get(internal_id)

    def touch(self, record: Record) -> None:
        record["lastModifiedDate"] = self.now()

    def by_external_id(self, record_type: str, external_id: str) -> Record | None:
        for record in self.records[record_type].values():
            if record.get("externalId") == external_id:
                return record
        return None

    def ordered(self, record_type: str) -> list[Record]:
        """Records by lastModifiedDate then internal id (the RESTlets' deterministic order)."""
        return sorted(self.records[record_type].values(), key=lambda r: (r["lastModifiedDate"], int(r["id"])))

    def count(self, record_type: str) -> int:
        return len(self.records[record_type])

    # ---- derived transaction amounts ----------------------------------------------------------
    @staticmethod
    def total(txn: Record) -> Decimal:
        """Line amounts plus their tax (`tax1Amt`, vendor bill lines with a tax code)."""
        return sum(
            (Decimal(line["amount"]) + Decimal(line.get("tax1Amt") or 0) for line in txn.get("lines", ())),
            ZERO,
        )

    def payments_of(self, bill_id: str) -> list[tuple[Record, Decimal]]:
        """(vendor payment, amount applied to this bill), oldest payment first."""
        found: list[tuple[Record, Decimal]] = []
        for payment in self.records["vendorPayment"].values():
            for application in payment["apply"]:
                if application["doc"] == bill_id:
                    found.append((payment, application["amount"]))
        return sorted(found, key=lambda pair: (pair[0]["tranDate"], int(pair[0]["id"])))

    def amount_paid(self, bill: Record) -> Decimal:
        return sum((amount for _, amount in self.payments_of(bill["id"])), ZERO)

    def amount_remaining(self, bill: Record) -> Decimal:
        if bill["statusRef"] in ("cancelled", "rejected"):
            return ZERO
        return self.total(bill) - self.amount_paid(bill)

    def refresh_bill_status(self, bill: Record) -> None:
        """Open <-> Paid In Full follows amountRemaining (netsuite-connector.md §Record fields: payment
        status)."""
        if bill["statusRef"] not in ("open", "paid"):
            return
        bill["statusRef"] = "paid" if self.amount_remaining(bill) <= 0 else "open"
