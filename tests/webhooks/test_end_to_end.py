"""End to end, on SQLite and PostgreSQL: a payment made inside the QuickBooks simulator, and inside the
Xero simulator, shows the invoice paid in SmartAP within seconds, with no schedule running. The
simulator (served on loopback) posts a signed webhook to the application (served on loopback from
this test's event loop), which saves it, answers and queues the payment-status job; a real worker
process (`smartap-erp worker`, the real sync engine, schedules off) runs it against the simulator and
the invoice becomes paid. The bill itself is exported beforehand by the same worker. Xero's intent to
receive check, run by its simulator against the app, passes."""

from __future__ import annotations

import asyncio
import socket
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from sqlalchemy import select

from erpsim.core import Clock, SimConfig
from erpsim.core.testing import LiveServer, live_server
from smartap_erp.api.app import create_app
from smartap_erp.app import syncs
from smartap_erp.app.connections import ConnectionCreate, create_connection
from smartap_erp.db.models import ERPConnection, ERPInvoiceLink, ERPWebhookEvent, Invoice
from smartap_erp.domain import InvoiceStatus
from smartap_erp.sync.context import SyncContext
from tests.app.simulated import SimulatedApp
from tests.jobs.conftest import Jobs
from tests.jobs.real import REAL_ENGINE
from tests.sync.export.helpers import World, add_invoices, add_vendor, map_vendor

SECRETS = {"quickbooks": "intuit-verifier-e2e", "xero": "xero-webhook-key-e2e"}
DEADLINE = 90.0  # seconds: a worker process on two shared cores


