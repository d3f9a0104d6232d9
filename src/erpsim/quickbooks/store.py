"""The in-memory QBO company: records by entity and Id, id sequences, tombstones, replay store.

Records are kept in their wire shape (JSON keys = XSD element names, quickbooks.md §Entities) with null
properties never stored, so reads and queries return them as they are. Amounts are Decimal.
MetaData times are rendered in the company's time zone with its offset (QBO returns local times
with an offset, quickbooks.md §Dates and times); `updated` keeps each record's LastUpdatedTime as epoch
seconds for fast filtering. Transactions (PurchaseOrder, Bill, BillPayment) share one Id sequence,
as QBO transaction ids are unique across transaction types. For the query indexes
(`erpsim.quickbooks.queryplan`) each entity has a `version` that every insert, touch and delete bumps,
each record its insertion rank, and, once a query asked for it, a list of (LastUpdatedTime, rank, Id)
kept sorted. Records are changed in place by their writers; a change to a property that
`queryplan.GUARDED` names (Active: a QBO deactivation is an update) must be followed by `touch`.
"""

from __future__ import annotations

from bisect import bisect_left, insort
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
        self.version: dict[str, int] = dict.fromkeys(ENTITIES, 0)
        self._rank: dict[str, dict[str, int]] = {name: {} for name in ENTITIES}
        self._ranks = 0
        self._by_updated: dict[str, list[tuple[float, int, str]] | None] = dict.fromkeys(ENTITIES)

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
        ranks = self._rank[entity]
        if record_id in ranks:  # replaced: the dict keeps its place, the index its new time
            self._unindex(entity, record_id)
        else:
            self._ranks += 1
            ranks[record_id] = self._ranks
        self.records[entity][record_id] = record
        self.updated[entity][record_id] = updated
        self._index(entity, record_id)
        return record

    def touch(self, entity: str, record: dict[str, Any]) -> None:
        """Mark a record changed: SyncToken + 1 and LastUpdatedTime = now
        (quickbooks.md §Updates and SyncToken)."""
        now = self.clock.time()
        record["SyncToken"] = str(int(record["SyncToken"]) + 1)
        record["MetaData"]["LastUpdatedTime"] = self.stamp(now)
        self._unindex(entity, record["Id"])
        self.updated[entity][record["Id"]] = now
        self._index(entity, record["Id"])

    def get(self, entity: str, ident: Any) -> dict[str, Any] | None:
        key = str(ident)
        if (entity, key) in self.hidden:
            return None
        return self.records[entity].get(key)

    def delete(self, entity: str, ident: str) -> None:
        self._unindex(entity, ident)
        self.version[entity] += 1
        self.records[entity].pop(ident, None)
        self.updated[entity].pop(ident, None)
        self._rank[entity].pop(ident, None)
        self.tombstones[entity][ident] = Tombstone(ident, self.clock.time())

    # ---- indexes (erpsim.quickbooks.queryplan) -----------------------------------------------
    def rank(self, entity: str, ident: str) -> int:
        """The record's place in insertion order (the order of `records[entity]`)."""
        return self._rank[entity][ident]

    def by_updated(self, entity: str) -> list[tuple[float, int, str]]:
        """(LastUpdatedTime, rank, Id) of every record, sorted; built on first use, then maintained."""
        index = self._by_updated[entity]
        if index is None:
            ranks = self._rank[entity]
            index = sorted((when, ranks[ident], ident) for ident, when in self.updated[entity].items())
            self._by_updated[entity] = index
        return index

    def _index(self, entity: str, ident: str) -> None:
        self.version[entity] += 1
        index = self._by_updated[entity]
        if index is not None:
            insort(index, (self.updated[entity][ident], self._rank[entity][ident], ident))

    def _unindex(self, entity: str, ident: str) -> None:
        index = self._by_updated[entity]
        when = self.updated[entity].get(ident)
        if index is not None and when is not None:
            entry = (when, self._rank[entity][ident], ident)
            at = bisect_left(index, entry)
            if at < len(index) and index[at] == entry:
                del index[at]

    def active(self, entity: str) -> list[dict[str, Any]]:
        return [r for r in self.records[entity].values() if r.get("Active", True)]

    def counts(self) -> dict[str, int]:
        return {name: len(self.records[name]) for name in ENTITIES}
