"""Token refresh across processes, on both databases, against the QuickBooks simulator on loopback.

Three spawned processes x twenty concurrent callers (each its own connector, so its own auth flow
and in-process lock) find the stored access token expired; they start together at a barrier, not
after sleeps. Exactly one token call may reach the simulator (QuickBooks rotates the refresh token
on every refresh, quickbooks.md §OAuth 2.0 tokens), every caller must get through with a working token, and
the stored pair must be the newest one: its access token works and its refresh token is still redeemable.
"""

from __future__ import annotations

import asyncio
import base64
import datetime as dt
import multiprocessing
import uuid
from typing import Any

import httpx
from cryptography.fernet import Fernet
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from erpsim.core import Clock, SimConfig
from erpsim.core.testing import live_server
from erpsim.quickbooks import create_app
from smartap_erp.db.connections import read_credentials
from smartap_erp.db.models import ERPConnection
from smartap_erp.db.vault import CredentialVault, KeyRing
from tests.sync.test_foundation import _connection as stored_connection
from tests.sync.token_workers import BARRIER_TIMEOUT, refresh_worker

PROCESSES, CALLERS = 3, 20
TOKEN_PATH = "/oauth2/v1/tokens/bearer"
Factory = async_sessionmaker[AsyncSession]


async def test_three_processes_share_one_refresh_and_keep_the_newest_pair(
    engine: AsyncEngine, session_factory: Factory
) -> None:
    key = Fernet.generate_key().decode()
    vault = CredentialVault(KeyRing([key.encode()], "test"))
    config = SimConfig(clock=Clock.fixed("2024-06-03T12:00:00+00:00"), vendors=1, limits="off")
    with live_server(create_app(config)) as server:
        seeded: dict[str, str] = server.sim.credentials()
        async with httpx.AsyncClient(base_url=server.base_url) as sim:
            connection_id = await _expired_connection(session_factory, vault, seeded, server.base_url)
            await sim.post("/_sim/clock", json={"advance_seconds": 3601})  # expired at QuickBooks too
            database_url = engine.url.render_as_string(hide_password=False)

            outcomes = await asyncio.to_thread(_run_workers, database_url, key, str(connection_id))

            assert outcomes == ["ok"] * (PROCESSES * CALLERS)
            state = (await sim.get("/_sim/state", params={"log": 1})).json()
            token_calls = [entry for entry in state["log"] if entry["path"] == TOKEN_PATH]
            assert len(token_calls) == 1, token_calls
            async with session_factory() as session:
                stored = await session.get(ERPConnection, connection_id)
                assert stored is not None
                creds = read_credentials(stored, vault=vault)
            assert creds["refresh_token"] != seeded["refresh_token"]
            await _assert_newest_pair(sim, seeded, creds["access_token"], creds["refresh_token"])


async def _expired_connection(
    factory: Factory, vault: CredentialVault, seeded: dict[str, str], base_url: str
) -> uuid.UUID:
    expired = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=1)
    credentials = {**seeded, "access_token_expires_at": expired.isoformat()}
    return (await stored_connection(factory, vault, credentials, api_url=base_url)).id


async def _assert_newest_pair(
    sim: httpx.AsyncClient, seeded: dict[str, str], access: str, refresh: str
) -> None:
    realm = seeded["realm_id"]
    api = await sim.get(
        f"/v3/company/{realm}/companyinfo/{realm}",
        headers={"Authorization": f"Bearer {access}", "Accept": "application/json"},
    )
    assert api.status_code == 200
    basic = base64.b64encode(f"{seeded['client_id']}:{seeded['client_secret']}".encode()).decode()
    again = await sim.post(  # QuickBooks refuses a refresh token once a newer one was used
        TOKEN_PATH,
        data={"grant_type": "refresh_token", "refresh_token": refresh},
        headers={"Authorization": f"Basic {basic}"},
    )
    assert again.status_code == 200, again.text


def _run_workers(database_url: str, key: str, connection_id: str) -> list[str]:
    """Start the worker processes, collect every caller's outcome (sorted), check clean exits."""
    context = multiprocessing.get_context("spawn")  # no forked copies of this process's threads
    barrier: Any = context.Barrier(PROCESSES)
    results: Any = context.Queue()
    workers = [
        context.Process(
            target=refresh_worker, args=(database_url, key, connection_id, CALLERS, barrier, results)
        )
        for _ in range(PROCESSES)
    ]
    for worker in workers:
        worker.start()
    try:
        outcomes = [outcome for _ in workers for outcome in results.get(timeout=BARRIER_TIMEOUT + 60)]
    finally:
        for worker in workers:
            worker.join(timeout=30)
            if worker.is_alive():
                worker.kill()
    assert [worker.exitcode for worker in workers] == [0] * PROCESSES
    return sorted(outcomes)
