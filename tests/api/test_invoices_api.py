"""Invoices over HTTP on SQLite and PostgreSQL: a pushed batch is checked item by item as a JSON import
file is (a result per item, exact decimals, one object or a list, a body that is not JSON a 422);
approval by number or id; an export queued 202 (never run in the request) whose `Idempotency-Key`
replays the same job and refuses another request; a payment sync queued per connection holding the
bill (409 before any); status from not synced to synced with the bill id and the amount paid; scopes."""

from __future__ import annotations

import datetime as dt
import json
import uuid
from typing import Any

import httpx
from sqlalchemy import func, select

from smartap_erp.db.models import ERPInvoiceLink, ERPSyncLog, Vendor
from smartap_erp.domain.enums import PaymentStatus
from smartap_erp.jobs.workflows import EXPORT_WORKFLOW, PAYMENTS_WORKFLOW
from tests.api.conftest import KeyFor, SimulatedApp, bearer
from tests.jobs.dbhelpers import add_connection

URL = "/api/v1/erp/invoices"
NOW = dt.datetime(2026, 3, 1, 12, tzinfo=dt.UTC)


def invoice(number: str, vendor: str = "Acme Paper", amount: str = "10.00", day: int = 1) -> dict[str, Any]:
    return {
        "invoice_number": number,
        "vendor": vendor,
        "invoice_date": f"2024-05-{day:02d}",
        "currency": "USD",
        "lines": [{"description": "Paper", "amount": amount, "account_code": "6000"}],
    }


async def add_vendors(api_ctx: SimulatedApp) -> None:
    async with api_ctx.sessions() as session:
        for name, tax_id in (("Acme Paper", "12-3456789"), ("Beta Office", "98-7654321")):
            session.add(Vendor(name=name, normalized_name=name.lower(), tax_id=tax_id))
        await session.commit()


async def add_link(
    api_ctx: SimulatedApp, connection_id: uuid.UUID, invoice_id: str, bill_id: str, **columns: Any
) -> None:
    """The proof an ERP holds the invoice's bill, as an export (and a payment sync) store it."""
    async with api_ctx.sessions() as session:
        link = ERPInvoiceLink(
            connection_id=connection_id, smartap_invoice_id=uuid.UUID(invoice_id), erp_invoice_id=bill_id
        )
        for column, value in {"exported_at": NOW, **columns}.items():
            setattr(link, column, value)
        session.add(link)
        await session.commit()


