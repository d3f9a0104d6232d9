"""Outbound events over the REST API on SQLite and PostgreSQL: subscriptions need an admin key (the
secret is in the creation response only, never in a list, a read or the table), a non-http URL and an
unknown event type are 422 naming the field; events and the delivery log need a read key, replay a
write key (202, the new delivery in the log; unknown ids 404; a disabled subscription 409)."""

from __future__ import annotations

import datetime as dt

import httpx
from sqlalchemy import select

from smartap_erp.db.models import ERPEventSubscription
from smartap_erp.events import record_event
from smartap_erp.events.delivery import dispatch
from tests.api.conftest import KeyFor, SimulatedApp, bearer

EVENTS = "/api/v1/erp/events"
SUBS = f"{EVENTS}/subscriptions"


async def _event(ctx: SimulatedApp) -> str:
    async with ctx.sessions() as session, session.begin():
        event = await record_event(session, "sync.failed", connection_id=None, data={"error_message": "boom"})
    return str(event.id)


async def test_subscriptions_are_admin_only_and_the_secret_is_shown_once(
    api: httpx.AsyncClient, anon: httpx.AsyncClient, api_ctx: SimulatedApp, key_for: KeyFor
) -> None:
    write = bearer(await key_for("write"))
    body = {"url": "https://smartap.example/hooks", "event_types": ["sync.failed", "invoice.exported"]}
    assert (await anon.post(SUBS, json=body)).status_code == 401
    assert (await anon.post(SUBS, json=body, headers=write)).status_code == 403
    assert (await anon.get(SUBS, headers=write)).status_code == 403
    created = await api.post(SUBS, json=body)
    assert created.status_code == 201, created.text
    made = created.json()
    secret = made["secret"]
    assert secret.startswith("whsec_") and made["event_types"] == ["invoice.exported", "sync.failed"]
    assert made["enabled"] is True and made["created_by"].startswith("api-key:")
    listed = await api.get(SUBS)
    one = await api.get(f"{SUBS}/{made['id']}")
    patched = await api.patch(f"{SUBS}/{made['id']}", json={"enabled": False, "all_event_types": True})
    assert patched.status_code == 200 and patched.json()["event_types"] is None
    assert patched.json()["disabled_reason"] == "disabled by a person"
    for response in (listed, one, patched):
        assert secret not in response.text and '"secret"' not in response.text
    async with api_ctx.sessions() as session:
        row = (await session.scalars(select(ERPEventSubscription))).one()
        assert secret.encode() not in row.secret
    removed = await api.delete(f"{SUBS}/{made['id']}")
    assert removed.status_code == 200 and (await api.get(SUBS)).json() == []
    assert (await api.get(f"{SUBS}/{made['id']}")).status_code == 404


async def test_bad_urls_and_types_are_422_naming_the_field(api: httpx.AsyncClient) -> None:
    for url in ("ftp://smartap.example/hooks", "javascript:alert(1)", "https://", "https://x.example/#frag"):
        refused = await api.post(SUBS, json={"url": url})
        assert refused.status_code == 422, url
        assert "url" in refused.text
    wrong_type = await api.post(SUBS, json={"url": "https://a.example/h", "event_types": ["invoice.exportd"]})
    assert wrong_type.status_code == 422 and "event_types" in wrong_type.text
    empty = await api.post(SUBS, json={"url": "https://a.example/h", "event_types": []})
    assert empty.status_code == 422


async def test_events_deliveries_and_replay(
    api: httpx.AsyncClient, anon: httpx.AsyncClient, api_ctx: SimulatedApp, key_for: KeyFor
) -> None:
    read, write = bearer(await key_for("read")), bearer(await key_for("write"))
    made = (await api.post(SUBS, json={"url": "http://127.0.0.1:9/hooks"})).json()
    event_id = await _event(api_ctx)
    later = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=1)
    assert await dispatch(api_ctx.sessions, now=later) == 1
    types = await anon.get(f"{EVENTS}/types", headers=read)
    assert "reconciliation.drift" in types.json()
    listed = await anon.get(EVENTS, headers=read, params={"type": "sync.failed"})
    assert [e["id"] for e in listed.json()] == [event_id]
    assert listed.json()[0]["data"] == {"error_message": "boom"}
    deliveries = (await anon.get(f"{EVENTS}/deliveries", headers=read)).json()
    assert [(d["event_id"], d["status"], d["attempts"]) for d in deliveries] == [(event_id, "pending", 0)]
    assert (await anon.get(f"{EVENTS}/deliveries", headers=read, params={"failed": True})).json() == []
    detail = await anon.get(f"{EVENTS}/deliveries/{deliveries[0]['id']}", headers=read)
    assert detail.status_code == 200 and detail.json()["attempt_log"] == []

    assert (await anon.post(f"{EVENTS}/{event_id}/replay", headers=read)).status_code == 403
    replayed = await anon.post(f"{EVENTS}/deliveries/{deliveries[0]['id']}/replay", headers=write)
    assert replayed.status_code == 202, replayed.text
    [again] = replayed.json()["deliveries"]
    assert again["replay_of"] == deliveries[0]["id"] and again["subscription_id"] == made["id"]
    by_event = await anon.post(f"{EVENTS}/{event_id}/replay", headers=write)
    assert by_event.status_code == 202 and len(by_event.json()["deliveries"]) == 1
    assert len((await anon.get(f"{EVENTS}/deliveries", headers=read)).json()) == 3

    assert (await api.post(f"{EVENTS}/deliveries/not-an-id/replay")).status_code == 404
    assert (await api.post(f"{EVENTS}/00000000-0000-0000-0000-000000000000/replay")).status_code == 404
    await api.patch(f"{SUBS}/{made['id']}", json={"enabled": False})
    refused = await api.post(f"{EVENTS}/deliveries/{deliveries[0]['id']}/replay")
    assert refused.status_code == 409 and "disabled" in refused.text
