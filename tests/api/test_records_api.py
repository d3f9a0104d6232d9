"""Vendors, purchase orders and reference data over HTTP on SQLite and PostgreSQL, against the QuickBooks
simulator: vendors and purchase orders imported by the sync engine are listed with their ERP ids,
filtered by connection (one with no imports lists nothing), paged by cursor without repeats or gaps
(a forged cursor is 422), read one by id (a purchase order with its lines, money as decimal strings);
accounts and tax codes come from the ERP once and then from the cache until it is older than its bound
or `?refresh=true`, and a changed connection is never served its old answer; read keys suffice."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import httpx
from fastapi import FastAPI

from smartap_erp.app import connections
from smartap_erp.app.reference import ReferenceCache
from smartap_erp.domain.enums import ERPSystem
from smartap_erp.sync.service import ERPSyncService
from tests.api.conftest import KeyFor, SimulatedApp, bearer
from tests.jobs.dbhelpers import add_connection
from tests.sync.harness import ErpHarness

ERP = "/api/v1/erp"


def problem(response: httpx.Response, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    found: dict[str, Any] = response.json()
    return found


async def imported(api_ctx: SimulatedApp, vendors: int = 7, purchase_orders: int = 5) -> ErpHarness:
    assert api_ctx.sync is not None
    harness = await ErpHarness.start(
        ERPSystem.QUICKBOOKS, api_ctx.sync, name="Books", vendors=vendors, purchase_orders=purchase_orders
    )
    service = ERPSyncService(api_ctx.sync)
    assert (await service.import_vendors(harness.connection.id)).error_count == 0
    assert (await service.import_purchase_orders(harness.connection.id)).error_count == 0
    return harness


async def every_page(api: httpx.AsyncClient, url: str, **params: Any) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    cursor = None
    while True:
        page = await api.get(url, params={**params, **({"cursor": cursor} if cursor else {})})
        assert page.status_code == 200, page.text
        items.extend(page.json()["items"])
        cursor = page.json()["next_cursor"]
        if cursor is None:
            return items


async def test_vendors_with_their_erp_ids_by_connection_and_cursor(
    api: httpx.AsyncClient, api_ctx: SimulatedApp
) -> None:
    harness = await imported(api_ctx)

    everything = await every_page(api, f"{ERP}/vendors", limit=3)
    assert len(everything) == 7 and len({v["id"] for v in everything}) == 7
    assert [(v["name"], v["id"]) for v in everything] == sorted((v["name"], v["id"]) for v in everything)
    for vendor in everything:
        [link] = vendor["erp"]
        assert (link["connection"], link["connection_id"]) == ("Books", str(harness.connection.id))
        assert link["erp_id"] and link["last_synced_at"].endswith("Z")
    assert len({v["erp"][0]["erp_id"] for v in everything}) == 7

    by_name = await every_page(api, f"{ERP}/vendors", connection_id="Books", limit=200)
    assert [v["id"] for v in by_name] == [v["id"] for v in everything]
    await add_connection(api_ctx.sessions, "empty")
    assert (await api.get(f"{ERP}/vendors", params={"connection_id": "empty"})).json() == {
        "items": [],
        "next_cursor": None,
    }
    one = (await api.get(f"{ERP}/vendors/{everything[0]['id']}")).json()
    assert one == everything[0]

    problem(await api.get(f"{ERP}/vendors", params={"connection_id": "nowhere"}), 404)
    problem(await api.get(f"{ERP}/vendors", params={"cursor": "bm90LWEtY3Vyc29y"}), 422)
    problem(await api.get(f"{ERP}/vendors", params={"limit": 201}), 422)
    problem(await api.get(f"{ERP}/vendors/not-an-id"), 404)
    problem(await api.get(f"{ERP}/vendors/00000000-0000-0000-0000-000000000000"), 404)


async def test_purchase_orders_with_lines_and_filters(api: httpx.AsyncClient, api_ctx: SimulatedApp) -> None:
    await imported(api_ctx)

    orders = await every_page(api, f"{ERP}/purchase-orders", limit=2)
    assert len(orders) == 5 and [(o["po_number"], o["id"]) for o in orders] == sorted(
        (o["po_number"], o["id"]) for o in orders
    )
    first = orders[0]
    assert first["lines"] is None and first["erp"][0]["erp_id"] and first["erp"][0]["connection"] == "Books"
    assert isinstance(first["total"]["amount"], str) and len(first["total"]["currency"]) == 3

    detail = (await api.get(f"{ERP}/purchase-orders/{first['id']}")).json()
    assert detail["lines"] and detail["total"] == first["total"]
    assert [line["line_number"] for line in detail["lines"]] == sorted(
        line["line_number"] for line in detail["lines"]
    )
    assert sum(Decimal(line["amount"]["amount"]) for line in detail["lines"]) <= Decimal(
        first["total"]["amount"]
    )
    assert {line["amount"]["currency"] for line in detail["lines"]} == {first["total"]["currency"]}

    mine = await every_page(api, f"{ERP}/purchase-orders", vendor_id=first["vendor_id"])
    assert mine and all(o["vendor_id"] == first["vendor_id"] for o in mine)
    statuses = {o["status"] for o in orders}
    some = statuses.pop()
    assert {o["id"] for o in await every_page(api, f"{ERP}/purchase-orders", status=some)} == {
        o["id"] for o in orders if o["status"] == some
    }
    problem(await api.get(f"{ERP}/purchase-orders", params={"status": "lost"}), 422)
    problem(await api.get(f"{ERP}/purchase-orders/{first['vendor_id']}"), 404)


async def test_accounts_and_tax_codes_come_from_a_bounded_cache(
    api: httpx.AsyncClient, api_app: FastAPI, api_ctx: SimulatedApp
) -> None:
    assert api_ctx.sync is not None
    harness = await ErpHarness.start(ERPSystem.QUICKBOOKS, api_ctx.sync, name="Books", vendors=1)
    now = [dt.datetime(2026, 3, 1, 12, tzinfo=dt.UTC)]
    cache = api_app.state.reference_cache = ReferenceCache(clock=lambda: now[0])  # a clock the test moves
    url = f"{ERP}/connections/Books/accounts"

    first = await api.get(url)
    assert first.status_code == 200, first.text
    asked = harness.sim.stats.total
    body = first.json()
    assert body["from_cache"] is False and body["accounts"] and body["connection"] == "Books"
    again = (await api.get(url)).json()
    assert again["from_cache"] is True and again["accounts"] == body["accounts"]
    assert again["read_at"] == body["read_at"] and harness.sim.stats.total == asked  # the ERP was not asked

    fresh = (await api.get(url, params={"refresh": "true"})).json()
    assert fresh["from_cache"] is False and harness.sim.stats.total > asked
    asked = harness.sim.stats.total
    now[0] += cache.max_age
    assert (await api.get(url)).json()["from_cache"] is False and harness.sim.stats.total > asked

    taxes = (await api.get(f"{ERP}/connections/{harness.connection.id}/tax-codes")).json()
    assert taxes["from_cache"] is False and taxes["tax_codes"]
    rated = [t for t in taxes["tax_codes"] if t["rate"] is not None]
    assert all(isinstance(t["rate"], str) for t in rated)
    assert (await api.get(f"{ERP}/connections/Books/tax-codes")).json()["from_cache"] is True

    # A changed connection (here renamed) is a new key: its old answer is not served.
    await connections.update_connection(api_ctx, "Books", connections.ConnectionUpdate(name="Books US"))
    renamed = (await api.get(f"{ERP}/connections/Books US/tax-codes")).json()
    assert renamed["from_cache"] is False and renamed["connection"] == "Books US"
    problem(await api.get(f"{ERP}/connections/nowhere/accounts"), 404)


async def test_read_keys_suffice_and_no_key_is_refused(
    anon: httpx.AsyncClient, key_for: KeyFor, api_ctx: SimulatedApp
) -> None:
    read = bearer(await key_for("read"))
    for path in ("vendors", "purchase-orders"):
        problem(await anon.get(f"{ERP}/{path}"), 401)
        assert (await anon.get(f"{ERP}/{path}", headers=read)).status_code == 200
