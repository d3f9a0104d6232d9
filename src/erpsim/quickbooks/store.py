"""The in-memory QBO company: records by entity and Id, id sequences, tombstones, replay store.

Records are kept in their wire shape (JSON keys = XSD element names, quickbooks.md §Entities) with null
properties never stored, so reads and queries return them as they are. Amounts are Decimal.
MetaData times are rendered in the company's time zone with its offset (QBO returns local times
with an offset, quickbooks.md §Dates and times); `updated` keeps each record's LastUpdatedTime as epoch
seconds for fast filtering. Transactions (PurchaseOrder, Bill, BillPayment) share one Id sequence,
as QBO transaction ids are unique across transaction types.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from erpsim.core.clock import Clock

ENTITIES = (
    "Vendor",
    "PurchaseOrder",
    "Bill",
    "BillPayment",
    "Account",
    "TaxCode",
    "TaxRate",
    "Term",
    "CompanyInfo",
    "Item",
)
# Lower-case names used in resource paths (quickbooks.md §Hosts and URLs: `/bill`, `/vendor`,
# `/purchaseorder`, ...).
PATH_ENTITIES = {name.lower(): name for name in ENTITIES}
TRANSACTIONS = frozenset({"PurchaseOrder", "Bill", "BillPayment"})
# CDC does not support TaxCode or TaxRate (quickbooks.md §Change data capture).
CDC_ENTITIES = frozenset(ENTITIES) - {"TaxCode", "TaxRate"}
COMPANY_TZ = ZoneInfo("America/Los_Angeles")


def ref(value: str, name: str | None = None) -> dict[str, str]:
    """A reference object `{"value": Id, "name": display}` (quickbooks.md §Entities)."""
    return {"value": value, "name": name} if name is not None else {"value": value}


def strip_nulls(value: Any) -> Any:
    """Drop None members recursively: QBO omits null properties."""
    if isinstance(value, dict):
        return {k: strip_nulls(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [strip_nulls(v) for v in value]
    return value


@dataclass
class Tombstone:
    id: str
    deleted_at: float


class QboStore:
    """All records of one realm, plus what CDC and `requestid` replay need."""

    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self.records: dict[str, dict[str, dict[str, Any]]] = {name: {} for name in ENTITIES}
        self.updated: dict[str, dict[str, float]] = {name: {} for name in ENTITIES}
        self.tombstones: dict[str, dict[str, Tombstone]] = {name: {} for name in ENTITIES}
        self.voided: set[str] = set()
        self.replays: dict[str, tuple[int, bytes]] = {}
        self._sequences: dict[str, int] = {}
        # created earlier in the running batch (quickbooks.md §Batch requests)
        self.hidden: set[tuple[str, str]] = set()
        self.bill_docs: dict[tuple[str, str], str] = {}  # (vendor id, DocNumber) -> bill id
        self.po_billed: dict[str, Decimal] = {}  # purchase order id -> amount of bill lines linked to it
        # Preferences.AccountingInfoPrefs.BookCloseDate (erpsim.quickbooks.periods); None: books open
        self.book_close_date: date | None = None
        self.book_close_version = 0

    # ---- time ---------------------------------------------------------------------------------
    def stamp(self, when: float | None = None) -> str:
        """A MetaData time: ISO 8601 in the company time zone with its offset."""
        moment = datetime.fromtimestamp(self.clock.time() if when is None else when, COMPANY_TZ)
        return moment.isoformat(timespec="seconds")

    def response_time(self) -> str:
        """The `time` member of responses: company-local ISO time with milliseconds."""
        return datetime.fromtimestamp(self.clock.time(), COMPANY_TZ).isoformat(timespec="milliseconds")

    def today(self) -> str:
        return self.date_of(self.clock.time()).isoformat()

    def date_of(self, epoch: float) -> date:
        """The company-local calendar date of an instant."""
        return datetime.fromtimestamp(epoch, COMPANY_TZ).date()

    # ---- records ------------------------------------------------------------------------------
    def next_id(self, entity: str) -> str:
        group = "txn" if entity in TRANSACTIONS else entity
        self._sequences[group] = self._sequences.get(group, 0) + 1
        return str(self._sequences[group])

    def insert(
        self,
        entity: str,
        body: dict[str, Any],
        *,
        created: float | None = None,
        updated: float | None = None,
        ident: str | None = None,
    ) -> dict[str, Any]:
        """Store a new record with Id, SyncToken "0", domain, sparse and MetaData."""
        created = self.clock.time() if created is None else created
        updated = created if updated is None else updated
        record_id = ident or self.next_id(entity)
        record: dict[str, Any] = {"Id": record_id, "SyncToken": "0", "domain": "QBO", "sparse": False}
        record.update(strip_nulls(body))
        record["MetaData"] = {"CreateTime": self.stamp(created), "LastUpdatedTime": self.stamp(updated)}
        self.records[entity][record_id] = record
        self.updated[entity][record_id] = updated
        return record

    def touch(self, entity: str, record: dict[str, Any]) -> None:
        """Mark a record changed: SyncToken + 1 and LastUpdatedTime = now
        (quickbooks.md §Updates and SyncToken)."""
        now = self.clock.time()
        record["SyncToken"] = str(int(record["SyncToken"]) + 1)
        record["MetaData"]["LastUpdatedTime"] = self.stamp(now)
        self.updated[entity][record["Id"]] = now

    def get(self, entity: str, ident: Any) -> dict[str, Any] | None:
        key = str(ident)
        if (entity, key) in self.hidden:
            return None
        return self.records[entity].get(key)

    def delete(self, entity: str, ident: str) -> None:
        self.records[entity].pop(ident, None)
        self.updated[entity].pop(ident, None)
        self.tombstones[entity][ident] = Tombstone(ident, self.clock.time())

    def active(self, entity: str) -> list[dict[str, Any]]:
        return [r for r in self.records[entity].values() if r.get("Active", True)]

    def counts(self) -> dict[str, int]:
        return {name: len(self.records[name]) for name in ENTITIES}
