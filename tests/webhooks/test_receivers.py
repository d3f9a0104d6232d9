"""The webhook receivers over HTTP, on SQLite and PostgreSQL: a good signature is answered 200 with no
body and no cookies, the events saved and, after the answer, one targeted job requested per connection
and kind (payments for bills and invoices, vendors for vendors and contacts; an identical one joined);
a missing or wrong signature, or no secret configured, is 401 with no body and nothing saved; a
redelivered event is ignored; one request naming several companies reaches each company's connection,
a company no connection syncs is acknowledged, logged and kept as unmatched; a signed body that is not
the payload is acknowledged; Xero's intent-to-receive check gets 200 for a right signature and 401 for
a wrong one; a job that cannot be queued is logged and leaves its events failed. Jobs are only
queued here (no worker runs): read back from the request table."""

from __future__ import annotations

import json
import logging
import uuid
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from smartap_erp.app import syncs, webhooks
from smartap_erp.app.connections import ConnectionCreate, create_connection
from smartap_erp.app.webhook_payloads import sign
from smartap_erp.db.models import ERPSyncRequest, ERPWebhookEvent
from tests.app.simulated import SimulatedApp, sim_credentials

QBO = "/api/v1/erp/webhooks/quickbooks"
XERO = "/api/v1/erp/webhooks/xero"
QBO_TOKEN = "intuit-verifier-token-test"
XERO_KEY = "xero-webhook-key-test"


