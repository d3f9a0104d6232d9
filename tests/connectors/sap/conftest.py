"""Fixtures of the SAP connector tests: the SAP simulator on loopback and connectors wired to it.

The connector's clock is the simulator's fixed clock and its sleep advances that clock, so backoff
and session timeouts move simulated time, never real time.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import pytest

from erpsim.core import Clock, SimConfig
from erpsim.core.testing import LiveServer, live_server
from erpsim.sap import create_app, credentials
from smartap_erp.connectors.registry import build_connector
from smartap_erp.connectors.sap import SAPConnector
from smartap_erp.domain import ERPInvoice, ERPInvoiceLine
from smartap_erp.http.ratelimit import LimiterRegistry


@dataclass
class Harness:
    server: LiveServer
    clock: Clock
    creds: dict[str, str]
    sleeps: list[float] = field(default_factory=list)

    @property
    def sim(self) -> Any:
        return self.server.sim

    def company(self, db: str = "SBODEMOUS") -> Any:
        return self.sim.companies[db]

    def connector(self, **overrides: Any) -> SAPConnector:
        async def sleep(seconds: float) -> None:
            self.sleeps.append(seconds)
            await self.clock.sleep(seconds)

        connector = build_connector(
            "sap",
            overrides.pop("creds", self.creds),
            base_url=overrides.pop("base_url", self.server.base_url),
            clock=self.clock.time,
            sleep=sleep,
            random=lambda: 0.5,
            limiters=LimiterRegistry(),
            **overrides,
        )
        assert isinstance(connector, SAPConnector)
        return connector

    def log(self, prefix: str = "/b1s/") -> list[Any]:
        return [r for r in self.sim.stats.log if r.path.startswith(prefix)]

    def suppliers(self, db: str = "SBODEMOUS", *, active: bool | None = None) -> list[dict[str, Any]]:
        rows = [bp for bp in self.company(db).records("BusinessPartners") if bp["CardType"] == "cSupplier"]
        if active is None:
            return rows
        return [bp for bp in rows if (bp["Frozen"] == "tNO" and bp["Valid"] == "tYES") == active]

    def bills(self, card: str, number: str) -> list[dict[str, Any]]:
        return [
            d
            for d in self.company().records("PurchaseInvoices")
            if d["CardCode"] == card and d["NumAtCard"] == number
        ]


def make_harness(clock: Clock, **options: Any) -> Iterator[Harness]:
    config = SimConfig(clock=clock, **{"vendors": 60, "purchase_orders": 25, "bills": 10, **options})
    with live_server(create_app(config)) as server:
        yield Harness(server, clock, credentials(config))


@pytest.fixture
def clock() -> Clock:
    return Clock.fixed("2024-06-03T12:00:00+00:00")


@pytest.fixture
def harness(clock: Clock) -> Iterator[Harness]:
    yield from make_harness(clock)


def service_invoice(
    vendor: str, number: str, amounts: tuple[str, ...] = ("120.00", "30.50"), **extra: Any
) -> ERPInvoice:
    lines = tuple(
        ERPInvoiceLine(description=f"line {i}", amount=Decimal(a), account_code="_SYS00000000610")
        for i, a in enumerate(amounts)
    )
    total = sum((line.amount for line in lines), Decimal(0))
    return ERPInvoice(
        invoice_number=number,
        vendor_id=vendor,
        invoice_date=dt.date(2024, 6, 1),
        due_date=dt.date(2024, 7, 1),
        currency="USD",
        total_amount=total,
        line_items=lines,
        smartap_invoice_id=f"inv-{number}",
        **extra,
    )


def open_item_orders(harness: Harness) -> list[dict[str, Any]]:
    return [
        d
        for d in harness.company().records("PurchaseOrders")
        if d["DocumentStatus"] == "bost_Open" and d["DocType"] == "dDocument_Items"
    ]


def po_invoice(po: dict[str, Any], number: str, smartap_invoice_id: str | None = None) -> ERPInvoice:
    """An invoice for every line of an item PO, each line naming its PO line."""
    lines = tuple(
        ERPInvoiceLine(
            description=pl["ItemDescription"],
            quantity=pl["Quantity"],
            unit_price=pl["Price"],
            amount=pl["LineTotal"],
            item_code=pl["ItemCode"],
            po_line_id=str(pl["LineNum"]),
        )
        for pl in po["DocumentLines"]
    )
    return ERPInvoice(
        invoice_number=number,
        vendor_id=po["CardCode"],
        invoice_date=dt.date(2024, 6, 2),
        currency="USD",
        total_amount=po["DocTotal"],
        tax_amount=po["VatSum"],
        line_items=lines,
        purchase_order_id=str(po["DocEntry"]),
        smartap_invoice_id=smartap_invoice_id,
    )