def problem(response: httpx.Response, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    found: dict[str, Any] = response.json()
    return found


async def test_a_pushed_batch_has_a_result_per_item(api: httpx.AsyncClient, api_ctx: SimulatedApp) -> None:
    await add_vendors(api_ctx)
    bad_amount = invoice("A-3", amount="1.005")  # not exact in cents
    # A JSON number with many digits: read as an exact decimal, as the import file reader does.
    exact = '{"invoice_number": "A-4", "vendor": "12-3456789", "invoice_date": "2024-05-02", '
    exact += '"currency": "USD", "lines": [{"amount": 12345678901.23, "account_code": "6000"}]}'
    body = f"[{json.dumps(invoice('A-1'))}, {json.dumps(invoice('X-1', 'Nobody'))}, "
    body += f"{json.dumps(bad_amount)}, {exact}]"

    pushed = await api.post(URL, content=body, headers={"Content-Type": "application/json"})

    assert pushed.status_code == 200, pushed.text
    result = pushed.json()
    assert (result["created"], result["refused"]) == (2, 2)
    assert [(r["index"], r["status"], r["invoice_number"]) for r in result["results"]] == [
        (1, "created", "A-1"),
        (2, "refused", "X-1"),
        (3, "refused", None),  # refused as it was read: no number taken from it
        (4, "created", "A-4"),
    ]
    assert result["results"][1]["reason"] == "vendor" and "Nobody" in result["results"][1]["message"]
    assert "1.005" in result["results"][2]["message"] or "decimal" in result["results"][2]["message"]
    totals = {i["invoice_number"]: i["total"] for i in result["invoices"]}
    assert totals == {
        "A-1": {"amount": "10.00", "currency": "USD"},
        "A-4": {"amount": "12345678901.23", "currency": "USD"},
    }
    ids = {i["invoice_number"]: i["id"] for i in result["invoices"]}
    assert (
        result["results"][0]["invoice_id"] == ids["A-1"] and result["results"][3]["invoice_id"] == ids["A-4"]
    )

    one = (await api.post(URL, json=invoice("B-1", "Beta Office"))).json()  # one object, not a list
    assert [(r["status"], r["invoice_number"]) for r in one["results"]] == [("created", "B-1")]
    again = (await api.post(URL, json=[invoice("B-1", "Beta Office")])).json()
    assert again["results"][0]["reason"] == "already imported" and again["reasons"] == {"already imported": 1}

    for wrong in ("not json", "42", "[]", '{"invoice_number": '):
        refused = problem(await api.post(URL, content=wrong), 422)
        assert refused["detail"].startswith("the body")


async def test_the_list_pages_newest_first_and_filters(api: httpx.AsyncClient, api_ctx: SimulatedApp) -> None:
    await add_vendors(api_ctx)
    sent = [
        invoice("L-1", day=3),
        invoice("L-2", day=1),
        invoice("L-0", day=3),
        invoice("L-9", "Beta Office", day=2),
    ]
    await api.post(URL, json=[*sent, invoice("L|5", day=3)])  # a "|" in a number survives the cursor
    await api.post(f"{URL}/L-2/approve")

    seen: list[str] = []
    cursor = None
    while True:
        page = (await api.get(URL, params={"limit": 2, **({"cursor": cursor} if cursor else {})})).json()
        assert len(page["items"]) <= 2
        seen.extend(i["invoice_number"] for i in page["items"])
        if (cursor := page["next_cursor"]) is None:
            break
    assert seen == ["L-0", "L-1", "L|5", "L-9", "L-2"]  # newest date first, then by number

    approved = (await api.get(URL, params={"status": "approved"})).json()
    assert [i["invoice_number"] for i in approved["items"]] == ["L-2"] and approved["next_cursor"] is None
    beta = (await api.get(URL, params={"vendor": "98-7654321"})).json()
    assert [(i["invoice_number"], i["vendor"], i["total"]["amount"]) for i in beta["items"]] == [
        ("L-9", "Beta Office", "10.00")
    ]
    problem(await api.get(URL, params={"vendor": "Nobody"}), 404)
    problem(await api.get(URL, params={"cursor": "eyJub3QiOiAxfQ"}), 422)
    problem(await api.get(URL, params={"limit": 0}), 422)


async def test_approve_and_status(api: httpx.AsyncClient, api_ctx: SimulatedApp) -> None:
    await add_vendors(api_ctx)
    result = (await api.post(URL, json=[invoice("S-1", amount="100.00")])).json()
    invoice_id = result["results"][0]["invoice_id"]

    fresh = (await api.get(f"{URL}/S-1/status")).json()
    assert (fresh["state"], fresh["exports"], fresh["invoice"]["status"]) == (
        "not_synced",
        [],
        "pending_approval",
    )

    approved = await api.post(f"{URL}/{invoice_id}/approve", json={"approved_by": "ap clerk"})
    assert approved.status_code == 200, approved.text
    assert approved.json()["approved"] == [invoice_id]
    assert approved.json()["invoices"][0]["status"] == "approved"
    twice = (await api.post(f"{URL}/S-1/approve")).json()  # no body: approved by the key's name
    assert twice["approved"] == [] and twice["not_pending"][0]["status"] == "approved"

    qb = await add_connection(api_ctx.sessions, "qb")
    paid = {"payment_status": PaymentStatus.PARTIAL, "payment_amount": 4050, "payment_currency": "USD"}
    await add_link(
        api_ctx, qb, invoice_id, "BILL-77", erp_invoice_number="S-1", payment_synced_at=NOW, **paid
    )
    synced = (await api.get(f"{URL}/S-1/status", params={"vendor": "Acme Paper"})).json()
    [export] = synced["exports"]
    assert synced["state"] == "synced" and (export["bill_id"], export["connection"]) == ("BILL-77", "qb")
    assert export["paid"] == {"amount": "40.50", "currency": "USD"} and export["payment_status"] == "partial"
    assert export["payment_synced_at"] == "2026-03-01T12:00:00Z"

    problem(await api.get(f"{URL}/NOPE-1/status"), 404)
    problem(await api.post(f"{URL}/NOPE-1/approve"), 404)


async def test_an_export_is_queued_and_its_idempotency_key_replays_it(
    api: httpx.AsyncClient, api_ctx: SimulatedApp
) -> None:
    await add_vendors(api_ctx)
    await api.post(URL, json=[invoice("E-1"), invoice("E-2")])
    cid = str(await add_connection(api_ctx.sessions, "qb"))
    key = {"Idempotency-Key": "export-E-1-try-1"}

    queued = await api.post(f"{URL}/E-1/export", json={"connection": "qb"}, headers=key)
    assert queued.status_code == 202, queued.text
    job = queued.json()
    assert (job["joined"], job["connection_id"], job["title"]) == (False, cid, "export to qb")
    assert queued.headers["location"] == job["status_url"]
    status = (await api.get(job["status_url"])).json()
    assert (status["workflow"], status["status"]) == (EXPORT_WORKFLOW, "ENQUEUED")
    async with api_ctx.sessions() as session:  # nothing ran inside the request
        assert await session.scalar(select(func.count()).select_from(ERPSyncLog)) == 0

    replay = (await api.post(f"{URL}/E-1/export", json={"connection": "qb"}, headers=key)).json()
    assert (replay["job_id"], replay["joined"]) == (job["job_id"], True)
    reused = problem(await api.post(f"{URL}/E-2/export", json={"connection": "qb"}, headers=key), 422)
    assert "Idempotency-Key" in reused["detail"]
    other = (await api.post(f"{URL}/E-2/export", json={"connection": cid})).json()
    assert other["job_id"] != job["job_id"] and other["joined"] is False

    problem(await api.post(f"{URL}/E-1/export", json={"connection": "nowhere"}), 404)
    problem(await api.post(f"{URL}/E-9/export", json={"connection": "qb"}), 404)
    problem(await api.post(f"{URL}/E-1/export", json={}), 422)


async def test_a_batch_export_names_invoices_or_takes_every_approved_one(
    api: httpx.AsyncClient, api_ctx: SimulatedApp
) -> None:
    await add_vendors(api_ctx)
    await api.post(URL, json=[invoice("M-1"), invoice("M-2"), invoice("M-1", "Beta Office")])
    await add_connection(api_ctx.sessions, "qb")
    key = {"Idempotency-Key": "batch-1"}

    named = await api.post(
        f"{URL}/export",
        json={"connection": "qb", "invoices": ["M-2", "M-1"], "vendor": "Acme Paper"},
        headers=key,
    )
    assert named.status_code == 202, named.text
    job = named.json()
    status = (await api.get(job["status_url"])).json()
    assert (status["workflow"], status["status"]) == (EXPORT_WORKFLOW, "ENQUEUED")
    replay = await api.post(
        f"{URL}/export",
        json={"connection": "qb", "invoices": ["M-2", "M-1"], "vendor": "Acme Paper"},
        headers=key,
    )
    assert (replay.json()["job_id"], replay.json()["joined"]) == (job["job_id"], True)
    problem(
        await api.post(f"{URL}/export", json={"connection": "qb"}, headers=key), 422
    )  # the key, another body

    every = (await api.post(f"{URL}/export", json={"connection": "qb"})).json()
    assert every["job_id"] != job["job_id"] and every["title"] == "export to qb"
    shared = problem(await api.post(f"{URL}/export", json={"connection": "qb", "invoices": ["M-1"]}), 404)
    assert "M-1" in shared["detail"]  # two vendors have M-1: never exported blindly
    problem(await api.post(f"{URL}/export", json={"connection": "qb", "vendor": "Acme Paper"}), 422)
    problem(await api.post(f"{URL}/export", json={"connection": "qb", "invoices": []}), 422)


async def test_a_payment_sync_is_queued_per_connection_holding_the_bill(
    api: httpx.AsyncClient, api_ctx: SimulatedApp
) -> None:
    await add_vendors(api_ctx)
    result = (await api.post(URL, json=[invoice("P-1")])).json()
    invoice_id = result["results"][0]["invoice_id"]
    problem(await api.post(f"{URL}/P-1/sync-payment"), 409)  # no ERP holds it yet

    qb = await add_connection(api_ctx.sessions, "qb")
    await add_link(api_ctx, qb, invoice_id, "BILL-1")
    queued = await api.post(f"{URL}/{invoice_id}/sync-payment")
    assert queued.status_code == 202, queued.text
    [job] = queued.json()["jobs"]
    assert (job["connection_id"], job["title"]) == (str(qb), "payment statuses of qb")
    assert (await api.get(job["status_url"])).json()["workflow"] == PAYMENTS_WORKFLOW


async def test_scopes(anon: httpx.AsyncClient, key_for: KeyFor, api_ctx: SimulatedApp) -> None:
    await add_vendors(api_ctx)
    read = bearer(await key_for("read"))
    write = bearer(await key_for("write"))
    problem(await anon.post(URL, json=[invoice("K-1")]), 401)
    problem(await anon.post(URL, json=[invoice("K-1")], headers=read), 403)
    assert (await anon.post(URL, json=[invoice("K-1")], headers=write)).json()["created"] == 1
    problem(await anon.post(f"{URL}/K-1/approve", headers=read), 403)
    assert (await anon.get(f"{URL}/K-1/status", headers=read)).status_code == 200
    approved = (await anon.post(f"{URL}/K-1/approve", headers=write)).json()
    assert approved["invoices"][0]["status"] == "approved" and len(approved["approved"]) == 1
