"""Fixtures of the SAP simulator tests: an app on a fixed clock and a logged-in in-process client."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from erpsim.core import Clock, SimConfig
from erpsim.sap import create_app, credentials

BASE = "http://sap.test"


def login_body(config: SimConfig, company_db: str | None = None) -> dict[str, str]:
    creds = credentials(config)
    return {
        "CompanyDB": company_db or creds["company_db"],
        "UserName": creds["username"],
        "Password": creds["password"],
    }


@pytest.fixture
def config(fixed_clock: Clock) -> SimConfig:
    return SimConfig(
        seed=7, vendors=45, purchase_orders=30, bills=20, clock=fixed_clock, sleep=fixed_clock.sleep
    )


@pytest.fixture
def app(config: SimConfig) -> Any:
    return create_app(config)


@pytest.fixture
async def anon(app: Any) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=BASE) as client:
        yield client


@pytest.fixture
async def client(anon: httpx.AsyncClient, config: SimConfig) -> httpx.AsyncClient:
    response = await anon.post("/b1s/v1/Login", json=login_body(config))
    assert response.status_code == 200, response.text
    return anon
