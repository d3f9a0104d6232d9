"""What a connector reads for a reconciliation report (issue 16, item 6): the ERP's side of each object
(vendors, purchase orders, bills; payments come from the bills' paid amounts), reduced to the few
fields a comparison needs. Each ERP's reader lives in `connectors/<erp>/reconcile.py` as
`read_snapshot(connector) -> ERPSnapshot` and asks only for those fields through the connector's own
HTTP client and paging (QuickBooks `SELECT COUNT(*)` and column lists, Xero `summaryOnly` pages of
1,000, SAP `$select`, NetSuite SuiteQL columns), so the number of requests grows with the number of
records divided by the page size, never with one request per record. `snapshot_reader(erp)` finds
the reader, or says that ERP has none. `RequestMeter` counts every request the connector's HTTP
client sends (retries included) and stops the run with `ReconciliationBudgetError` once it would
exceed the budget.
"""

from __future__ import annotations

import importlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum
from typing import Any

import httpx

from smartap_erp.errors import SmartAPError


class ReconcileObject(StrEnum):
    VENDORS = "vendors"
    PURCHASE_ORDERS = "purchase_orders"
    BILLS = "bills"
    PAYMENTS = "payments"


@dataclass(frozen=True)
class ERPRow:
    """One ERP record as a reconciliation sees it. `status`: vendors active | inactive, purchase orders
    a `PurchaseOrderStatus` value, bills open | voided. Bills carry `paid` (total less what is due)
    and `paid_status` (a `PaymentStatus` value)."""

    key: str
    label: str | None
    status: str
    amount: Decimal | None = None
    currency: str | None = None
    paid: Decimal | None = None
    paid_status: str | None = None


@dataclass
class ERPSnapshot:
    """The ERP's rows per object; `objects` names the objects this ERP's reader covers (the others
    are reported as not read, never as "everything missing")."""

    vendors: list[ERPRow] = field(default_factory=list)
    purchase_orders: list[ERPRow] = field(default_factory=list)
    bills: list[ERPRow] = field(default_factory=list)
    objects: frozenset[ReconcileObject] = frozenset(ReconcileObject)

    def rows(self, obj: ReconcileObject) -> list[ERPRow]:
        source = ReconcileObject.BILLS if obj is ReconcileObject.PAYMENTS else obj
        rows: list[ERPRow] = getattr(self, source.value)
        return rows


Reader = Callable[[Any], Awaitable[ERPSnapshot]]


class ReconciliationUnsupportedError(SmartAPError):
    """The connection's ERP has no reconciliation reader."""


class ReconciliationBudgetError(SmartAPError):
    """A run would send more requests to the ERP than its budget allows."""


def snapshot_reader(system: str) -> Reader:
    """`connectors.<system>.reconcile.read_snapshot`, or `ReconciliationUnsupportedError`."""
    try:
        module = importlib.import_module(f"smartap_erp.connectors.{system}.reconcile")
    except ModuleNotFoundError:
        raise ReconciliationUnsupportedError(
            f"reconciliation is not available for {system} connections"
        ) from None
    reader: Reader = module.read_snapshot
    return reader


class RequestMeter:
    """Counts the requests an `httpx.AsyncClient` sends (an event hook) and refuses the one past `budget`."""

    def __init__(self, budget: int) -> None:
        self.budget = budget
        self.count = 0

    async def __call__(self, request: httpx.Request) -> None:
        if self.count >= self.budget:
            raise ReconciliationBudgetError(
                f"reconciliation stopped: it needs more than its budget of {self.budget} requests to the "
                "ERP; nothing was compared"
            )
        self.count += 1

    def attach(self, http: httpx.AsyncClient) -> None:
        http.event_hooks["request"] = [*http.event_hooks.get("request", []), self]
