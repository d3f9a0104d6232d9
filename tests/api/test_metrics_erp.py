"""`/metrics` counts the work done by the workers, read from the database at the scrape: each ERP's
requests, 429s and failed answers over the last 24 hours (from the runs' recorded exchanges), and the
recent runs with their summed durations; older exchanges and runs drop out of the window."""

from __future__ import annotations

import datetime as dt

import httpx
from fastapi import FastAPI

from smartap_erp.app import connections
from smartap_erp.app.connections import ConnectionCreate
from smartap_erp.app.context import resolve_connection
from smartap_erp.db.models import ERPSyncLogExchange
from smartap_erp.domain.enums import ERPEntity, SyncDirection
from smartap_erp.sync.logs import finish_log, start_log
from tests.api.test_health import samples
from tests.app.simulated import T0, SimulatedApp, sim_credentials

NOW = T0 + dt.timedelta(days=3)


async def _run(ctx: SimulatedApp, name: str, at: dt.datetime, statuses: list[int | None]) -> None:
    async with ctx.sessions() as session, session.begin():
        connection = await resolve_connection(session, name)
        log = await start_log(
            session, connection, entity=ERPEntity.VENDOR, direction=SyncDirection.IMPORT, now=at
        )
        await session.flush()
        for seq, status in enumerate(statuses, 1):
            session.add(
                ERPSyncLogExchange(
                    sync_log_id=log.id,
                    seq=seq,
                    method="GET",
                    url="https://erp.test/x",
                    status=status,
                    duration_ms=5,
                    at=at,
                )
            )
        finish_log(log, connection, total=1, succeeded=1, errors=[], now=at + dt.timedelta(seconds=90))


async def test_erp_requests_429s_and_run_durations_in_the_window(
    api: httpx.AsyncClient, api_ctx: SimulatedApp, api_app: FastAPI
) -> None:
    api_app.state.now = lambda: NOW
    for system in ("quickbooks", "xero"):
        await connections.create_connection(
            api_ctx,
            ConnectionCreate.model_validate(
                {"system": system, "name": system, "credentials": sim_credentials(system)}
            ),
        )
    recent = NOW - dt.timedelta(hours=1)
    await _run(api_ctx, "quickbooks", recent, [200, 429, 200, 503, None])
    await _run(api_ctx, "xero", recent, [200])
    await _run(api_ctx, "xero", NOW - dt.timedelta(hours=30), [429, 429])  # outside the window

    text = (await api.get("/metrics")).text

    assert samples(text, "smartap_erp_requests_recent") == {
        (("erp", "quickbooks"),): 5,
        (("erp", "xero"),): 1,
    }
    assert samples(text, "smartap_erp_throttled_recent") == {
        (("erp", "quickbooks"),): 1,
        (("erp", "xero"),): 0,
    }
    assert samples(text, "smartap_erp_failed_recent") == {(("erp", "quickbooks"),): 2, (("erp", "xero"),): 0}
    key = (("direction", "import"), ("entity", "vendor"), ("status", "completed"))
    assert samples(text, "smartap_sync_runs_recent") == {key: 2}
    assert samples(text, "smartap_sync_run_seconds_recent") == {key: 180}
    assert samples(text, "smartap_sync_runs") == {key: 3}
    assert samples(text, "smartap_metrics_window_hours") == {(): 24}