@pytest.fixture
def secrets(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("QUICKBOOKS_WEBHOOK_VERIFIER_TOKEN", SECRETS["quickbooks"])
    monkeypatch.setenv("XERO_WEBHOOK_KEY", SECRETS["xero"])


@pytest.fixture
async def app_url(api_ctx: SimulatedApp, secrets: None) -> AsyncIterator[str]:
    """The application on 127.0.0.1 at a free port, served from this test's event loop."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    config = uvicorn.Config(
        create_app(api_ctx.settings, context=api_ctx), log_level="warning", access_log=False
    )
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve(sockets=[sock]))
    async with asyncio.timeout(30):
        while not server.started:
            if task.done():
                task.result()
            await asyncio.sleep(0.01)  # yields to the server task until it is listening
    host, port = sock.getsockname()
    try:
        yield f"http://{host}:{port}"
    finally:
        server.should_exit = True
        await asyncio.wait_for(task, 30)
        sock.close()


@pytest.fixture
async def worker(api_ctx: SimulatedApp, tmp_path: Path) -> AsyncIterator[Jobs]:
    keys = api_ctx.settings.smartap_encryption_keys
    assert keys is not None
    jobs = Jobs(tmp_path, api_ctx.settings.database_url)  # ERP_SYNC_ENABLED=false: no schedule runs
    jobs.env.update(REAL_ENGINE, SMARTAP_ENCRYPTION_KEYS=keys.get_secret_value(), SMARTAP_WORKER_ID="e2e")
    await asyncio.to_thread(jobs.ready_worker)
    try:
        yield jobs
    finally:
        await asyncio.to_thread(jobs.kill_all)


@pytest.fixture(params=["quickbooks", "xero"])
def erp(request: pytest.FixtureRequest) -> Iterator[tuple[str, LiveServer]]:
    module = __import__(f"erpsim.{request.param}", fromlist=["create_app"])
    app = module.create_app(SimConfig(clock=Clock.real(), seed=5, vendors=5, purchase_orders=2, bills=2))
    with live_server(app) as server:
        yield request.param, server


async def until(what: str, check: Any) -> Any:
    """Poll `check()` until it returns something truthy, failing with `what` after `DEADLINE`."""
    deadline = time.monotonic() + DEADLINE
    while time.monotonic() < deadline:
        found = await check()
        if found:
            return found
        await asyncio.sleep(0.1)  # polled with a deadline: the worker runs in another process
    raise AssertionError(f"timed out waiting for {what}")


async def exported_invoice(
    ctx: SimulatedApp, system: str, server: LiveServer, queue: syncs.JobQueue
) -> Invoice:
    """A SmartAP invoice exported as a bill by the worker into the simulator, with its vendor mapped."""
    request = ConnectionCreate.model_validate(
        {
            "system": system,
            "name": f"{system} e2e",
            "credentials": server.sim.credentials(),
            "api_url": server.base_url,
        }
    )
    cid = (await create_connection(ctx, request)).id
    sync = SyncContext(ctx.sessions, ctx.vault, ctx.settings)
    async with ctx.sessions() as session:
        connection = await session.get_one(ERPConnection, cid)
    async with sync.connector(connection) as erp:
        info = await erp.test_connection()
        vendors = [v async for page in erp.iter_vendors() for v in page if v.is_active]
        accounts = await erp.get_accounts()
    account = next(a for a in accounts if a.is_active and "xpense" in a.account_type.lower())
    currency = vendors[0].currency or info.base_currency or "USD"
    vendor = await add_vendor(ctx.sessions, vendors[0].name, currency)
    await map_vendor(ctx.sessions, cid, vendor.id, vendors[0].external_id)
    world = World(sync, None, vendor, vendors[0], account, currency)  # type: ignore[arg-type]
    (invoice,) = await add_invoices(world, 1, prefix="E2E")
    await syncs.request_job(ctx, queue, str(cid), syncs.ExportRequest(invoices=[str(invoice.id)]))

    async def link() -> ERPInvoiceLink | None:
        async with ctx.sessions() as session:
            return await session.scalar(
                select(ERPInvoiceLink).where(ERPInvoiceLink.smartap_invoice_id == invoice.id)
            )

    await until("the export", link)
    return invoice


async def status_of(ctx: SimulatedApp, invoice_id: uuid.UUID) -> InvoiceStatus:
    async with ctx.sessions() as session:
        return (await session.get_one(Invoice, invoice_id, populate_existing=True)).status


async def test_a_payment_in_the_erp_shows_paid_in_smartap_through_its_webhook(
    api_ctx: SimulatedApp, app_url: str, worker: Jobs, erp: tuple[str, LiveServer]
) -> None:
    system, server = erp
    queue = syncs.JobQueue(api_ctx.settings)
    try:
        invoice = await exported_invoice(api_ctx, system, server, queue)
    finally:
        queue.close()
    async with api_ctx.sessions() as session:
        bill_id = await session.scalar(
            select(ERPInvoiceLink.erp_invoice_id).where(ERPInvoiceLink.smartap_invoice_id == invoice.id)
        )
    assert bill_id and await status_of(api_ctx, invoice.id) == InvoiceStatus.EXPORTED

    async with httpx.AsyncClient(base_url=server.base_url, timeout=10) as sim:
        hook = f"{app_url}/api/v1/erp/webhooks/{system}"
        configured = await sim.post(
            "/_sim/mutate", json={"op": "webhooks", "url": hook, "key": SECRETS[system]}
        )
        assert configured.status_code == 200, configured.text
        if system == "xero":  # the check Xero runs when the webhook is enabled, against the real app
            assert (
                await sim.post("/_sim/mutate", json={"op": "webhook_intent_to_receive"})
            ).status_code == 200

            async def checked() -> dict[str, Any] | None:
                answer = await sim.post("/_sim/mutate", json={"op": "webhook_status"})
                found: dict[str, Any] = answer.json()["result"]["intent_to_receive"]
                return found if found.get("state") not in (None, "running") else None

            assert (await until("the intent to receive check", checked))["state"] == "passed"
        pay_key = "bill_id" if system == "quickbooks" else "invoice_id"
        paid = await sim.post("/_sim/mutate", json={"op": "pay_bill", pay_key: bill_id})
        assert paid.status_code == 200, paid.text

        async def is_paid() -> bool:
            return await status_of(api_ctx, invoice.id) == InvoiceStatus.PAID

        await until("the invoice to be paid in SmartAP", is_paid)
        delivered = (await sim.post("/_sim/mutate", json={"op": "webhook_status"})).json()["result"]
    assert delivered["delivered"] >= 1 and delivered["dropped"] == 0
    async with api_ctx.sessions() as session:
        events = list((await session.scalars(select(ERPWebhookEvent))).all())
    assert events and any(e.status == "queued" and "payments job" in (e.detail or "") for e in events)
