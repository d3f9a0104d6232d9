"""One harness for every sync test: any of the four simulators, in-process, with a stored connection.

`await ErpHarness.start(system, ctx_parts...)` seeds the simulator on a fixed clock, stores a
connection whose credentials are the simulator's and whose `api_url` points at it, and registers the
in-process transport and a sleep that advances the simulator's clock with the `SyncContext`. Tests
drive ERP-side changes with `harness.mutate(op, ...)` and read `harness.state()` (both are the
simulator's own `/_sim/mutate` and `/_sim/state` operations).
"""

from __future__ import annotations

import importlib
import uuid
from dataclasses import dataclass, field
from typing import Any

import httpx

from erpsim.core import Clock, SimConfig
from smartap_erp.db.connections import create_connection
from smartap_erp.db.models import ERPConnection
from smartap_erp.domain import ERPSystem
from smartap_erp.http import LimiterRegistry
from smartap_erp.sync.context import SyncContext

SYSTEMS = (ERPSystem.QUICKBOOKS, ERPSystem.XERO, ERPSystem.SAP, ERPSystem.NETSUITE)
START = "2024-06-03T12:00:00+00:00"


def available_systems() -> list[ERPSystem]:
    """The systems whose simulator and connector both exist in this checkout."""
    found = []
    for system in SYSTEMS:
        try:
            importlib.import_module(f"erpsim.{system.value}")
            importlib.import_module(f"smartap_erp.connectors.{system.value}")
        except ModuleNotFoundError:
            continue
        found.append(system)
    return found


@dataclass
class ErpHarness:
    system: ERPSystem
    app: Any
    sim: Any
    clock: Clock
    connection: ERPConnection
    sleeps: list[float] = field(default_factory=list)

    @classmethod
    async def start(
        cls, system: ERPSystem, ctx: SyncContext, *, name: str | None = None, **sim_options: Any
    ) -> ErpHarness:
        sim_options.setdefault("clock", Clock.fixed(START))
        sim_options.setdefault("vendors", 30)
        sim_options.setdefault("purchase_orders", 10)
        sim_options.setdefault("bills", 5)
        module = importlib.import_module(f"erpsim.{system.value}")
        app = module.create_app(SimConfig(**sim_options))
        sim = app.state.sim
        async with ctx.session_factory() as session:
            connection = await create_connection(
                session,
                vault=ctx.vault,
                name=name or f"{system.value} {uuid.uuid4().hex[:6]}",
                system_type=system,
                credentials=sim.credentials(),
                api_url=f"http://{system.value}.test",
                tenant_id=sim.credentials().get("tenant_id"),
                company_db=sim.credentials().get("company_db"),
            )
            await session.commit()
        harness = cls(system, app, sim, sim.clock, connection)
        ctx.options_by_connection[connection.id] = {
            "transport": httpx.ASGITransport(app=app),
            "clock": sim.clock.time,
            "sleep": harness.sleep,
            "random": lambda: 0.5,
            "limiters": LimiterRegistry(),
        }
        return harness

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.clock.advance(seconds)

    def state(self) -> dict[str, Any]:
        return dict(self.sim.state())

    def mutate(self, op: str, **params: Any) -> dict[str, Any]:
        return dict(self.sim.mutate(op, params))

    def mutate_ops(self) -> list[str]:
        return sorted(self.sim.mutate_ops())
