"""Xero reads in the simulator: envelopes, paging, where/order, filters, If-Modified-Since, spec shapes."""

from __future__ import annotations

import re
from typing import Any

import httpx
import pytest

from erpsim.core import Clock

from .conftest import API
from .spec import enum_of, validate

MS_DATE = re.compile(r"^/Date\(\d+\+0000\)/$")


@pytest.mark.parametrize(
    ("path", "schema", "params"),
    [
        ("Contacts", "Contacts", {"page": "1"}),
        ("PurchaseOrders", "PurchaseOrders", {"page": "1"}),
        ("Invoices", "Invoices", {"page": "1"}),
        ("Payments", "Payments", {"page": "1"}),
        ("Accounts", "Accounts", {}),
        ("TaxRates", "TaxRates", {}),
        ("Organisation", "Organisations", {}),
    ],
)
async def test_collections_validate_against_the_spec(
    client: httpx.AsyncClient, path: str, schema: str, params: dict[str, str]
) -> None:
    response = await client.get(f"{API}/{path}", params=params)
    assert response.status_code == 200
    body = response.json()
    validate(schema, body)
    assert body["Status"] == "OK" and body[schema]
    assert re.match(r"^/Date\(\d+\)/$", body["DateTimeUTC"])
    assert ("pagination" in body) == bool(params)


async def test_invoice_dates_are_written_the_xero_way(client: httpx.AsyncClient) -> None:
    invoice = (await client.get(f"{API}/Invoices", params={"page": 1})).json()["Invoices"][0]
    assert MS_DATE.match(invoice["Date"]) and MS_DATE.match(invoice["DueDate"])
    assert MS_DATE.match(invoice["UpdatedDateUTC"])
    assert re.match(r"^\d{4}-\d\d-\d\dT00:00:00$", invoice["DateString"])
    assert invoice["LineItems"] and "AccountCode" in invoice["LineItems"][0]


async def test_paging_walks_every_supplier_once(client: httpx.AsyncClient, app: Any) -> None:
    seen: list[str] = []
    page = 1
    while True:
        body = (
            await client.get(
                f"{API}/Contacts",
                params={"where": "IsSupplier==true", "page": page, "pageSize": 7, "includeArchived": "true"},
            )
        ).json()
        seen += [c["ContactID"] for c in body["Contacts"]]
        assert body["pagination"]["pageSize"] == 7
        if len(body["Contacts"]) < 7:
            break
        page += 1
    suppliers = [
        c for c in app.state.sim.orgs[next(iter(app.state.sim.orgs))].contacts.values() if c["IsSupplier"]
    ]
    assert len(seen) == len(set(seen)) == len(suppliers) == 40
    assert body["pagination"]["itemCount"] == 40 and body["pagination"]["pageCount"] == 6


async def test_archived_contacts_are_hidden_unless_asked_for(client: httpx.AsyncClient) -> None:
    await client.post("/_sim/mutate", json={"op": "archive_vendor"})
    default = (await client.get(f"{API}/Contacts")).json()["Contacts"]
    everything = (await client.get(f"{API}/Contacts", params={"includeArchived": "true"})).json()["Contacts"]
    assert {c["ContactStatus"] for c in default} == {"ACTIVE"}
    assert "ARCHIVED" in {c["ContactStatus"] for c in everything} and len(everything) > len(default)


async def test_invoice_filters_where_and_order(client: httpx.AsyncClient) -> None:
    bills = (
        await client.get(
            f"{API}/Invoices", params={"where": 'Type=="ACCPAY"', "page": 1, "order": "Total DESC"}
        )
    ).json()["Invoices"]
    assert bills and {b["Type"] for b in bills} == {"ACCPAY"}
    totals = [b["Total"] for b in bills]
    assert totals == sorted(totals, reverse=True)
    paid = (await client.get(f"{API}/Invoices", params={"Statuses": "PAID,VOIDED"})).json()["Invoices"]
    assert paid and {i["Status"] for i in paid} <= {"PAID", "VOIDED"}
    assert "LineItems" not in paid[0]  # line items only when paging or reading one (spec `page` text)
    one = bills[0]
    by_number = (
        await client.get(
            f"{API}/Invoices",
            params={"InvoiceNumbers": one["InvoiceNumber"], "ContactIDs": one["Contact"]["ContactID"]},
        )
    ).json()["Invoices"]
    assert one["InvoiceID"] in [i["InvoiceID"] for i in by_number]
    single = (await client.get(f"{API}/Invoices/{one['InvoiceID']}")).json()["Invoices"]
    assert single[0]["InvoiceID"] == one["InvoiceID"] and single[0]["LineItems"]


async def test_where_with_datetime_literal_and_guid(client: httpx.AsyncClient) -> None:
    body = (await client.get(f"{API}/Invoices", params={"page": 1})).json()["Invoices"]
    contact_id = body[0]["Contact"]["ContactID"]
    expr = f'Contact.ContactID==Guid("{contact_id}") AND Date>=DateTime(2024, 01, 01)'
    matched = (await client.get(f"{API}/Invoices", params={"where": expr, "page": 1})).json()["Invoices"]
    assert matched and {i["Contact"]["ContactID"] for i in matched} == {contact_id}
    future = (await client.get(f"{API}/Invoices", params={"where": "Date>=DateTime(2030,1,1)"})).json()
    assert future["Invoices"] == []


