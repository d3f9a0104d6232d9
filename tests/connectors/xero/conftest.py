"""Fixtures of the Xero connector tests: the Xero simulator on loopback and a connector wired to it.

The connector's clock is the simulator's fixed clock and its sleep advances that clock, so every
wait (rate limiter, Retry-After, backoff) moves simulated time instead of real time.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pytest

from erpsim.core import Clock, SimConfig
from erpsim.core.testing import LiveServer, live_server
from erpsim.xero import create_app, credentials
from smartap_erp.connectors.registry import build_connector
from smartap_erp.connectors.xero import XeroConnector
from smartap_erp.domain import ERPInvoice, ERPInvoiceLine
from smartap_erp.http.ratelimit import LimiterRegistry
from smartap_erp.http.tokens import MemoryTokenStore, Token


@dataclass
class Harness:
    server: LiveServer
    clock: Clock
    creds: dict[str, str]
    store: MemoryTokenStore
    sleeps: list[float]

    @property
    def sim(self) -> Any:
        return self.server.sim

    def connector(self, **overrides: Any) -> XeroConnector:
        async def sleep(seconds: float) -> None:
            self.sleeps.append(seconds)
            await self.clock.sleep(seconds)

        connector = build_connector(
            "xero",
            overrides.pop("creds", self.creds),
            base_url=self.server.base_url,
            token_store=self.store,
            clock=self.clock.time,
            sleep=sleep,
            random=lambda: 0.5,
            limiters=LimiterRegistry(),
            **overrides,
        )
        assert isinstance(connector, XeroConnector)
        return connector

    def api_log(self) -> list[Any]:
        return [r for r in self.sim.stats.log if r.path.startswith("/api.xro/")]

    def supplier(self) -> str:
        org = self.sim.orgs[self.creds["tenant_id"]]
        return str(
            next(
                c["ContactID"]
                for c in org.contacts.values()
                if c["IsSupplier"] and c["ContactStatus"] == "ACTIVE"
            )
        )


def make_harness(clock: Clock, **options: Any) -> Iterator[Harness]:
    config = SimConfig(clock=clock, **{"vendors": 30, "purchase_orders": 20, "bills": 20, **options})
    creds = credentials(config)
    token = Token(
        creds["access_token"], creds["refresh_token"], dt.datetime.fromtimestamp(clock.time() + 1800, dt.UTC)
    )
    with live_server(create_app(config)) as server:
        yield Harness(server, clock, creds, MemoryTokenStore(token), [])


@pytest.fixture
def clock() -> Clock:
    return Clock.fixed("2024-06-03T12:00:00+00:00")


@pytest.fixture
def harness(clock: Clock) -> Iterator[Harness]:
    yield from make_harness(clock)


def invoice_for(
    vendor_id: str,
    number: str,
    *,
    account: str = "429",
    tax: str | None = "TAX001",
    smartap_id: str | None = None,
) -> ERPInvoice:
    net = Decimal("200.50")
    tax_amount = Decimal("16.54") if tax == "TAX001" else Decimal("0")
    return ERPInvoice(
        invoice_number=number,
        vendor_id=vendor_id,
        invoice_date=dt.date(2024, 5, 1),
        due_date=dt.date(2024, 5, 31),
        currency="USD",
        total_amount=net + tax_amount,
        tax_amount=tax_amount,
        line_items=(
            ERPInvoiceLine(
                description="Office supplies",
                quantity=Decimal(2),
                unit_price=Decimal("100.25"),
                amount=net,
                account_code=account,
                tax_code=tax,
            ),
        ),
        smartap_invoice_id=smartap_id or f"inv-{number}",
    )
