"""A run's HTTP exchanges over HTTP, on SQLite and PostgreSQL: the requests a run sends through the
client stack while its sync log is open (every retry attempt its own exchange, a 429 the retry loop
sat out included) are written with the log when it closes and served by the log's detail, with the
URL redacted and the ERP's error code; a run keeps its first exchanges and its failures and counts
the rest; nothing is recorded outside a run."""

from __future__ import annotations

import contextlib
import json
import uuid

import httpx

from smartap_erp.db.models import ERPConnection
from smartap_erp.domain import ERPEntity, SyncDirection
from smartap_erp.http.client import build_transport
from smartap_erp.http.clock import ManualClock
from smartap_erp.http.recorder import ExchangeRecorder, RecordingTransport, erp_error_code, recording
from smartap_erp.http.retry import RetryPolicy
from smartap_erp.sync.logs import finish_log, start_log
from tests.api.conftest import SimulatedApp
from tests.app.simulated import T0
from tests.app.test_logs import _connection

SECRET = "s3cr3t-t0ken-value"


def erp(request: httpx.Request) -> httpx.Response:
    """A fake ERP: `/busy` answers 429 once then 200, `/bad` a QuickBooks fault, else 200."""
    if request.url.path == "/busy":
        erp.calls = getattr(erp, "calls", 0) + 1
        if erp.calls == 1:
            return httpx.Response(429, headers={"Retry-After": "1"}, text="slow down")
    if request.url.path == "/bad":
        return httpx.Response(400, json={"Fault": {"Error": [{"code": "6240", "Detail": "dup"}]}})
    return httpx.Response(200, json={})


async def run_with_requests(ctx: SimulatedApp, connection_id: uuid.UUID, paths: list[str]) -> uuid.UUID:
    clock = ManualClock()
    erp.calls = 0
    stack = build_transport(
        transport=RecordingTransport(httpx.MockTransport(erp)),
        retry=RetryPolicy(),
        clock=clock,
        sleep=clock.sleep,
        random=lambda: 0.0,
    )
    async with ctx.sessions() as session:
        connection = await session.get(ERPConnection, connection_id)
        assert connection is not None
        log = await start_log(
            session, connection, entity=ERPEntity.VENDOR, direction=SyncDirection.IMPORT, now=T0
        )
        await session.commit()
        async with httpx.AsyncClient(transport=stack, base_url="https://erp.example") as client:
            for path in paths:
                await client.get(path, params={"access_token": SECRET, "page": 2})
        finish_log(log, connection, total=1, succeeded=1, errors=[], now=T0)
        await session.commit()
        return log.id


async def test_detail_serves_the_exchanges(api: httpx.AsyncClient, api_ctx: SimulatedApp) -> None:
    books = await _connection(api_ctx, "Books")
    log_id = await run_with_requests(api_ctx, books, ["/vendors", "/busy", "/bad"])

    response = await api.get(f"/api/v1/erp/sync-logs/{log_id}")
    assert response.status_code == 200, response.text
    body = response.json()
    assert SECRET not in response.text
    got = [(e["seq"], e["method"], e["status"], e["erp_code"]) for e in body["exchanges"]]
    assert got == [
        (1, "GET", 200, None),
        (2, "GET", 429, None),
        (3, "GET", 200, None),
        (4, "GET", 400, "6240"),
    ]
    first = body["exchanges"][0]
    assert first["url"].startswith("https://erp.example/vendors?") and "page=2" in first["url"]
    assert first["duration_ms"] >= 0 and first["at"].endswith("Z") and first["error"] is None
    assert body["exchanges_omitted"] == 0


async def test_bounded_keeps_failures_and_counts_the_rest(
    api: httpx.AsyncClient, api_ctx: SimulatedApp
) -> None:
    books = await _connection(api_ctx, "Books")
    recorder_keep = 200
    log_id = await run_with_requests(api_ctx, books, ["/ok"] * (recorder_keep + 5) + ["/bad"])
    body = (await api.get(f"/api/v1/erp/sync-logs/{log_id}")).json()
    assert len(body["exchanges"]) == recorder_keep + 1
    assert body["exchanges"][-1]["seq"] == recorder_keep + 6 and body["exchanges"][-1]["status"] == 400
    assert body["exchanges_omitted"] == 5


async def test_nothing_recorded_outside_a_run_and_transport_errors() -> None:
    def down(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused", request=request)

    transport = RecordingTransport(httpx.MockTransport(down))
    async with httpx.AsyncClient(transport=transport) as client:
        with contextlib.suppress(httpx.ConnectError):
            await client.get("https://erp.example/x")
        with recording(ExchangeRecorder()) as recorder, contextlib.suppress(httpx.ConnectError):
            await client.post("https://erp.example/y")
    assert [(e.method, e.status, e.error) for e in recorder.kept] == [("POST", None, "ConnectError")]


def test_erp_error_codes() -> None:
    def code(body: object) -> str | None:
        return erp_error_code(json.dumps(body).encode())

    assert code({"error": {"code": -10, "message": {"value": "x"}}}) == "-10"  # SAP
    assert code({"o:errorDetails": [{"o:errorCode": "INVALID_VALUE"}]}) == "INVALID_VALUE"  # NetSuite
    assert code({"ErrorNumber": 10, "Type": "ValidationException"}) == "ValidationException"  # Xero
    assert code({"error": "invalid_grant"}) == "invalid_grant"  # OAuth token endpoint
    assert code([1]) is None and erp_error_code(b"Too many requests") is None
