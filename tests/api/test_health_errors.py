"""A connection's health over HTTP, on SQLite and PostgreSQL, after real runs against the QuickBooks
simulator: a run whose 429s outlast the retries is logged `rate_limit`, one whose tokens the ERP
refuses `auth` (the connection in error, its `auth` entry linked to that run); the `errors` list gives
each error's kind, message (no token), time and sync log link, newest first, and the log's detail
says the same kind. The list is bounded, and a run refused record by record (export of invoices that
may not go) is `validation`."""

from __future__ import annotations

import contextlib
import datetime as dt
import uuid

import httpx

from erpsim.core.faults import FaultPlan
from smartap_erp.db.models import ERPConnection
from smartap_erp.domain.enums import ERPEntity, ERPSystem, SyncDirection
from smartap_erp.errors import ERPAuthError, ERPRateLimitError
from smartap_erp.sync.logs import finish_log, start_log
from smartap_erp.sync.service import ERPSyncService
from tests.api.conftest import SimulatedApp
from tests.app.simulated import T0
from tests.sync.harness import ErpHarness

URL = "/api/v1/erp/connections"
LOGS = "/api/v1/erp/sync-logs"


async def test_rate_limit_and_auth_failures_show_with_their_kind_and_log(
    api: httpx.AsyncClient, api_ctx: SimulatedApp
) -> None:
    assert api_ctx.sync is not None
    harness = await ErpHarness.start(ERPSystem.QUICKBOOKS, api_ctx.sync, name="Books", vendors=3)
    cid = harness.connection.id
    service = ERPSyncService(api_ctx.sync)

    harness.sim.set_fault_plan(FaultPlan.parse("next429=50"))  # more 429s than the retries sit out
    with contextlib.suppress(ERPRateLimitError):
        await service.import_vendors(cid)
    harness.sim.set_fault_plan(FaultPlan.parse(""))

    revoked = {**harness.sim.credentials(), "access_token": "expired-token", "refresh_token": "revoked-token"}
    assert (await api.patch(f"{URL}/{cid}", json={"credentials": revoked})).status_code == 200
    with contextlib.suppress(ERPAuthError):
        await service.import_vendors(cid)

    health = (await api.get(f"{URL}/{cid}/health")).json()
    assert health["healthy"] is False
    errors = health["errors"]
    assert [(e["type"], e["kind"]) for e in errors] == [("auth", "auth"), ("sync", "rate_limit")]
    auth, throttled = errors
    assert auth["message"].startswith("reconnect QuickBooks")
    assert "revoked-token" not in str(health) and "expired-token" not in str(health)
    assert auth["at"] >= throttled["at"]  # newest first
    for error in errors:
        assert error["sync_log_url"] == f"{LOGS}/{error['sync_log_id']}"
        detail = (await api.get(error["sync_log_url"])).json()
        assert detail["error_kind"] == error["kind"] and detail["status"] == "failed"
    listed = (await api.get(LOGS, params={"connection_id": str(cid)})).json()["items"]
    assert [item["error_kind"] for item in listed] == ["auth", "rate_limit"]


async def test_errors_are_bounded_and_newest_first(api: httpx.AsyncClient, api_ctx: SimulatedApp) -> None:
    assert api_ctx.sync is not None
    harness = await ErpHarness.start(ERPSystem.QUICKBOOKS, api_ctx.sync, name="Busy")
    ids = []
    async with api_ctx.sessions() as session:
        connection = await session.get(ERPConnection, harness.connection.id)
        assert connection is not None
        for n in range(13):
            at = T0 + dt.timedelta(minutes=n)
            log = await start_log(
                session, connection, entity=ERPEntity.VENDOR, direction=SyncDirection.IMPORT, now=at
            )
            failure = ERPRateLimitError("throttled", erp=ERPSystem.QUICKBOOKS, status=429)
            finish_log(
                log, connection, total=1, succeeded=0, errors=[], now=at, error_message="x", failure=failure
            )
            ids.append(str(log.id))
        await session.commit()
    errors = (await api.get(f"{URL}/{harness.connection.id}/health")).json()["errors"]
    assert [e["sync_log_id"] for e in errors] == ids[::-1][:10]
    assert {e["kind"] for e in errors} == {"rate_limit"}
    assert uuid.UUID(errors[0]["sync_log_id"])
