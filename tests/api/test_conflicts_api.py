"""Conflicts over HTTP on SQLite and PostgreSQL: a vendor edited in SmartAP and in the QuickBooks
simulator, imported under the `manual` policy, is listed and shown with both values side by side;
resolving it keeps the ERP's side through the sync engine (SmartAP's vendor changes, a sync log is
written, `resolved_by` defaults to the key's name) and a second resolution is 409; the list filters by
connection, entity and status and pages by cursor; refusals as problem documents (unknown 404, bad
side or cursor 422); reading needs `read`, resolving `write`."""

from __future__ import annotations

import datetime as dt
import uuid

import httpx
from sqlalchemy import select

from smartap_erp.app import api_keys
from smartap_erp.app.api_keys import APIKeyCreate, Scope
from smartap_erp.db.models import ERPConflict, ERPVendorLink, Vendor
from smartap_erp.domain.enums import ERPEntity
from tests.api.conftest import SimulatedApp, bearer
from tests.api.test_connections_api import problem
from tests.app.simulated import T0
from tests.app.test_conflicts import _conflict
from tests.app.test_logs import _connection

URL = "/api/v1/erp/conflicts"


async def test_show_and_resolve_keeping_the_erp_side(anon: httpx.AsyncClient, api_ctx: SimulatedApp) -> None:
    erp_id = await _conflict(api_ctx)
    made = await api_keys.create(api_ctx, APIKeyCreate(name="ap clerk", scope=Scope.WRITE))
    headers = bearer(made.key)

    listed = (await anon.get(URL, params={"connection_id": "Books"}, headers=headers)).json()
    [item] = listed["items"]
    assert (item["connection"], item["entity"], item["erp_record_id"]) == ("Books", "vendor", erp_id)
    assert item["status"] == "open" and listed["next_cursor"] is None

    shown = (await anon.get(f"{URL}/{item['id']}", headers=headers)).json()
    terms = next(f for f in shown["fields"] if f["field"] == "payment_terms")
    assert terms["smartap"] == "SmartAP terms" and terms["differs"] is True
    assert terms["erp"] == shown["erp_version"]["payment_terms"] != "SmartAP terms"
    assert {f["field"] for f in shown["fields"] if f["differs"]} == set(shown["differs_in"])
    assert all(f["smartap"] == f["erp"] for f in shown["fields"] if not f["differs"])

    resolved = await anon.post(f"{URL}/{item['id']}/resolve", json={"keep": "erp"}, headers=headers)

    assert resolved.status_code == 200, resolved.text
    after = resolved.json()
    assert (after["status"], after["resolution"], after["resolved_by"]) == (
        "resolved",
        "erp",
        "api key ap clerk",
    )
    async with api_ctx.sessions() as session:
        kept = await session.scalar(
            select(Vendor.payment_terms)
            .join(ERPVendorLink, ERPVendorLink.smartap_vendor_id == Vendor.id)
            .where(ERPVendorLink.erp_vendor_id == erp_id)
        )
    assert kept == terms["erp"]
    logs = (
        await anon.get("/api/v1/erp/sync-logs", params={"text": "api key ap clerk"}, headers=headers)
    ).json()
    assert len(logs["items"]) == 1 and logs["items"][0]["entity"] == "vendor"

    again = problem(
        await anon.post(f"{URL}/{item['id']}/resolve", json={"keep": "smartap"}, headers=headers), 409
    )
    assert "already resolved" in again["detail"]
    assert (await anon.get(URL, headers=headers)).json()["items"] == []
    everything = (await anon.get(URL, params={"include_resolved": "true"}, headers=headers)).json()
    assert [c["id"] for c in everything["items"]] == [item["id"]]


async def _stored(api_ctx: SimulatedApp, connection_id: uuid.UUID, minute: int, entity: ERPEntity) -> str:
    async with api_ctx.sessions() as session, session.begin():
        conflict = ERPConflict(
            connection_id=connection_id,
            entity_type=entity,
            erp_record_id=f"E{minute}",
            smartap_version={"name": "ours", "n": minute},
            erp_version={"name": "theirs", "n": minute},
            created_at=T0 + dt.timedelta(minutes=minute),
        )
        session.add(conflict)
    return str(conflict.id)


async def test_list_filters_and_pages(api: httpx.AsyncClient, api_ctx: SimulatedApp) -> None:
    books, other = await _connection(api_ctx, "Books"), await _connection(api_ctx, "Other")
    vendors = [await _stored(api_ctx, books, minute, ERPEntity.VENDOR) for minute in range(3)]
    order = await _stored(api_ctx, other, 5, ERPEntity.PURCHASE_ORDER)

    first = (await api.get(URL, params={"limit": 2})).json()
    assert [c["id"] for c in first["items"]] == [order, vendors[2]] and first["next_cursor"]
    await _stored(api_ctx, books, 9, ERPEntity.VENDOR)  # new meanwhile: the next page is not shifted
    second = (await api.get(URL, params={"limit": 2, "cursor": first["next_cursor"]})).json()
    assert [c["id"] for c in second["items"]] == vendors[1::-1] and second["next_cursor"] is None

    by_entity = (await api.get(URL, params={"entity_type": "purchase_order"})).json()
    assert [c["id"] for c in by_entity["items"]] == [order]
    by_connection = (await api.get(URL, params={"connection_id": str(other)})).json()
    assert [c["id"] for c in by_connection["items"]] == [order]

    problem(await api.get(URL, params={"connection_id": "Nope"}), 404)
    assert "start again" in problem(await api.get(URL, params={"cursor": "bad"}), 422)["detail"]
    problem(await api.get(URL, params={"limit": 0}), 422)
    problem(await api.get(f"{URL}/{uuid.uuid4()}"), 404)
    problem(await api.get(f"{URL}/not-an-id"), 404)
    side = problem(await api.post(f"{URL}/{vendors[0]}/resolve", json={"keep": "both"}), 422)
    assert side["errors"][0]["pointer"] == "/body/keep"
    problem(await api.post(f"{URL}/{uuid.uuid4()}/resolve", json={"keep": "erp"}), 404)


async def test_scopes(anon: httpx.AsyncClient, api_ctx: SimulatedApp) -> None:
    conflict = await _stored(api_ctx, await _connection(api_ctx, "Books"), 0, ERPEntity.VENDOR)
    read = bearer((await api_keys.create(api_ctx, APIKeyCreate(name="r", scope=Scope.READ))).key)
    assert (await anon.get(f"{URL}/{conflict}", headers=read)).status_code == 200
    problem(await anon.post(f"{URL}/{conflict}/resolve", json={"keep": "erp"}, headers=read), 403)
    problem(await anon.get(URL), 401)
