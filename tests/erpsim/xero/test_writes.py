"""Xero bill writes in the simulator: batches, summarizeErrors, validation envelope, Idempotency-Key."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import httpx

from .conftest import API
from .spec import validate


async def supplier_id(client: httpx.AsyncClient) -> str:
    return str(
        (await client.get(f"{API}/Contacts", params={"where": "IsSupplier==true"})).json()["Contacts"][0][
            "ContactID"
        ]
    )


def bill(contact_id: str, number: str, **line: Any) -> dict[str, Any]:
    item = {
        "Description": "Office supplies",
        "Quantity": 2,
        "UnitAmount": 100.25,
        "AccountCode": "429",
        "TaxType": "TAX001",
        **line,
    }
    return {
        "Type": "ACCPAY",
        "Contact": {"ContactID": contact_id},
        "InvoiceNumber": number,
        "Date": "2024-05-01",
        "DueDate": "2024-05-31",
        "LineAmountTypes": "Exclusive",
        "Status": "AUTHORISED",
        "CurrencyCode": "USD",
        "LineItems": [item],
    }


def bill_count(app: Any) -> int:
    return int(app.state.sim.entity_counts()["Bill"])


async def test_put_creates_many_bills_with_xero_arithmetic(client: httpx.AsyncClient, app: Any) -> None:
    contact = await supplier_id(client)
    payload = {"Invoices": [bill(contact, "SUP-1"), bill(contact, "SUP-2", TaxType="NONE")]}
    validate("Invoices", payload)
    before = bill_count(app)
    response = await client.put(f"{API}/Invoices", json=payload)
    assert response.status_code == 200
    body = json.loads(response.text, parse_float=Decimal)
    validate("Invoices", json.loads(response.text))
    first, second = body["Invoices"]
    assert first["StatusAttributeString"] == "OK" and first["InvoiceID"] != second["InvoiceID"]
    assert first["SubTotal"] == Decimal("200.5") and first["TotalTax"] == Decimal("16.54")
    assert first["Total"] == first["AmountDue"] == Decimal("217.04") and first["AmountPaid"] == 0
    assert second["TotalTax"] == 0 and second["Status"] == "AUTHORISED"
    assert bill_count(app) == before + 2


async def test_partial_success_reports_the_bad_bill_and_saves_the_others(
    client: httpx.AsyncClient, app: Any
) -> None:
    contact = await supplier_id(client)
    payload = {
        "Invoices": [bill(contact, "OK-1"), bill(contact, "BAD-1", AccountCode="999"), bill(contact, "OK-2")]
    }
    before = bill_count(app)
    response = await client.put(f"{API}/Invoices", params={"summarizeErrors": "false"}, json=payload)
    assert response.status_code == 200
    results = response.json()["Invoices"]
    assert [r["StatusAttributeString"] for r in results] == ["OK", "ERROR", "OK"]
    assert results[1]["HasErrors"] is True
    assert results[1]["InvoiceID"] == "00000000-0000-0000-0000-000000000000"
    assert results[1]["ValidationErrors"] == [
        {"Message": "Account code '999' is not a valid code for this document."}
    ]
    assert bill_count(app) == before + 2


async def test_summarize_errors_true_fails_the_whole_batch_in_xeros_envelope(
    client: httpx.AsyncClient, app: Any
) -> None:
    contact = await supplier_id(client)
    payload = {"Invoices": [bill(contact, "OK-1"), bill(contact, "BAD", TaxType="NOPE", Description="")]}
    before = bill_count(app)
    response = await client.put(f"{API}/Invoices", params={"summarizeErrors": "true"}, json=payload)
    assert response.status_code == 400
    body = response.json()
    validate("Error", body)
    assert body["ErrorNumber"] == 10 and body["Type"] == "ValidationException"
    messages = [e["Message"] for e in body["Elements"][0]["ValidationErrors"]]
    assert any("TaxType code 'NOPE'" in m for m in messages)
    assert any("description" in m for m in messages)
    assert bill_count(app) == before


async def test_validation_of_contact_status_and_body(client: httpx.AsyncClient) -> None:
    contact = await supplier_id(client)
    unknown = bill("6a6b3a1e-0000-4000-8000-000000000000", "X")
    paid = {**bill(contact, "Y"), "Status": "PAID"}
    notax = {**bill(contact, "Z"), "LineAmountTypes": "Sometimes"}
    results = (await client.put(f"{API}/Invoices", json={"Invoices": [unknown, paid, notax]})).json()[
        "Invoices"
    ]
    assert all(r["HasErrors"] for r in results)
    assert "could not be found" in results[0]["ValidationErrors"][0]["Message"]
    assert results[1]["ValidationErrors"][0]["Message"] == "Invoice not of valid status for creation"
    garbage = await client.put(
        f"{API}/Invoices", content=b"{not json", headers={"Content-Type": "application/json"}
    )
    assert garbage.status_code == 400 and garbage.json()["Type"] == "PostDataInvalidException"


async def test_idempotency_key_replays_the_first_response(client: httpx.AsyncClient, app: Any) -> None:
    contact = await supplier_id(client)
    payload = {"Invoices": [bill(contact, "IDEM-1")]}
    before = bill_count(app)
    key = {"Idempotency-Key": "bill-8f1c-v1"}
    first = await client.put(f"{API}/Invoices", json=payload, headers=key)
    second = await client.put(f"{API}/Invoices", json=payload, headers=key)
    assert second.status_code == 200 and second.json() == first.json()
    assert bill_count(app) == before + 1
    other = await client.put(f"{API}/Invoices", json={"Invoices": [bill(contact, "IDEM-2")]}, headers=key)
    assert other.status_code == 400
    too_long = await client.put(f"{API}/Invoices", json=payload, headers={"Idempotency-Key": "k" * 129})
    assert too_long.status_code == 400
    assert bill_count(app) == before + 1


async def test_commit_then_fail_stores_the_bill_and_a_replay_returns_it(
    client: httpx.AsyncClient, app: Any
) -> None:
    contact = await supplier_id(client)
    await client.post("/_sim/faults", content="commit_then_fail=1;lost_response=504")
    payload = {"Invoices": [bill(contact, "LOST-1")]}
    key = {"Idempotency-Key": "lost-1"}
    before = bill_count(app)
    lost = await client.put(f"{API}/Invoices", json=payload, headers=key)
    assert lost.status_code == 504 and bill_count(app) == before + 1
    replay = await client.put(f"{API}/Invoices", json=payload, headers=key)
    assert replay.status_code == 200 and replay.json()["Invoices"][0]["InvoiceNumber"] == "LOST-1"
    assert bill_count(app) == before + 1


async def test_post_updates_status_void_and_refuses_edits_once_paid(client: httpx.AsyncClient) -> None:
    contact = await supplier_id(client)
    created = await client.put(
        f"{API}/Invoices", json={"Invoices": [{**bill(contact, "D-1"), "Status": "DRAFT"}]}
    )
    invoice_id = created.json()["Invoices"][0]["InvoiceID"]
    approved = await client.post(
        f"{API}/Invoices", json={"Invoices": [{"InvoiceID": invoice_id, "Status": "AUTHORISED"}]}
    )
    assert approved.json()["Invoices"][0]["Status"] == "AUTHORISED"
    await client.post("/_sim/mutate", json={"op": "pay_bill", "invoice_id": invoice_id, "amount": "1.00"})
    void = await client.post(f"{API}/Invoices", json={"InvoiceID": invoice_id, "Status": "VOIDED"})
    assert void.json()["Invoices"][0]["HasErrors"] is True
    put_update = await client.put(f"{API}/Invoices", json={"InvoiceID": invoice_id, "Status": "VOIDED"})
    assert put_update.json()["Invoices"][0]["HasErrors"] is True
