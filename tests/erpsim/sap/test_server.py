"""Server capacity (worker threads -> Apache 503), injected faults, commit-then-fail, and registry wiring."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from erpsim.core import Clock, SimConfig
from erpsim.core.testing import LiveServer
from erpsim.registry import load_system
from erpsim.sap import create_app, credentials
from tests.erpsim.sap.conftest import BASE, login_body


class Gate:
    """An injected `sleep` that blocks while `hold` is set, so a request can be kept in flight."""

    def __init__(self) -> None:
        self.hold = False
        self.entered = asyncio.Event()
        self.release = asyncio.Event()

    async def __call__(self, seconds: float) -> None:
        if self.hold:
            self.entered.set()
            await self.release.wait()


async def test_worker_threads_exhausted_gives_503(fixed_clock: Clock) -> None:
    gate = Gate()
    config = SimConfig(
        seed=3, vendors=5, purchase_orders=2, bills=1, clock=fixed_clock, sleep=gate, faults="latency=1ms"
    )
    app = create_app(config, max_concurrent=1)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=BASE) as client:
        assert (await client.post("/b1s/v1/Login", json=login_body(config))).status_code == 200
        gate.hold = True
        slow = asyncio.create_task(client.get("/b1s/v1/ChartOfAccounts"))
        await gate.entered.wait()
        refused = await client.get("/b1s/v1/ChartOfAccounts")
        assert refused.status_code == 503
        assert refused.headers["content-type"].startswith("text/html")
        assert "Service Unavailable" in refused.text
        gate.release.set()
        assert (await slow).status_code == 200
        state = (await client.get("/_sim/state")).json()
        assert state["extra"]["max_concurrent"] == 1
        raised = await client.post("/_sim/mutate", json={"op": "set_max_concurrent", "limit": 4})
        assert raised.json()["result"] == {"max_concurrent": 4}


async def test_injected_faults_use_sl_shapes(client: httpx.AsyncClient) -> None:
    await client.post("/_sim/faults", content="next5xx=1")
    error = await client.get("/b1s/v1/ChartOfAccounts")
    assert error.status_code == 500
    assert error.json()["error"]["message"]["lang"] == "en-us"
    await client.post("/_sim/faults", content="next429=1")
    assert (await client.get("/b1s/v1/ChartOfAccounts")).status_code == 503


async def test_commit_then_fail_stores_invoice_but_loses_response(client: httpx.AsyncClient) -> None:
    await client.post("/_sim/faults", content="commit_then_fail=1;lost_response=504")
    body = {
        "CardCode": "V10004",
        "DocType": "dDocument_Service",
        "NumAtCard": "LOST-1",
        "DocumentLines": [{"AccountCode": "_SYS00000000610", "LineTotal": 12.5}],
    }
    partner = (await client.get("/b1s/v1/BusinessPartners('V10004')")).json()
    assert partner["Frozen"] == "tNO" and partner["Valid"] == "tYES"
    lost = await client.post("/b1s/v1/PurchaseInvoices", json=body)
    assert lost.status_code == 504
    found = (
        await client.get(
            "/b1s/v1/PurchaseInvoices", params={"$filter": "CardCode eq 'V10004' and NumAtCard eq 'LOST-1'"}
        )
    ).json()["value"]
    assert len(found) == 1


def test_live_server_drop_after_commit(live: Callable[[Any], LiveServer], fixed_clock: Clock) -> None:
    config = SimConfig(
        seed=5, vendors=5, purchase_orders=2, bills=1, clock=fixed_clock, faults="commit_then_fail=1"
    )
    server = live(create_app(config))
    with httpx.Client(base_url=server.base_url) as client:
        assert client.post("/b1s/v1/Login", json=login_body(config)).status_code == 200
        supplier = next(
            bp
            for bp in client.get(
                "/b1s/v1/BusinessPartners",
                params={"$filter": "CardType eq 'S' and Frozen eq 'N' and Valid eq 'Y'"},
            ).json()["value"]
        )
        body = {
            "CardCode": supplier["CardCode"],
            "NumAtCard": "DROP-1",
            "DocType": "dDocument_Service",
            "DocumentLines": [{"AccountCode": "_SYS00000000610", "LineTotal": 1}],
        }
        with pytest.raises(httpx.RemoteProtocolError):
            client.post("/b1s/v1/PurchaseInvoices", json=body)
        count = client.get("/b1s/v1/PurchaseInvoices/$count", params={"$filter": "NumAtCard eq 'DROP-1'"})
        assert count.text == "1"


def test_registry_and_credentials_are_stable() -> None:
    module = load_system("sap")
    assert module.create_app is create_app
    first = module.credentials(SimConfig(seed=9))
    assert first == credentials(SimConfig(seed=9))
    assert set(first) == {"company_db", "username", "password"}
    assert credentials(SimConfig(seed=10))["password"] != first["password"]
