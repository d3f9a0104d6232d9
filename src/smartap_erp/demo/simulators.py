"""Starting the simulators for the demo, in this process, each on its own loopback port, and acting
in them as a person would in the ERP (paying a bill) through their `/_sim/` control endpoints.

Which simulators run, what they are called and how a bill is paid in each come from the registered
ERP providers (`ERPProvider.simulator`, a module path and the pay operation): every provider with a
simulator takes part.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import httpx

from smartap_erp.connectors.provider import ERPProvider, SimulatorRef
from smartap_erp.connectors.registry import registry
from smartap_erp.domain.enums import ERPSystem


def demo_providers() -> list[ERPProvider]:
    """The ERPs the demo runs: every registered provider that names a simulator."""
    return [provider for provider in registry.providers() if provider.simulator is not None]


class _Names(Mapping[str, str]):
    """ERP key -> display name, read from the providers (`NAMES[sim.system]`)."""

    def __getitem__(self, system: str) -> str:
        provider = registry.find(str(system))
        if provider is None:
            raise KeyError(system)
        return provider.name

    def __iter__(self) -> Iterator[str]:
        return iter(registry.keys())

    def __len__(self) -> int:
        return len(registry.keys())


NAMES: Mapping[str, str] = _Names()


@dataclass
class RunningSimulator:
    system: ERPSystem
    base_url: str
    credentials: dict[str, Any] = field(repr=False)

    @property
    def name(self) -> str:
        return NAMES[self.system]

    def pay(self, bill_id: str, amount: str | None = None) -> dict[str, Any]:
        """Pay a bill in the ERP, fully or by `amount`, as its accountant would."""
        sim = _simulator_of(self.system)
        body: dict[str, Any] = {"op": sim.pay_op, sim.pay_key: int(bill_id) if sim.numeric_id else bill_id}
        if amount is not None:
            body["amount"] = amount
        response = httpx.post(f"{self.base_url}/_sim/mutate", json=body, timeout=30)
        response.raise_for_status()
        return dict(response.json())

    def state(self) -> dict[str, Any]:
        return dict(httpx.get(f"{self.base_url}/_sim/state", timeout=30).json())


def _simulator_of(system: str) -> SimulatorRef:
    simulator = registry.provider(str(system)).simulator
    if simulator is None:
        raise LookupError(f"the {system} provider names no simulator")
    return simulator


@contextlib.contextmanager
def running_simulators(
    *, vendors: int, purchase_orders: int, seed: int = 1
) -> Iterator[list[RunningSimulator]]:
    """Serve every simulator on 127.0.0.1 until the block ends (real clock, real limits)."""
    from erpsim.core import Clock, SimConfig
    from erpsim.core.testing import live_server
    from erpsim.registry import load_module

    with contextlib.ExitStack() as stack:
        running = []
        for provider in demo_providers():
            module = load_module(_simulator_of(provider.system).module, name=provider.system)
            config = SimConfig(
                seed=seed, vendors=vendors, purchase_orders=purchase_orders, bills=3, clock=Clock.real()
            )
            server = stack.enter_context(live_server(module.create_app(config)))
            system = ERPSystem(provider.system)
            running.append(RunningSimulator(system, server.base_url, dict(server.sim.credentials())))
        yield running
