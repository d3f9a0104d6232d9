"""QBO limits (500/min, 10/s and 10 concurrent per realm -> 429 ThrottleExceeded) and faults."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import httpx

from erpsim.core.testing import LiveServer

from .conftest import Qbo, fault, make_qbo
from .test_writes import bill_body, usd_vendor

THROTTLE_MESSAGE = "message=ThrottleExceeded; errorCode=003001; statusCode=429"


def assert_throttled(response: httpx.Response) -> None:
    assert response.status_code == 429
    error = fault(response)
    assert (error["code"], error["Message"]) == ("3001", THROTTLE_MESSAGE)


async def test_the_501st_request_in_a_minute_is_throttled(qbo: Qbo) -> None:
    statement = {"query": "select count(*) from Term"}
    async with qbo.client() as client:
        for _ in range(500):
            assert (await client.get(f"{qbo.base}/query", params=statement)).status_code == 200
            qbo.clock.advance(0.11)  # stay under 10 requests per second
        assert_throttled(await client.get(f"{qbo.base}/query", params=statement))
        qbo.clock.advance(5)  # the first request leaves the sliding minute
        assert (await client.get(f"{qbo.base}/query", params=statement)).status_code == 200
        state = (await client.get("/_sim/state")).json()
    assert state["responses"]["throttled_429"] == 1
    assert state["requests"]["by_endpoint"]["GET /v3/company/{realmId}/query"] == 502


async def test_the_11th_request_in_one_second_is_throttled(qbo: Qbo) -> None:
    async with qbo.client() as client:
        statuses = [
            (await client.get(f"{qbo.base}/companyinfo/{qbo.creds['realm_id']}")).status_code
            for _ in range(11)
        ]
    assert statuses == [200] * 10 + [429]


async def test_the_11th_concurrent_request_is_throttled() -> None:
    release = asyncio.Event()

    async def held(seconds: float) -> None:
        await release.wait()

    qbo = make_qbo(faults="latency=200ms", sleep=held)
    async with qbo.client() as client:
        url = f"{qbo.base}/query"
        in_flight = [
            asyncio.create_task(client.get(url, params={"query": "select * from Term"})) for _ in range(10)
        ]
        while qbo.sim.stats.in_flight < 10:  # noqa: ASYNC110 (yield until all ten are inside)
            await asyncio.sleep(0)
        qbo.clock.advance(1)  # keep the per-second rule out of the way
        assert_throttled(await client.get(url, params={"query": "select * from Term"}))
        release.set()
        assert {r.status_code for r in await asyncio.gather(*in_flight)} == {200}
    state = qbo.sim.state()
    assert state["concurrency"]["peak_by_tenant"] == {qbo.creds["realm_id"]: 11}
    assert state["limits"]["rejected"] == 1


async def test_limits_off_and_identity_endpoints_are_never_limited() -> None:
    qbo = make_qbo(limits="off")
    async with qbo.client() as client:
        statuses = {(await client.get(f"{qbo.base}/companyinfo/1")).status_code for _ in range(30)}
    assert statuses == {200}


async def test_injected_throttle_and_server_errors_use_qbo_envelopes(qbo: Qbo) -> None:
    async with qbo.client() as client:
        await client.post("/_sim/faults", content="next429=1;next5xx=1;path=/v3/")
        assert_throttled(await client.get(f"{qbo.base}/companyinfo/1"))
        server_error = await client.get(f"{qbo.base}/companyinfo/1")
        assert server_error.status_code == 500
        assert server_error.json()["Fault"]["type"] == "SystemFault"
        assert (await client.get(f"{qbo.base}/companyinfo/1")).status_code == 200


async def test_commit_then_fail_then_retry_with_the_same_requestid_makes_one_bill(
    live: Callable[[Any], LiveServer],
) -> None:
    qbo = make_qbo(faults="commit_then_fail=1")
    server = live(qbo.app)
    headers = {"Authorization": f"Bearer {qbo.creds['access_token']}", "Accept": "application/json"}
    body = bill_body(qbo, usd_vendor(qbo), DocNumber="CTF-1")
    before = len(qbo.sim.store.records["Bill"])
    async with httpx.AsyncClient(base_url=server.base_url, headers=headers) as client:
        url = f"{qbo.base}/bill"
        try:
            await client.post(url, json=body, params={"requestid": "ctf-1"})
        except httpx.TransportError:
            pass
        else:
            raise AssertionError("the first response should have been lost")
        retry = await client.post(url, json=body, params={"requestid": "ctf-1"})
        blind = await client.post(url, json=body)
        state = (await client.get("/_sim/state")).json()
    assert retry.status_code == 200 and retry.json()["Bill"]["DocNumber"] == "CTF-1"
    assert len(qbo.sim.store.records["Bill"]) == before + 1
    assert fault(blind)["code"] == "6140"  # a retry without requestid hits the duplicate check
    assert state["faults_injected"] == {"lost_response": 1}
    assert state["extra"]["requestid_replays"] == 1
