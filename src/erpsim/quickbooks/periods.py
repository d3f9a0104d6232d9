"""Closing the books in the QuickBooks simulator: `Preferences.AccountingInfoPrefs.BookCloseDate`.

QuickBooks Online has one closing date per company ("Close the books" in Company Settings, exposed as
`Preferences.AccountingInfoPrefs.BookCloseDate`, read-only through the API). A bill dated on or
before it is refused with fault 6210 "Account Period Closed" and the Detail integrators quote
(sync/error_kinds.py, erp-api-facts.md §1.11). The simulator serves `GET .../preferences` with that
date, and the control endpoint sets it: `POST /_sim/mutate {"op": "set_lock_date", "date":
"2024-03-31"}` (`null` opens the books again). `check_open` is called for every bill write.
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from erpsim.core.jsonutil import SimJSONResponse
from erpsim.core.simulator import MutateError, MutateOp
from erpsim.quickbooks import faults as f
from erpsim.quickbooks.store import QboStore

if TYPE_CHECKING:
    from erpsim.quickbooks.sim import QuickBooksSim

PREFERENCES_ID = "1"


def period_closed() -> f.QboFault:
    return f.QboFault(
        "6210",
        "Account Period Closed",
        "The account period has closed and the account books cannot be updated through the QBO "
        "Services API. Please use the QBO website to make these changes.",
    )


def check_open(store: QboStore, txn_date: str) -> None:
    """Refuse a transaction dated on or before the company's closing date (fault 6210)."""
    closed = store.book_close_date
    if closed is not None and date.fromisoformat(txn_date) <= closed:
        raise period_closed()


def preferences(store: QboStore) -> dict[str, Any]:
    prefs: dict[str, Any] = {"TrackDepartments": False, "ClassTrackingPerTxn": False}
    if store.book_close_date is not None:
        prefs["BookCloseDate"] = store.book_close_date.isoformat()
    return {
        "Id": PREFERENCES_ID,
        "SyncToken": str(store.book_close_version),
        "domain": "QBO",
        "sparse": False,
        "AccountingInfoPrefs": prefs,
        "MetaData": {"CreateTime": store.stamp(0), "LastUpdatedTime": store.stamp()},
    }


def routes(sim: QuickBooksSim) -> list[Route]:
    async def read(request: Request) -> Response:
        denied = sim.authenticate(request)
        if denied is not None:
            return denied
        body = {"Preferences": preferences(sim.store), "time": sim.store.response_time()}
        return SimJSONResponse(body)

    return [Route("/v3/company/{realmId}/preferences", read, methods=["GET"])]


def mutate_ops(store: QboStore) -> dict[str, MutateOp]:
    def set_lock_date(params: dict[str, Any]) -> dict[str, Any]:
        value = params.get("date")
        try:
            store.book_close_date = None if value is None else date.fromisoformat(str(value))
        except ValueError:
            raise MutateError(f"date must be YYYY-MM-DD or null, not {value!r}") from None
        store.book_close_version += 1
        return {"book_close_date": value}

    return {"set_lock_date": set_lock_date}
