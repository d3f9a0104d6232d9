"""`make run`'s API (`smartap-erp demo --api`, `cli.demo.serving_api`): on a migrated database it serves
on a free port of loopback in a thread of this process, `/healthz` and an authenticated list answer over
real HTTP, and when the block ends the server stops and the port refuses connections."""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx
import pytest
from cryptography.fernet import Fernet

from smartap_erp.app import api_keys
from smartap_erp.app.api_keys import APIKeyCreate, Scope
from smartap_erp.app.context import open_app
from smartap_erp.cli.demo import serving_api
from smartap_erp.db import migrate
from smartap_erp.settings import Settings


def test_the_demo_api_serves_on_a_free_port_and_stops(tmp_path: Path) -> None:
    settings = Settings(
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'smartap.db'}",
        smartap_encryption_keys=Fernet.generate_key().decode(),
    )
    migrate.upgrade(settings.database_url)

    async def admin_key() -> str:
        async with open_app(settings) as ctx:
            return (await api_keys.create(ctx, APIKeyCreate(name="demo", scope=Scope.ADMIN))).key

    key = asyncio.run(admin_key())
    with serving_api(settings, "127.0.0.1", 0) as url:
        assert url.startswith("http://127.0.0.1:") and not url.endswith(":0")
        assert httpx.get(f"{url}/healthz").json() == {"status": "ok"}
        listed = httpx.get(f"{url}/api/v1/erp/connections", headers={"Authorization": f"Bearer {key}"})
        assert listed.status_code == 200 and listed.json()["items"] == []
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"{url}/healthz")
