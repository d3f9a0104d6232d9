"""End to end over loopback HTTP on SQLite and PostgreSQL: the worker's delivery loop (its own thread,
engine and HTTP client, as `smartap-erp worker` runs it) sends a committed event to a tiny ASGI
receiver served by `live_server`, which checks the signature with standardwebhooks' `Webhook.verify`
and answers 204; the delivery is logged delivered. The test polls the database with a deadline (the
loop runs on real time); nothing sleeps a fixed time."""

from __future__ import annotations

import asyncio
import time
from typing import Any

from sqlalchemy import select
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from erpsim.core.testing import live_server
from smartap_erp.app import events as app_events
from smartap_erp.app.context import AppContext
from smartap_erp.app.events import SubscriptionCreate
from smartap_erp.db.models import ERPEventDelivery
from smartap_erp.db.models.events import DeliveryStatus
from smartap_erp.events import record_event
from smartap_erp.events.worker import DeliveryLoop


class VerifyingReceiver:
    """An ASGI app: 204 for a delivery whose signature verifies with `secret`, 401 otherwise."""

    def __init__(self) -> None:
        self.secret = ""
        self.payloads: list[Any] = []

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        headers = {k.decode(): v.decode() for k, v in scope["headers"]}
        try:
            self.payloads.append(Webhook(self.secret).verify(body, headers))
            status = 204
        except WebhookVerificationError:
            status = 401
        await send({"type": "http.response.start", "status": status, "headers": []})
        await send({"type": "http.response.body", "body": b""})


async def test_the_worker_loop_delivers_a_committed_event_to_a_real_receiver(ctx: AppContext) -> None:
    receiver = VerifyingReceiver()
    with live_server(receiver) as server:
        created = await app_events.add_subscription(ctx, SubscriptionCreate(url=f"{server.base_url}/hooks"))
        receiver.secret = created.secret
        async with ctx.sessions() as session, session.begin():
            await record_event(session, "invoice.exported", connection_id=None, data={"invoice_id": "I-9"})
        loop = DeliveryLoop(ctx.settings, "test-worker", interval=0.05)
        loop.start()
        try:
            deadline = time.monotonic() + 30
            status = None
            while time.monotonic() < deadline:
                async with ctx.sessions() as session:
                    status = await session.scalar(select(ERPEventDelivery.status))
                if status is DeliveryStatus.DELIVERED:
                    break
                await asyncio.sleep(0.05)  # polling the database with a deadline, not waiting on luck
        finally:
            loop.stop()
    assert status is DeliveryStatus.DELIVERED
    assert [p["data"]["invoice_id"] for p in receiver.payloads] == ["I-9"]
    [delivery] = await app_events.list_deliveries(ctx)
    assert (delivery.attempts, delivery.last_status_code) == (1, 204)
