"""Health endpoints: `/healthz` always answers; `/readyz` is 200 only with a reachable database at the
newest migration and a worker seen within the heartbeat window, else 503 with the reasons (the clock
is the app's `state.now`, moved instead of sleeping); `/metrics` is Prometheus text counting requests
by route template and status, queued jobs, live workers and sync runs by outcome. No key needed."""

from __future__ import annotations

import datetime as dt

import httpx
import pytest
from cryptography.fernet import Fernet
from fastapi import FastAPI
from prometheus_client.parser import text_string_to_metric_families

from smartap_erp.api.app import create_app
from smartap_erp.app import connections
from smartap_erp.app.connections import ConnectionCreate
from smartap_erp.app.context import resolve_connection
from smartap_erp.db import migrate
from smartap_erp.db.models import ERPSyncRequest
from smartap_erp.db.session import make_engine, make_session_factory
from smartap_erp.domain.enums import ERPEntity, SyncDirection, SyncStatus
from smartap_erp.jobs import heartbeat
from smartap_erp.settings import Settings
from smartap_erp.sync.logs import start_log
from tests.api.conftest import BASE_URL
from tests.app.simulated import T0, SimulatedApp, sim_credentials

NOW = T0 + dt.timedelta(days=1)


def samples(text: str, name: str) -> dict[tuple[tuple[str, str], ...], float]:
    return {
        tuple(sorted(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
        if sample.name == name
    }


async def test_healthz_answers_without_a_key(anon: httpx.AsyncClient) -> None:
    response = await anon.get("/healthz")
    assert response.status_code == 200 and response.json() == {"status": "ok"}


async def test_ready_only_with_a_live_worker(
    anon: httpx.AsyncClient, api_app: FastAPI, api_ctx: SimulatedApp
) -> None:
    api_app.state.now = lambda: NOW
    none = await anon.get("/readyz")
    assert none.status_code == 503
    body = none.json()
    assert (
        body["database"] is True and body["schema_revision"] == body["schema_head"] == migrate.head_revision()
    )
    assert body["workers_alive"] == 0 and "no worker is running" in body["reasons"][0]

    await heartbeat.beat(api_ctx.sessions, "w1", now=NOW - dt.timedelta(seconds=5), started_at=T0)
    ready = await anon.get("/readyz")
    assert ready.status_code == 200
    assert (
        ready.json()["ready"] is True and ready.json()["workers_alive"] == 1 and ready.json()["reasons"] == []
    )

    api_app.state.now = lambda: NOW + heartbeat.ALIVE_WITHIN + dt.timedelta(seconds=1)
    assert (await anon.get("/readyz")).status_code == 503  # the worker stopped beating: dead


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
async def test_not_ready_when_the_schema_is_behind(anon: httpx.AsyncClient, api_ctx: SimulatedApp) -> None:
    await migrate.downgrade_engine(api_ctx.engine, "0009")
    body = (await anon.get("/readyz")).json()
    assert body["ready"] is False and body["schema_revision"] == "0009"
    assert body["reasons"] == [
        f"schema at 0009, code expects {migrate.head_revision()}: run `smartap-erp db upgrade`"
    ]


async def test_not_ready_when_the_database_is_unreachable() -> None:
    url = "postgresql+asyncpg://nobody:pw-secret@127.0.0.1:1/none"  # loopback, nothing listens on port 1
    settings = Settings(database_url=url, smartap_encryption_keys=Fernet.generate_key().decode())
    engine = make_engine(url)
    ctx = SimulatedApp(settings, engine, make_session_factory(engine))
    app = create_app(settings, context=ctx)
    try:
        async with (
            app.router.lifespan_context(app),
            httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url=BASE_URL) as client,
        ):
            response = await client.get("/readyz")
    finally:
        await engine.dispose()
    assert response.status_code == 503
    body = response.json()
    assert body["database"] is False and body["reasons"][0].startswith("database unreachable")
    assert "pw-secret" not in response.text


async def test_metrics_count_requests_by_route_and_what_is_queued(
    api: httpx.AsyncClient, api_ctx: SimulatedApp, api_app: FastAPI
) -> None:
    api_app.state.now = lambda: NOW
    view = await connections.create_connection(
        api_ctx,
        ConnectionCreate.model_validate(
            {"system": "quickbooks", "name": "books", "credentials": sim_credentials("quickbooks")}
        ),
    )
    async with api_ctx.sessions() as session, session.begin():
        session.add(ERPSyncRequest(connection_id=view.id, request_key="sync:vendor", workflow_id="wf-1"))
        connection = await resolve_connection(session, "books")
        await start_log(session, connection, entity=ERPEntity.VENDOR, direction=SyncDirection.IMPORT, now=T0)
    await heartbeat.beat(api_ctx.sessions, "w1", now=NOW, started_at=T0)
    key_id = (await api.get("/api/v1/api-keys")).json()[0]["id"]
    await api.get("/api/v1/api-keys")
    await api.post(f"/api/v1/api-keys/{key_id}x/revoke")  # 422: not an id
    await api.get("/no/such/path")

    response = await api.get("/metrics")
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/plain")
    requests = samples(response.text, "smartap_http_requests_total")
    assert requests[(("method", "GET"), ("route", "/api/v1/api-keys"), ("status", "200"))] == 2
    assert (
        requests[(("method", "POST"), ("route", "/api/v1/api-keys/{key_id}/revoke"), ("status", "422"))] == 1
    )
    assert requests[(("method", "GET"), ("route", "unmatched"), ("status", "404"))] == 1
    assert samples(response.text, "smartap_jobs_queued") == {(): 1}
    assert samples(response.text, "smartap_workers_alive") == {(): 1}
    runs = samples(response.text, "smartap_sync_runs")
    assert runs == {
        (("direction", "import"), ("entity", "vendor"), ("status", SyncStatus.IN_PROGRESS.value)): 1
    }
