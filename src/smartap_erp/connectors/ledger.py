"""What an ERP says about its own books before a bill is written: closed accounting periods
(`PeriodLocks`, read by each connector's `periods.py`) and bills it already holds for a vendor and
invoice number (`ExistingBill`, found by each connector's `duplicates.py`).

The four ERPs describe closed periods in two ways, both kept here: a lock date, on or before which
nothing posts (QuickBooks `Preferences.AccountingInfoPrefs.BookCloseDate`, Xero's
`Organisation.PeriodLockDate` / `EndOfYearLockDate`), and a list of accounting periods each open or
closed, where a date no period covers cannot post either (SAP Business One posting periods, NetSuite
accounting periods). `PeriodLocks.closure(day)` says why a day is closed (None: open) and
`first_open_day(day)` finds the first day on or after it that is open (None: there is none).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal


@dataclass(frozen=True)
class Period:
    """One accounting period of the ERP: its days (both ends included) and whether it takes bills."""

    name: str
    start: dt.date
    end: dt.date
    closed: bool
    status: str = ""  # the ERP's own word for its state ("locked", "closed", "ltLocked", ...)


@dataclass(frozen=True)
class PeriodLocks:
    """The ERP's closed periods as read at `read_at`."""

    erp: str
    read_at: dt.datetime
    lock_date: dt.date | None = None  # every day on or before it is closed
    lock_source: str = "lock date"  # what the lock date is called in the ERP, for messages
    periods: tuple[Period, ...] = field(default=())
    # True when the ERP lists its periods and refuses a date none of them covers (SAP, NetSuite).
    bounded: bool = False

    def closure(self, day: dt.date) -> str | None:
        """Why `day` cannot take a bill, or None when it can."""
        if self.lock_date is not None and day <= self.lock_date:
            return f"{day.isoformat()} is on or before the {self.lock_source} {self.lock_date.isoformat()}"
        covering = [p for p in self.periods if p.start <= day <= p.end]
        closed = [p for p in covering if p.closed]
        if closed:
            period = closed[0]
            return f"{day.isoformat()} is in the {period.status or 'closed'} period {period.name}"
        if self.bounded and self.periods and not covering:
            return f"{day.isoformat()} is in no accounting period of the ERP"
        return None

    def first_open_day(self, day: dt.date) -> dt.date | None:
        """The first day on or after `day` that is open; None when the ERP has no later open day."""
        candidate = day
        for _ in range(len(self.periods) + 2):  # each step passes the lock date or at least one period
            if self.lock_date is not None and candidate <= self.lock_date:
                candidate = self.lock_date + dt.timedelta(days=1)
                continue
            covering = [p for p in self.periods if p.start <= candidate <= p.end]
            closed = [p.end for p in covering if p.closed]
            if closed:
                candidate = max(closed) + dt.timedelta(days=1)
                continue
            if self.bounded and self.periods and not covering:
                later = [p.start for p in self.periods if p.start > candidate]
                if not later:
                    return None
                candidate = min(later)
                continue
            return candidate
        return None


@dataclass(frozen=True)
class ExistingBill:
    """A bill the ERP already holds, found by vendor and invoice number."""

    bill_id: str
    vendor_id: str
    invoice_number: str
    total: Decimal
    currency: str | None  # None: the ERP did not say (treated as the company's currency by the caller)
    number: str | None = None  # the ERP's own document number, when it differs from invoice_number
    status: str | None = None


def bill_key(vendor_id: str, invoice_number: str) -> tuple[str, str]:
    """How a bill is matched to an invoice: the vendor's ERP id (case-insensitive: Xero GUIDs come back
    in either case) and the invoice number exactly."""
    return (vendor_id.strip().casefold(), invoice_number.strip())


def group_bills(bills: Sequence[ExistingBill]) -> dict[tuple[str, str], list[ExistingBill]]:
    grouped: dict[tuple[str, str], list[ExistingBill]] = {}
    for bill in bills:
        grouped.setdefault(bill_key(bill.vendor_id, bill.invoice_number), []).append(bill)
    return grouped
