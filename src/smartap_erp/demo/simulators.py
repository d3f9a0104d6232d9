"""Starting the four simulators for the demo, in this process, each on its own loopback port, and
acting in them as a person would in the ERP (paying a bill) through their `/_sim/` control endpoints.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx

from smartap_erp.domain.enums import ERPSystem

DEMO_SYSTEMS = (ERPSystem.QUICKBOOKS, ERPSystem.XERO, ERPSystem.SAP, ERPSystem.NETSUITE)
NAMES = {
    ERPSystem.QUICKBOOKS: "QuickBooks Online",
    ERPSystem.XERO: "Xero",
    ERPSystem.SAP: "SAP Business One",
    ERPSystem.NETSUITE: "NetSuite",
}
# How each simulator names "pay this bill" and its id parameter (see docs/simulators.md).
_PAY = {
    ERPSystem.QUICKBOOKS: ("pay_bill", "bill_id"),
    ERPSystem.XERO: ("pay_bill", "invoice_id"),
    ERPSystem.SAP: ("pay_invoice", "doc_entry"),
    ERPSystem.NETSUITE: ("pay_bill", "bill_id"),
}


@dataclass
class RunningSimulator:
    system: ERPSystem
    base_url: str
    credentials: dict[str, Any] = field(repr=False)

    def pay(self, bill_id: str, amount: str | None = None) -> dict[str, Any]:
        """Pay a bill in the ERP, fully or by `amount`, as its accountant would."""
        op, key = _PAY[self.system]
        body: dict[str, Any] = {"op": op, key: int(bill_id) if key == "doc_entry" else bill_id}
        if amount is not None:
            body["amount"] = amount
        response = httpx.post(f"{self.base_url}/_sim/mutate", json=body, timeout=30)
        response.raise_for_status()
        return dict(response.json())

    def state(self) -> dict[str, Any]:
        return dict(httpx.get(f"{self.base_url}/_sim/state", timeout=30).json())


@contextlib.contextmanager
def running_simulators(
    *, vendors: int, purchase_orders: int, seed: int = 1
) -> Iterator[list[RunningSimulator]]:
    """Serve every simulator on 127.0.0.1 until the block ends (real clock, real limits)."""
    from erpsim.core import Clock, SimConfig
    from erpsim.core.testing import live_server
    from erpsim.registry import load_system

    with contextlib.ExitStack() as stack:
        running = []
        for system in DEMO_SYSTEMS:
            module = load_system(system.value)
            config = SimConfig(
                seed=seed, vendors=vendors, purchase_orders=purchase_orders, bills=3, clock=Clock.real()
            )
            server = stack.enter_context(live_server(module.create_app(config)))
            running.append(RunningSimulator(system, server.base_url, dict(server.sim.credentials())))
        yield running
