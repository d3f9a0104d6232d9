"""Fixtures for API tests: the app bound to the test database (`engine` / `session_factory` of
tests/conftest.py, SQLite and PostgreSQL) through a `SimulatedApp` context, whose `sync_context()`
an `ErpHarness` can register simulators with; its lifespan runs for the test. `api` is a client with
an admin key, `anon` one with none; `key_for(scope)` creates a key and returns it.

    async def test_x(api, anon, key_for):
        read = await key_for("read")
        response = await anon.get("/api/v1/...", headers=bearer(read))
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from smartap_erp.api.app import create_app
from smartap_erp.app import api_keys
from smartap_erp.app.api_keys import APIKeyCreate, Scope
from tests.app.simulated import SimulatedApp, simulated_app

BASE_URL = "http://api.test"
KeyFor = Callable[[str], Awaitable[str]]


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


@pytest.fixture
def api_ctx(engine: AsyncEngine, session_factory: async_sessionmaker[AsyncSession]) -> SimulatedApp:
    return simulated_app(engine, session_factory)


@pytest.fixture
async def api_app(api_ctx: SimulatedApp) -> AsyncIterator[FastAPI]:
    app = create_app(api_ctx.settings, context=api_ctx)
    async with app.router.lifespan_context(app):
        yield app


@pytest.fixture
def key_for(api_ctx: SimulatedApp) -> KeyFor:
    async def make(scope: str) -> str:
        created = await api_keys.create(api_ctx, APIKeyCreate(name=f"test {scope}", scope=Scope(scope)))
        return created.key

    return make


@pytest.fixture
async def anon(api_app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(api_app), base_url=BASE_URL) as client:
        yield client


@pytest.fixture
async def api(api_app: FastAPI, key_for: KeyFor) -> AsyncIterator[httpx.AsyncClient]:
    headers = bearer(await key_for("admin"))
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(api_app), base_url=BASE_URL, headers=headers
    ) as client:
        yield client
