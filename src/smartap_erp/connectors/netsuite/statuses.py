"""NetSuite transaction status as SuiteQL answers it: a one-letter code, read back to the UI label.

SuiteQL's `transaction.status` is a single character per transaction type (Tim Dietrich, "NetSuite SuiteQL
transaction statuses", 2020: the values are characters), not the label the UI and the record API show; the
letters are those of the saved-search status filter codes (`VendBill:A` Open, `VendBill:B` Paid In Full,
`VendBill:C` Cancelled, `VendBill:D` Pending Approval, `VendBill:E` Rejected; `PurchOrd:A`-`H`; Prolecto's
"NetSuite transaction internal status list"; UNCERTAIN beyond Open and Paid In Full, netsuite-connector.md
§Record fields). `status_label(row)` accepts the letter, the `VendBill:B` form a saved search writes, or a
label (older data), and answers the lower-case label; the duplicate look-up (duplicates.py), the
reconciliation read (reconcile.py) and REST-mode payment status (payments.py) all read it here.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

STATUS_CODES: dict[str, dict[str, str]] = {
    "PurchOrd": {
        "A": "pending supervisor approval",
        "B": "pending receipt",
        "C": "rejected by supervisor",
        "D": "partially received",
        "E": "pending billing/partially received",
        "F": "pending bill",
        "G": "fully billed",
        "H": "closed",
    },
    "VendBill": {
        "A": "open",
        "B": "paid in full",
        "C": "cancelled",
        "D": "pending approval",
        "E": "rejected",
    },
}
DEAD_BILL = frozenset({"cancelled", "rejected"})


def status_label(row: Mapping[str, Any], kind: str | None = None) -> str:
    """The lower-case UI label of a SuiteQL transaction row's `status` (`kind`: the row's `type`)."""
    raw = str(row.get("status") or "").strip()
    code = raw.split(":")[-1]  # "VendBill:B" as a saved search writes it, or "B"
    return STATUS_CODES.get(kind or str(row.get("type") or ""), {}).get(code, raw.lower())
