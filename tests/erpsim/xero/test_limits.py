"""Xero limits and faults in the simulator: per-tenant minute/day/concurrency, headers, 429 envelope."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx

from erpsim.core import Clock

from .conftest import API, auth_headers, make_app


async def test_minute_limit_headers_and_429(client: httpx.AsyncClient, fixed_clock: Clock) -> None:
    first = await client.get(f"{API}/Organisation")
    assert first.headers["X-MinLimit-Remaining"] == "59"
    assert first.headers["X-DayLimit-Remaining"] == "4999"
    assert first.headers["X-AppMinLimit-Remaining"] == "9999"
    for _ in range(59):
        last = await client.get(f"{API}/Organisation")
    assert last.headers["X-MinLimit-Remaining"] == "0"
    refused = await client.get(f"{API}/Organisation")
    assert refused.status_code == 429
    assert refused.headers["X-Rate-Limit-Problem"] == "minute"
    assert int(refused.headers["Retry-After"]) == 60
    fixed_clock.advance(60)
    assert (await client.get(f"{API}/Organisation")).status_code == 200
    state = (await client.get("/_sim/state")).json()
    assert state["responses"]["throttled_429"] == 1


async def test_limits_are_per_tenant(client: httpx.AsyncClient, creds: dict[str, str]) -> None:
    other = (await client.get("/connections")).json()[1]["tenantId"]
    for _ in range(60):
        await client.get(f"{API}/Organisation")
    assert (await client.get(f"{API}/Organisation")).status_code == 429
    assert (await client.get(f"{API}/Organisation", headers={"xero-tenant-id": other})).status_code == 200


async def test_day_limit_is_5000_and_says_day(
    client: httpx.AsyncClient, app: Any, fixed_clock: Clock, creds: dict[str, str]
) -> None:
    sim = app.state.sim
    window = sim.limiter._windows["tenant_day"]
    for _ in range(5000):
        window.hit(creds["tenant_id"], fixed_clock.time() - 3600)  # spent an hour ago
    refused = await client.get(f"{API}/Organisation")
    assert refused.status_code == 429
    assert refused.headers["X-Rate-Limit-Problem"] == "day"
    assert int(refused.headers["Retry-After"]) == 23 * 3600


async def test_at_most_five_in_flight_per_tenant(fixed_clock: Clock, creds: dict[str, str]) -> None:
    gate = asyncio.Event()

    async def held_sleep(seconds: float) -> None:
        await gate.wait()

    app = make_app(fixed_clock, latency_ms=1, sleep=held_sleep)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(
        transport=transport, base_url="http://sim", headers=auth_headers(creds)
    ) as c:
        tasks = [asyncio.create_task(c.get(f"{API}/Organisation")) for _ in range(6)]
        for _ in range(50):
            await asyncio.sleep(0)
            if any(t.done() for t in tasks):
                break
        done = [t for t in tasks if t.done()]
        assert len(done) == 1
        refused = done[0].result()
        assert refused.status_code == 429 and refused.headers["X-Rate-Limit-Problem"] == "concurrent"
        gate.set()
        statuses = [r.status_code for r in await asyncio.gather(*tasks)]
    assert statuses.count(200) == 5
    assert app.state.sim.stats.peak_by_tenant[creds["tenant_id"]] == 6  # seen, but only 5 admitted


async def test_injected_faults_use_xero_envelopes(client: httpx.AsyncClient) -> None:
    await client.post("/_sim/faults", content="next429=1")
    throttled = await client.get(f"{API}/Organisation")
    assert throttled.status_code == 429 and throttled.headers["Retry-After"] == "1"
    await client.post("/_sim/faults", content="next5xx=1")
    failed = await client.get(f"{API}/Organisation")
    assert failed.status_code == 500 and failed.json()["Title"] == "An error occurred"
    assert (await client.get(f"{API}/Organisation")).status_code == 200


async def test_expire_tokens_fault_and_reset(client: httpx.AsyncClient) -> None:
    await client.post("/_sim/faults", content="expire_tokens")
    assert (await client.get(f"{API}/Organisation")).status_code == 401
    await client.post("/_sim/reset")
    assert (await client.get(f"{API}/Organisation")).status_code == 200
