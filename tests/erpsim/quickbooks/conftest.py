"""Fixtures for the QBO simulator tests: a small seeded company on a fixed clock, and clients."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest

from erpsim.core import Clock, SimConfig
from erpsim.quickbooks import QuickBooksSim, create_app


@dataclass
class Qbo:
    app: Any
    sim: QuickBooksSim
    clock: Clock
    creds: dict[str, str] = field(repr=False)

    @property
    def base(self) -> str:
        return f"/v3/company/{self.creds['realm_id']}"

    def client(self, token: str | None = None) -> httpx.AsyncClient:
        headers = {"Accept": "application/json"}
        if token != "":
            headers["Authorization"] = f"Bearer {token or self.creds['access_token']}"
        return httpx.AsyncClient(
            transport=httpx.ASGITransport(app=self.app), base_url="http://qbo", headers=headers
        )


def make_qbo(**options: Any) -> Qbo:
    options.setdefault("clock", Clock.fixed("2024-06-03T12:00:00+00:00"))
    options.setdefault("vendors", 40)
    options.setdefault("purchase_orders", 20)
    options.setdefault("bills", 30)
    config = SimConfig(**options)
    app = create_app(config)
    sim = app.state.sim
    return Qbo(app, sim, sim.clock, sim.credentials())


@pytest.fixture
def qbo() -> Qbo:
    return make_qbo()


@pytest.fixture
async def client(qbo: Qbo) -> AsyncIterator[httpx.AsyncClient]:
    async with qbo.client() as c:
        yield c


async def query(client: httpx.AsyncClient, qbo: Qbo, statement: str) -> httpx.Response:
    return await client.get(f"{qbo.base}/query", params={"query": statement, "minorversion": "75"})


async def rows(client: httpx.AsyncClient, qbo: Qbo, statement: str) -> list[dict[str, Any]]:
    response = await query(client, qbo, statement)
    assert response.status_code == 200, response.text
    body = response.json()["QueryResponse"]
    entity = statement.split()[3] if statement.lower().startswith("select * from") else None
    return list(body.get(entity, [])) if entity else []


def fault(response: httpx.Response) -> dict[str, Any]:
    """The first Error of a Fault body."""
    error: dict[str, Any] = response.json()["Fault"]["Error"][0]
    return error
