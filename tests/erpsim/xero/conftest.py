"""Fixtures of the Xero simulator tests: a small seeded app on a fixed clock and an authorised client."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from erpsim.core import Clock, SimConfig
from erpsim.xero import create_app, credentials

API = "/api.xro/2.0"


def make_app(clock: Clock, **options: Any) -> Any:
    options.setdefault("vendors", 40)
    options.setdefault("purchase_orders", 30)
    options.setdefault("bills", 40)
    return create_app(SimConfig(clock=clock, **options))


def auth_headers(creds: dict[str, str], tenant: str | None = None) -> dict[str, str]:
    return {
        "Authorization": f"Bearer {creds['access_token']}",
        "xero-tenant-id": tenant or creds["tenant_id"],
        "Accept": "application/json",
    }


@pytest.fixture
def creds() -> dict[str, str]:
    return credentials(SimConfig())


@pytest.fixture
def app(fixed_clock: Clock) -> Any:
    return make_app(fixed_clock)


@pytest.fixture
async def client(app: Any, creds: dict[str, str]) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(
        transport=transport, base_url="http://sim", headers=auth_headers(creds)
    ) as c:
        yield c
