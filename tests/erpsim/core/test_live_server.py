"""The core over a real loopback socket: dropped connections, timeouts, overlap in the request log."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from erpsim.core import SimConfig
from erpsim.core.testing import live_server
from erpsim.registry import SystemNotAvailable, load_system

from .echo import create_app

T = {"X-Tenant": "t1"}


def test_dropped_connection_and_lost_response_reach_the_client_as_transport_errors() -> None:
    app = create_app(SimConfig(faults="nextdrop=1"))
    with live_server(app) as server, httpx.Client(base_url=server.base_url) as client:
        with pytest.raises(httpx.TransportError):
            client.get("/items", headers=T)
        assert client.get("/items", headers=T).status_code == 200
        client.post("/_sim/faults", content="commit_then_fail=1")
        with pytest.raises(httpx.TransportError):
            client.post("/items", headers=T)
        assert len(client.get("/items", headers=T).json()["items"]) == 4
        state = client.get("/_sim/state").json()
    assert state["responses"]["no_response"] == 2
    assert state["faults_injected"] == {"drop": 1, "lost_response": 1}


def test_timeout_fault_makes_the_client_time_out() -> None:
    app = create_app(SimConfig(faults="nexttimeout=1;timeout_after=400ms"))
    with live_server(app) as server, httpx.Client(base_url=server.base_url, timeout=0.1) as client:
        with pytest.raises(httpx.ReadTimeout):
            client.get("/items", headers=T)
        assert client.get("/items", headers=T).status_code == 200


async def test_request_log_shows_overlapping_requests_on_a_real_server() -> None:
    app = create_app(SimConfig(latency_ms=100, limits="off"))
    with live_server(app) as server:
        async with httpx.AsyncClient(base_url=server.base_url) as client:
            await asyncio.gather(*(client.get("/items", headers={"X-Tenant": f"t{i}"}) for i in range(3)))
            state = (await client.get("/_sim/state", params={"log": "1"})).json()
    assert state["concurrency"]["peak"] == 3
    records = server.sim.stats.log
    assert all(a.overlaps(b) for a in records for b in records if a is not b)
    assert all(r["mono_end"] - r["mono_start"] >= 0.09 for r in state["log"])


@pytest.mark.parametrize("name", ["xero", "sap", "netsuite"])
def test_unbuilt_systems_are_reported_as_not_available_yet(name: str) -> None:
    import importlib.util

    if importlib.util.find_spec(f"erpsim.{name}") is not None:  # built since: it must expose the contract
        assert callable(load_system(name).create_app)
        return
    with pytest.raises(SystemNotAvailable, match="not available yet"):
        load_system(name)


def test_unknown_system_is_refused() -> None:
    with pytest.raises(SystemNotAvailable, match="unknown system"):
        load_system("sage")
