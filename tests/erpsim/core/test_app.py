"""The core app in process: control endpoints, stats, limits and faults on the echo simulator."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from erpsim.core import Clock, SimConfig

from .echo import EchoSim, create_app

T = {"X-Tenant": "t1"}


def make(**options: Any) -> tuple[Any, EchoSim]:
    options.setdefault("clock", Clock.fixed())
    app = create_app(SimConfig(**options))
    return app, app.state.sim


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    app, _ = make()
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://sim") as c:
        yield c


def client_for(app: Any) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://sim")


async def test_state_counts_requests_by_route_but_not_control_calls(client: httpx.AsyncClient) -> None:
    await client.get("/items", headers=T)
    await client.post("/items", headers=T)
    await client.post("/bad", headers=T)
    await client.get("/nowhere", headers=T)
    state = (await client.get("/_sim/state")).json()
    assert state["entities"] == {"Item": 4}
    assert state["requests"]["total"] == 4
    assert state["requests"]["by_endpoint"] == {
        "GET /items": 1,
        "POST /items": 1,
        "POST /bad": 1,
        "GET (unmatched)": 1,
    }
    assert state["responses"]["by_status"] == {"200": 1, "201": 1, "400": 1, "404": 1}
    assert state["responses"]["errors"] == 2
    assert state["concurrency"]["peak"] == 1
    assert "log" not in state
    logged = (await client.get("/_sim/state", params={"log": "1"})).json()["log"]
    assert [(r["method"], r["path"], r["status"], r["tenant"]) for r in logged][:2] == [
        ("GET", "/items", 200, "t1"),
        ("POST", "/items", 201, "t1"),
    ]


async def test_rate_limit_refuses_the_sixth_request_and_frees_up_after_the_window() -> None:
    app, _ = make()
    async with client_for(app) as client:
        statuses = [(await client.get("/items", headers=T)).status_code for _ in range(6)]
        assert statuses == [200] * 5 + [429]
        assert (await client.get("/items", headers={"X-Tenant": "t2"})).status_code == 200
        refused = await client.get("/items", headers=T)
        assert refused.json() == {"throttled": "per_minute"}
        await client.post("/_sim/clock", json={"advance_seconds": 60})
        assert (await client.get("/items", headers=T)).status_code == 200
        state = (await client.get("/_sim/state")).json()
    assert state["limits"]["rejected"] == 2
    assert state["responses"]["throttled_429"] == 2
    assert {r["name"] for r in state["limits"]["rules"]} == {"per_minute", "concurrent"}


async def test_limits_off_disables_every_rule() -> None:
    app, _ = make(limits="off")
    async with client_for(app) as client:
        statuses = {(await client.get("/items", headers=T)).status_code for _ in range(20)}
    assert statuses == {200}


async def test_concurrency_limit_and_peak_include_injected_latency() -> None:
    release = asyncio.Event()

    async def held_sleep(seconds: float) -> None:
        await release.wait()

    app, sim = make(faults="latency=1s", sleep=held_sleep)
    async with client_for(app) as client:
        held = [asyncio.create_task(client.get("/items", headers=T)) for _ in range(2)]
        while sim.stats.in_flight < 2:  # noqa: ASYNC110 (yield to the held requests; no waiting)
            await asyncio.sleep(0)
        third = await client.get("/items", headers=T)
        assert third.status_code == 429 and third.json() == {"throttled": "concurrent"}
        release.set()
        assert [r.status_code for r in await asyncio.gather(*held)] == [200, 200]
        state = (await client.get("/_sim/state", params={"log": "1"})).json()
    assert state["concurrency"]["peak"] == 3
    assert state["concurrency"]["peak_by_tenant"] == {"t1": 3}
    assert state["concurrency"]["in_flight"] == 0
    records = sim.stats.log
    assert records[0].overlaps(records[1]) and records[0].overlaps(records[2])


async def test_fault_endpoint_sets_plan_and_faults_render_through_the_simulator() -> None:
    app, _ = make()
    async with client_for(app) as client:
        bad = await client.post("/_sim/faults", content="rate429=2")
        assert bad.status_code == 400 and "outside" in bad.json()["error"]
        ok = await client.post("/_sim/faults", json={"spec": "next429=1;next5xx=1"})
        assert ok.json() == {"faults": "next429=1;next5xx=1"}
        statuses = [(await client.get("/items", headers=T)).status_code for _ in range(3)]
        state = (await client.get("/_sim/state")).json()
    assert statuses == [429, 500, 200]
    assert state["faults_injected"] == {"throttle": 1, "server_error": 1}
    assert state["faults"]["remaining"]["next429"] == 0


async def test_latency_and_timeout_use_the_injected_sleep() -> None:
    slept: list[float] = []

    async def record_sleep(seconds: float) -> None:
        slept.append(seconds)

    app, _ = make(latency_ms=40, faults="nexttimeout=1;timeout_after=130s", sleep=record_sleep)
    async with client_for(app) as client:
        first = await client.get("/items", headers=T)
        second = await client.get("/items", headers=T)
    assert first.status_code == 504
    assert second.status_code == 200
    assert slept == [pytest.approx(0.04), 130.0, pytest.approx(0.04)]


async def test_dropped_connection_in_process_raises_remote_protocol_error() -> None:
    app, sim = make(faults="nextdrop=1")
    async with client_for(app) as client:
        with pytest.raises(httpx.RemoteProtocolError):
            await client.get("/items", headers=T)
        assert (await client.get("/items", headers=T)).status_code == 200
    assert sim.stats.no_response == 1


async def test_commit_then_fail_stores_the_write_but_loses_the_response() -> None:
    app, sim = make(faults="commit_then_fail=1")
    async with client_for(app) as client:
        assert (await client.post("/bad", headers=T)).status_code == 400  # failed writes pass through
        with pytest.raises(httpx.RemoteProtocolError):
            await client.post("/items", headers=T)
        assert len(sim.items) == 4  # committed
        assert (await client.post("/items", headers=T)).status_code == 201  # only one was lost
        await client.post("/_sim/faults", content="commit_then_fail=1;lost_response=504")
        lost = await client.post("/items", headers=T)
        assert lost.status_code == 504 and len(sim.items) == 6
        assert (await client.get("/items", headers=T)).status_code == 200
    assert sim.faults.injected["lost_response"] == 2


async def test_expire_tokens_is_one_shot_at_startup_and_on_request() -> None:
    app, sim = make(faults="expire_tokens")
    assert sim.expired == 1
    async with client_for(app) as client:
        await client.post("/_sim/faults", content="expire_tokens")
        assert sim.expired == 2
        await client.get("/items", headers=T)
    assert sim.expired == 2


async def test_clock_mutate_and_reset_endpoints(client: httpx.AsyncClient) -> None:
    now = await client.post("/_sim/clock", json={"advance_seconds": 3600})
    assert now.json() == {"now": "2024-06-03T13:00:00.000Z"}
    assert (await client.post("/_sim/clock", json={"advance_seconds": -5})).status_code == 400
    assert (await client.post("/_sim/clock", json={})).status_code == 400
    done = await client.post("/_sim/mutate", json={"op": "drop_items", "count": 2})
    assert done.json() == {"op": "drop_items", "result": {"left": 1}}
    unknown = await client.post("/_sim/mutate", json={"op": "nope"})
    assert unknown.status_code == 400 and "drop_items" in unknown.json()["error"]
    invalid = await client.post("/_sim/mutate", json={"op": "drop_items", "count": -1})
    assert invalid.status_code == 400
    await client.get("/items", headers=T)
    reset = await client.post("/_sim/reset")
    assert reset.json() == {"reset": True, "entities": {"Item": 3}}
    state = (await client.get("/_sim/state")).json()
    assert state["requests"]["total"] == 0
    assert state["clock"] == "2024-06-03T13:00:00.000Z"  # time never goes back
    assert state["mutate_ops"] == ["drop_items"]


def test_bad_config_is_refused_early() -> None:
    with pytest.raises(ValueError, match="limits"):
        SimConfig(limits="sometimes")
    with pytest.raises(ValueError, match="unknown fault"):
        SimConfig(faults="explode=1")
