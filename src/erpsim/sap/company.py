"""One simulated SAP Business One company database: its records, numbering and reference data.

A Service Layer server hosts several company databases; a session is bound to one of them at
login (`CompanyDB`, sap.md §Login and session cookies). Each `Company` keeps its entity sets as lists of dicts
in their wire shape (the `$metadata` names of sap.md §Entities, §Accounts and tax codes, enums stored by name
such as `cSupplier`, `bost_Open`, `tYES`), money as Decimal, dates as `YYYY-MM-DD` text and times as
`HH:MM:SS` text, which is how `UpdateDate` / `UpdateTime` come back from the v1 API. DocEntry numbering is per
object table (OPOR, OPCH, OVPM and ORCT each have their own), and DocNum comes from a per-object series.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from erpsim.core.clock import Clock

CENT = Decimal("0.01")
# First DocNum of the primary numbering series of each object (illustrative values).
SERIES_START = {
    "PurchaseOrders": 4000,
    "PurchaseInvoices": 7000,
    "VendorPayments": 9000,
    "IncomingPayments": 3000,
}


@dataclass
class Company:
    """A company database: name, localisation, and its entity sets."""

    db: str
    name: str
    country: str
    currency: str
    clock: Clock
    sets: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    index: dict[str, dict[Any, dict[str, Any]]] = field(default_factory=dict)
    next_entry: dict[str, int] = field(default_factory=dict)
    manually_closed: set[int] = field(default_factory=set)  # A/P invoices closed by hand, not by payment

    @property
    def uses_vat(self) -> bool:
        """VAT localisations tax lines with `VatGroup`, US/CA with `TaxCode`
        (sap.md §Accounts and tax codes)."""
        return self.country not in ("US", "CA")

    def add(self, set_name: str, record: dict[str, Any], key: str) -> dict[str, Any]:
        self.sets.setdefault(set_name, []).append(record)
        self.index.setdefault(set_name, {})[record[key]] = record
        return record

    def get(self, set_name: str, key: Any) -> dict[str, Any] | None:
        return self.index.get(set_name, {}).get(key)

    def records(self, set_name: str) -> list[dict[str, Any]]:
        return self.sets.setdefault(set_name, [])

    def allocate(self, set_name: str) -> tuple[int, int]:
        """The next (DocEntry, DocNum) of a document object."""
        entry = self.next_entry.get(set_name, 1)
        self.next_entry[set_name] = entry + 1
        return entry, SERIES_START.get(set_name, 1) + entry - 1

    def stamp(self, record: dict[str, Any], when: datetime | None = None) -> None:
        """Set UpdateDate / UpdateTime (date and time are separate fields, sap.md §Query options)."""
        moment = when or self.clock.now()
        record["UpdateDate"] = moment.strftime("%Y-%m-%d")
        record["UpdateTime"] = moment.strftime("%H:%M:%S")

    def today(self) -> str:
        return self.clock.now().strftime("%Y-%m-%d")

    def terms_days(self, group: int | None) -> int:
        terms = self.get("PaymentTermsTypes", group) if group is not None else None
        return int(terms["NumberOfAdditionalDays"]) if terms else 30

    def applied_to(self, invoice_entry: int) -> Decimal:
        """Σ SumApplied of non-cancelled vendor payments on an A/P invoice (sap.md §Paid or not)."""
        total = Decimal("0")
        for payment in self.records("VendorPayments"):
            if payment.get("Cancelled") == "tYES":
                continue
            for line in payment.get("PaymentInvoices", []):
                if line.get("DocEntry") == invoice_entry and line.get("InvoiceType") == "it_PurchaseInvoice":
                    total += Decimal(line["SumApplied"])
        return total


def due_date(doc_date: str, days: int) -> str:
    start = datetime.strptime(doc_date, "%Y-%m-%d")  # noqa: DTZ007 (a calendar date, no time zone)
    return (start + timedelta(days=days)).strftime("%Y-%m-%d")
