"""Account concurrency governance, injected faults, mutate ops, registry and a real-socket smoke test."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from erpsim.core import Clock
from erpsim.core.simulator import MutateError
from erpsim.core.testing import LiveServer
from erpsim.netsuite import create_app, credentials
from erpsim.registry import load_system
from tests.erpsim.netsuite.conftest import RESTLET, restlet_params, small_config
from tests.erpsim.netsuite.tba import SigningTBA


class Gate:
    """An injected `sleep` that holds every admitted request until `open()`: latency without waiting."""

    def __init__(self) -> None:
        self.event = asyncio.Event()

    async def sleep(self, seconds: float) -> None:
        await self.event.wait()

    def open(self) -> None:
        self.event.set()


@pytest.mark.parametrize("limit", [5, 15])
async def test_concurrency_limit_is_shared_by_restlets_and_rest(fixed_clock: Clock, limit: int) -> None:
    gate = Gate()
    config = small_config(fixed_clock, sleep=gate.sleep, faults="latency=1s")
    app = create_app(config, concurrency_limit=limit)
    sim = app.state.sim
    total = limit + 7
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app),
        base_url="http://sim",
        auth=SigningTBA(sim.credentials(), fixed_clock),
    ) as client:
        calls = [
            client.get(RESTLET, params=restlet_params("vendor"))
            if i % 2
            else client.get("/services/rest/record/v1/vendor")
            for i in range(total)
        ]
        tasks = [asyncio.ensure_future(call) for call in calls]
        done: set[asyncio.Future[httpx.Response]] = set()
        while len(done) < total - limit:
            finished, _ = await asyncio.wait(tasks, timeout=5, return_when=asyncio.FIRST_COMPLETED)
            assert finished, "refused requests should be answered at once"
            done = {t for t in tasks if t.done()}
        gate.open()
        responses = await asyncio.gather(*tasks)
    refused = [r for r in responses if r.status_code in (400, 429)]
    assert len(refused) == total - limit
    assert sum(r.status_code == 200 for r in responses) == limit
    for response in refused:
        # netsuite-connector.md §Concurrency: RESTlets say 400, REST says 429
        if response.request.url.path == RESTLET:
            assert response.status_code == 400
            assert response.json()["error"]["code"] == "SSS_REQUEST_LIMIT_EXCEEDED"
        else:
            assert response.status_code == 429
    assert admitted_peak(sim) == limit


def admitted_peak(sim: Any) -> int:
    """Most admitted (not throttled) requests in flight at one instant, from the request log."""
    admitted = [r for r in sim.stats.log if not r.throttled]
    return max(
        (
            sum(1 for s in admitted if s.mono_start <= r.mono_start < (s.mono_end or float("inf")))
            for r in admitted
        ),
        default=0,
    )


async def test_injected_faults_use_netsuite_envelopes(client: httpx.AsyncClient, sim: Any) -> None:
    sim.set_fault_plan(sim.faults.plan.parse("next5xx=1;next429=1"))
    throttled = await client.get(RESTLET, params=restlet_params("vendor"))
    assert throttled.status_code == 400 and throttled.json()["error"]["code"] == "SSS_REQUEST_LIMIT_EXCEEDED"
    failed = await client.get("/services/rest/record/v1/vendor")
    assert failed.status_code == 500
    assert failed.json()["o:errorDetails"][0]["o:errorCode"] == "UNEXPECTED_ERROR"


def test_mutate_ops_change_the_account(sim: Any) -> None:
    vendor = sim.store.ordered("vendor")[0]
    old_phone, old_stamp = vendor["phone"], vendor["lastModifiedDate"]
    sim.clock.advance(60)
    assert sim.mutate("edit_vendors", {"ids": [vendor["id"]]}) == {"edited": [vendor["id"]]}
    assert vendor["phone"] != old_phone and vendor["lastModifiedDate"] > old_stamp
    deactivated = sim.mutate("deactivate_vendor", {})["deactivated"]
    assert sim.store.get("vendor", deactivated)["isInactive"] is True
    created = sim.mutate("add_purchase_orders", {"count": 2})["created"]
    assert all(sim.store.get("purchaseOrder", i) for i in created)
    bill = next(b for b in sim.store.records["vendorBill"].values() if b["statusRef"] == "open")
    with pytest.raises(MutateError):
        sim.mutate("pay_bill", {"bill_id": bill["id"], "amount": "999999"})
    assert sim.mutate("cancel_bill", {"bill_id": bill["id"]})["status"] == "cancelled"
    assert sim.store.amount_remaining(bill) == 0
    sim.mutate("set_concurrency_limit", {"limit": 25})
    assert sim.state()["extra"]["concurrency_limit"] == 25


def test_registry_and_credentials_are_deterministic() -> None:
    system = load_system("netsuite")
    config = small_config(Clock.fixed())
    assert system.credentials(config) == credentials(config)
    assert set(credentials(config)) == {
        "account_id",
        "consumer_key",
        "consumer_secret",
        "token_id",
        "token_secret",
    }
    assert credentials(config)["account_id"].endswith("_SB1")
    other = small_config(Clock.fixed(), seed=8)
    assert credentials(other) != credentials(config)
    state_a = system.create_app(config).state.sim.state()["entities"]
    assert state_a == system.create_app(small_config(Clock.fixed())).state.sim.state()["entities"]


def test_over_real_http(live: Callable[[Any], LiveServer]) -> None:
    clock = Clock.real()
    server = live(create_app(small_config(clock, sleep=None)))
    creds = server.sim.credentials()
    with httpx.Client(base_url=server.base_url, auth=SigningTBA(creds, clock)) as client:
        vendors = client.get(RESTLET, params=restlet_params("vendor", limit="3"))
        assert vendors.status_code == 200 and vendors.json()["count"] == 3
        state = client.get("/_sim/state").json()
        assert state["extra"]["login_audit_trail"]["success"] == 1
        assert state["requests"]["total"] >= 1
