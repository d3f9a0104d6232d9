"""Lock dates in the Xero simulator: `Organisation.PeriodLockDate` and `EndOfYearLockDate`.

Xero's help ("Set and work with lock dates"): users cannot add or edit transactions dated on or before a
lock date, but can still save DRAFT bills and submit them for approval (SUBMITTED). So a bill created or
moved to AUTHORISED with a `Date` on or before either date is refused with the ValidationErrors message
integrators quote: "The document date cannot be before the period lock date, currently set at
30-Nov-2018" (or "... the end of year lock date ..."; sync/error_kinds.py); DRAFT and SUBMITTED bills
are taken. Xero lets advisers past the period lock date when it is set "for all users except advisers";
the simulated API user is not an adviser, so both dates bind (UNCERTAIN for a real adviser login).
Both dates are served on `GET /Organisation` (rendered `/Date(ms+0000)/` like every document date) and
set by the control endpoint:

    {"op": "set_lock_date", "date": "2024-06-30" | null, "kind"?: "period" | "end_of_year",
     "tenant_id"?: "<tenant>"}
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from erpsim.core.simulator import MutateError
from erpsim.xero.store import Org, Record

FIELDS = {"period": "PeriodLockDate", "end_of_year": "EndOfYearLockDate"}
_WORDS = {"PeriodLockDate": "period lock date", "EndOfYearLockDate": "end of year lock date"}
UNLOCKED_STATUSES = frozenset({"DRAFT", "SUBMITTED"})  # saved but not posted: a lock date allows them


def lock_error(org: Org, status: str, day: date) -> str | None:
    """Xero's refusal of a bill with `status` dated `day`, or None when its lock dates allow it."""
    if status in UNLOCKED_STATUSES:
        return None
    for key in ("EndOfYearLockDate", "PeriodLockDate"):  # the end of year date is named first
        locked = org.organisation.get(key)
        if isinstance(locked, date) and day <= locked:
            return (
                f"The document date cannot be before the {_WORDS[key]}, currently set at "
                f"{locked.strftime('%d-%b-%Y')}"
            )
    return None


def check_invoice(org: Org, invoice: Record, errors: list[str]) -> None:
    """Add the lock-date refusal of a new or updated invoice to `errors` (invoices.py)."""
    day = invoice.get("Date")
    if isinstance(day, date) and (message := lock_error(org, str(invoice.get("Status")), day)):
        errors.append(message)


def set_lock_date(org_of: Callable[[dict[str, Any]], Org]) -> Callable[[dict[str, Any]], dict[str, Any]]:
    def op(params: dict[str, Any]) -> dict[str, Any]:
        org = org_of(params)
        kind = str(params.get("kind") or "period")
        if kind not in FIELDS:
            raise MutateError(f"kind must be one of {sorted(FIELDS)}, not {kind!r}")
        value = params.get("date")
        try:
            day = None if value is None else date.fromisoformat(str(value))
        except ValueError:
            raise MutateError(f"date must be YYYY-MM-DD or null, not {value!r}") from None
        if day is None:
            org.organisation.pop(FIELDS[kind], None)
        else:
            org.organisation[FIELDS[kind]] = day
        return {FIELDS[kind]: value}

    return op