@pytest.fixture(autouse=True)
def secrets(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("QUICKBOOKS_WEBHOOK_VERIFIER_TOKEN", QBO_TOKEN)
    monkeypatch.setenv("XERO_WEBHOOK_KEY", XERO_KEY)


async def add(ctx: SimulatedApp, system: str, name: str, **credentials: str) -> uuid.UUID:
    request = ConnectionCreate.model_validate(
        {"system": system, "name": name, "credentials": {**sim_credentials(system), **credentials}}
    )
    return (await create_connection(ctx, request)).id


def legacy(*notes: tuple[str, list[tuple[str, str, str]]]) -> bytes:
    body = {
        "eventNotifications": [
            {
                "realmId": realm,
                "dataChangeEvent": {
                    "entities": [
                        {"name": n, "id": i, "operation": op, "lastUpdated": "2026-12-01T10:00:00.000Z"}
                        for n, i, op in entities
                    ]
                },
            }
            for realm, entities in notes
        ]
    }
    return json.dumps(body).encode()


def xero_body(*events: tuple[str, str, str]) -> bytes:
    body = {
        "events": [
            {
                "resourceUrl": f"https://api.xero.com/api.xro/2.0/Things/{ident}",
                "resourceId": ident,
                "eventDateUtc": "2026-12-01T10:00:00.000",
                "eventType": "UPDATE",
                "eventCategory": category,
                "tenantId": tenant,
                "tenantType": "ORGANISATION",
            }
            for tenant, category, ident in events
        ],
        "firstEventSequence": 1,
        "lastEventSequence": len(events),
        "entropy": "ABCDEFGHIJ",
    }
    return json.dumps(body).encode()


async def post(client: httpx.AsyncClient, path: str, body: bytes, signature: str | None) -> httpx.Response:
    header = "intuit-signature" if path == QBO else "x-xero-signature"
    headers = {"content-type": "application/json", **({header: signature} if signature is not None else {})}
    return await client.post(path, content=body, headers=headers)


def assert_bare(response: httpx.Response, status: int) -> None:
    assert response.status_code == status, response.text
    assert response.content == b""
    assert "set-cookie" not in response.headers


async def requested(ctx: SimulatedApp) -> set[tuple[uuid.UUID, str]]:
    async with ctx.sessions() as session:
        rows = await session.execute(select(ERPSyncRequest.connection_id, ERPSyncRequest.request_key))
        return {(cid, key.split("|")[0] + ":" + key.split("|")[1]) for cid, key in rows}


async def events(ctx: SimulatedApp) -> list[ERPWebhookEvent]:
    async with ctx.sessions() as session:
        return list((await session.scalars(select(ERPWebhookEvent).order_by(ERPWebhookEvent.entity))).all())


async def test_quickbooks_events_of_several_companies_queue_targeted_jobs_after_a_bare_200(
    anon: httpx.AsyncClient, api_ctx: SimulatedApp, caplog: pytest.LogCaptureFixture
) -> None:
    first = await add(api_ctx, "quickbooks", "Books A", realm_id="1111")
    second = await add(api_ctx, "quickbooks", "Books B", realm_id="2222")
    await add(api_ctx, "quickbooks", "Books C", realm_id="3333")  # no event for it
    body = legacy(
        ("1111", [("Bill", "146", "Update"), ("BillPayment", "9", "Create")]),
        ("2222", [("Vendor", "7", "Update"), ("Account", "3", "Update")]),
        ("9999", [("Bill", "1", "Update")]),  # a company no connection syncs
    )
    with caplog.at_level(logging.INFO):
        assert_bare(await post(anon, QBO, body, sign(QBO_TOKEN, body)), 200)

    assert await requested(api_ctx) == {(first, "payments:"), (second, "sync:vendor")}
    saved = {(e.account_id, e.entity): (e.status, e.detail or "") for e in await events(api_ctx)}
    assert saved[("1111", "Bill")][0] == saved[("1111", "BillPayment")][0] == "queued"
    assert saved[("1111", "Bill")][1] == saved[("1111", "BillPayment")][1]  # one job for both
    assert saved[("2222", "Vendor")][0] == "queued" and "vendor job" in saved[("2222", "Vendor")][1]
    assert saved[("2222", "Account")][0] == "ignored"
    assert saved[("9999", "Bill")] == ("unmatched", "no connection syncs quickbooks company 9999")
    assert "company 9999 acknowledged: no connection syncs it" in caplog.text
    assert QBO_TOKEN not in caplog.text

    # Intuit redelivers what it thinks was not acknowledged: nothing new is saved or queued.
    assert_bare(await post(anon, QBO, body, sign(QBO_TOKEN, body)), 200)
    assert len(await events(api_ctx)) == 5
    assert await requested(api_ctx) == {(first, "payments:"), (second, "sync:vendor")}


async def test_cloudevents_for_a_paused_or_broken_connection_queue_nothing(
    anon: httpx.AsyncClient, api_ctx: SimulatedApp
) -> None:
    request = ConnectionCreate.model_validate(
        {
            "system": "quickbooks",
            "name": "Paused",
            "credentials": {**sim_credentials("quickbooks"), "realm_id": "4444"},
            "auto_sync": False,
        }
    )
    await create_connection(api_ctx, request)
    body = json.dumps(
        [
            {
                "specversion": "1.0",
                "id": "evt-1",
                "source": "intuit.x",
                "type": "qbo.bill.updated.v1",
                "time": "2026-12-01T10:00:00.000Z",
                "intuitentityid": "146",
                "intuitaccountid": "4444",
                "data": {},
            }
        ]
    ).encode()
    assert_bare(await post(anon, QBO, body, sign(QBO_TOKEN, body)), 200)
    assert await requested(api_ctx) == set()
    (event,) = await events(api_ctx)
    assert (event.dedupe_key, event.status) == ("ce|evt-1", "unmatched")


@pytest.mark.parametrize("path", [QBO, XERO])
async def test_a_missing_or_wrong_signature_is_a_bare_401_and_nothing_is_saved(
    anon: httpx.AsyncClient, api_ctx: SimulatedApp, path: str
) -> None:
    key = QBO_TOKEN if path == QBO else XERO_KEY
    body = legacy(("1111", [("Bill", "1", "Update")])) if path == QBO else xero_body(("t", "INVOICE", "i"))
    assert_bare(await post(anon, path, body, None), 401)
    assert_bare(await post(anon, path, body, sign("not the key", body)), 401)
    assert_bare(await post(anon, path, body + b"\n", sign(key, body)), 401)  # the bytes changed
    assert await events(api_ctx) == []


@pytest.mark.parametrize("path", [QBO, XERO])
async def test_with_no_secret_configured_everything_is_refused(
    anon: httpx.AsyncClient, api_ctx: SimulatedApp, path: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("QUICKBOOKS_WEBHOOK_VERIFIER_TOKEN")
    monkeypatch.delenv("XERO_WEBHOOK_KEY")
    body = xero_body()
    assert_bare(await post(anon, path, body, sign("", body)), 401)
    assert_bare(await post(anon, path, body, sign(QBO_TOKEN, body)), 401)


async def test_a_signed_body_that_is_not_the_payload_is_acknowledged(
    anon: httpx.AsyncClient, api_ctx: SimulatedApp, caplog: pytest.LogCaptureFixture
) -> None:
    body = b'{"hello": "world"}'
    assert_bare(await post(anon, QBO, body, sign(QBO_TOKEN, body)), 200)
    assert "acknowledged but unreadable" in caplog.text
    assert await events(api_ctx) == []


async def test_xero_intent_to_receive(anon: httpx.AsyncClient, api_ctx: SimulatedApp) -> None:
    for entropy in ("S0m3r4Nd0mt3xt", "AnotherOne"):
        body = json.dumps(
            {"events": [], "firstEventSequence": 0, "lastEventSequence": 0, "entropy": entropy}
        ).encode()
        assert_bare(await post(anon, XERO, body, sign(XERO_KEY, body)), 200)
        assert_bare(await post(anon, XERO, body, sign(XERO_KEY + "x", body)), 401)
    assert await events(api_ctx) == []


async def test_xero_contacts_and_invoices_by_tenant(anon: httpx.AsyncClient, api_ctx: SimulatedApp) -> None:
    tenant = sim_credentials("xero")["tenant_id"]
    connection = await add(api_ctx, "xero", "Xero NZ")
    body = xero_body(
        (tenant.upper(), "CONTACT", "c1"),
        (tenant, "INVOICE", "i1"),
        (tenant, "INVOICE", "i2"),
        (tenant, "SUBSCRIPTION", "s1"),
        ("00000000-0000-0000-0000-000000000000", "INVOICE", "i3"),
    )
    assert_bare(await post(anon, XERO, body, sign(XERO_KEY, body)), 200)
    assert await requested(api_ctx) == {(connection, "payments:"), (connection, "sync:vendor")}
    statuses = sorted((e.entity, e.entity_id, e.status) for e in await events(api_ctx))
    assert statuses == [
        ("CONTACT", "c1", "queued"),
        ("INVOICE", "i1", "queued"),
        ("INVOICE", "i2", "queued"),
        ("INVOICE", "i3", "unmatched"),
        ("SUBSCRIPTION", "s1", "ignored"),
    ]


class BrokenQueue(syncs.JobQueue):
    """A job queue whose database cannot be reached."""

    async def client(self) -> Any:
        raise ConnectionError("the system database is down")


async def test_a_job_that_cannot_be_queued_leaves_its_events_failed_and_is_logged(
    api_ctx: SimulatedApp, caplog: pytest.LogCaptureFixture
) -> None:
    connection = await add(api_ctx, "quickbooks", "Books A", realm_id="1111")
    body = legacy(("1111", [("Bill", "146", "Update")]))
    received = await webhooks.receive(api_ctx, "quickbooks", body, sign(QBO_TOKEN, body))
    assert len(received.new_ids) == 1
    dispatched = await webhooks.dispatch(
        api_ctx, BrokenQueue(api_ctx.settings), "quickbooks", received.new_ids
    )
    assert dispatched.jobs == {} and dispatched.failed == [f"payments of connection {connection}"]
    (event,) = await events(api_ctx)
    assert (event.status, event.detail) == ("failed", "the job could not be requested")
    assert "could not request the payments job" in caplog.text and "system database is down" in caplog.text