async def test_bad_where_is_a_query_parse_exception(client: httpx.AsyncClient) -> None:
    response = await client.get(f"{API}/Invoices", params={"where": 'Date>="2024-01-01" AND'})
    assert response.status_code == 400
    body = response.json()
    assert body["Type"] == "QueryParseException"
    validate("Error", body)
    unknown = await client.get(f"{API}/Contacts", params={"where": 'Colour=="red"'})
    assert unknown.status_code == 400 and "Colour" in unknown.json()["Message"]


async def test_if_modified_since_returns_only_later_changes(
    client: httpx.AsyncClient, fixed_clock: Clock
) -> None:
    since = fixed_clock.now().isoformat()
    assert (await client.get(f"{API}/Contacts", headers={"If-Modified-Since": since})).json()[
        "Contacts"
    ] == []
    fixed_clock.advance(5)
    edited = (await client.post("/_sim/mutate", json={"op": "edit_vendors", "count": 3})).json()["result"][
        "edited"
    ]
    changed = (await client.get(f"{API}/Contacts", headers={"If-Modified-Since": since})).json()["Contacts"]
    assert sorted(c["ContactID"] for c in changed) == sorted(edited)
    bad = await client.get(f"{API}/Contacts", headers={"If-Modified-Since": "last tuesday"})
    assert bad.status_code == 400


async def test_purchase_orders_use_the_spec_statuses_and_their_own_filters(client: httpx.AsyncClient) -> None:
    pos = (await client.get(f"{API}/PurchaseOrders", params={"page": 1})).json()["PurchaseOrders"]
    assert {p["Status"] for p in pos} <= set(enum_of("PurchaseOrder", "Status"))
    authorised = await client.get(f"{API}/PurchaseOrders", params={"Status": "AUTHORISED", "page": 1})
    assert {p["Status"] for p in authorised.json()["PurchaseOrders"]} == {"AUTHORISED"}
    window = (await client.get(f"{API}/PurchaseOrders", params={"DateFrom": "2030-01-01"})).json()
    assert window["PurchaseOrders"] == []
    one = pos[0]
    by_id = (await client.get(f"{API}/PurchaseOrders/{one['PurchaseOrderID']}")).json()["PurchaseOrders"][0]
    assert by_id["PurchaseOrderNumber"] == one["PurchaseOrderNumber"]


async def test_reads_by_id_and_not_found(client: httpx.AsyncClient) -> None:
    contact = (await client.get(f"{API}/Contacts")).json()["Contacts"][0]
    assert (await client.get(f"{API}/Contacts/{contact['ContactID']}")).json()["Contacts"][0][
        "Name"
    ] == contact["Name"]
    missing = await client.get(f"{API}/Invoices/6a6b3a1e-0000-4000-8000-000000000000")
    assert missing.status_code == 404
    accounts = await client.get(f"{API}/Accounts", params={"where": 'Status=="ACTIVE" AND Type=="EXPENSE"'})
    assert {a["Type"] for a in accounts.json()["Accounts"]} == {"EXPENSE"}
    rates = (await client.get(f"{API}/TaxRates", params={"where": "CanApplyToExpenses==true"})).json()[
        "TaxRates"
    ]
    assert "OUTPUT" not in {r["TaxType"] for r in rates} and "INPUT" in {r["TaxType"] for r in rates}


async def test_pay_bill_moves_amount_paid_amount_due_and_status(client: httpx.AsyncClient) -> None:
    bills = await client.get(f"{API}/Invoices", params={"Statuses": "AUTHORISED", "where": 'Type=="ACCPAY"'})
    bill = next(b for b in bills.json()["Invoices"] if not b["Payments"])
    total = bill["AmountDue"]
    part = (
        await client.post(
            "/_sim/mutate", json={"op": "pay_bill", "invoice_id": bill["InvoiceID"], "amount": "10.00"}
        )
    ).json()["result"]
    assert part["status"] == "AUTHORISED"
    after = (await client.get(f"{API}/Invoices/{bill['InvoiceID']}")).json()["Invoices"][0]
    assert after["AmountPaid"] == 10.0 and after["AmountDue"] == pytest.approx(total - 10.0)
    await client.post("/_sim/mutate", json={"op": "pay_bill", "invoice_id": bill["InvoiceID"]})
    paid = (await client.get(f"{API}/Invoices/{bill['InvoiceID']}")).json()["Invoices"][0]
    assert paid["Status"] == "PAID" and paid["AmountDue"] == 0 and len(paid["Payments"]) == 2
    assert MS_DATE.match(paid["FullyPaidOnDate"])
    payments = (
        await client.get(
            f"{API}/Payments", params={"where": f'Invoice.InvoiceID==Guid("{bill["InvoiceID"]}")'}
        )
    ).json()["Payments"]
    assert {p["PaymentType"] for p in payments} == {"ACCPAYPAYMENT"} and len(payments) == 2
    refused = await client.post("/_sim/mutate", json={"op": "pay_bill", "invoice_id": bill["InvoiceID"]})
    assert refused.status_code == 400
