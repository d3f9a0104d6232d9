"""Payload translation tests: both wire shapes into standard models, and invoices into exact JSON."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

import pytest

from smartap_erp.connectors.netsuite import payloads
from smartap_erp.domain.enums import PaymentStatus, PurchaseOrderStatus
from smartap_erp.domain.models import ERPInvoice, ERPInvoiceLine

NOW = dt.datetime(2024, 6, 3, 12, tzinfo=dt.UTC)


def test_dumps_writes_decimals_exactly() -> None:
    text = payloads.dumps({"amount": Decimal("0.10"), "big": Decimal("12345678901234567.89"), "n": [1, "x"]})
    assert text == b'{"amount":0.10,"big":12345678901234567.89,"n":[1,"x"]}'
    assert json.loads(text, parse_float=Decimal)["big"] == Decimal("12345678901234567.89")


def test_purchase_order_rest_shape_and_restlet_shape_agree() -> None:
    restlet = {
        "id": "7",
        "tranId": "PO7",
        "entity": {"id": "101", "refName": "Acme"},
        "tranDate": "2024-05-01",
        "status": "Pending Receipt",
        "statusRef": "open",
        "currency": {"id": "1", "refName": "US Dollar", "symbol": "USD"},
        "total": Decimal("30.00"),
        "lastModifiedDate": "2024-05-02T10:00:00Z",
        "lines": [
            {
                "line": "1",
                "sublist": "expense",
                "item": None,
                "account": {"id": "58"},
                "description": "rent",
                "quantity": None,
                "rate": None,
                "amount": Decimal("30.00"),
            }
        ],
    }
    rest = {
        **{k: v for k, v in restlet.items() if k not in ("lines", "statusRef")},
        "status": {"id": "open", "refName": "Pending Receipt"},
        "expense": {
            "items": [{"line": 1, "account": {"id": "58"}, "memo": "rent", "amount": Decimal("30.00")}]
        },
        "item": {"items": []},
    }
    a, b = payloads.purchase_order_from_netsuite(restlet), payloads.purchase_order_from_netsuite(rest)
    assert a == b
    assert a.status is PurchaseOrderStatus.OPEN and a.line_items[0].account_code == "58"
    assert a.currency == "USD"
    assert a.updated_at == dt.datetime(2024, 5, 2, 10, tzinfo=dt.UTC)


def test_payment_status_from_amount_remaining() -> None:
    bill = {
        "id": "9",
        "total": Decimal("100"),
        "amountRemaining": Decimal("40"),
        "statusRef": "open",
        "currency": {"id": "2", "refName": "Euro", "symbol": "EUR"},
    }
    payments = [{"id": "12", "amount": Decimal("60"), "tranDate": "2024-05-20", "tranId": "PAY12"}]
    status = payloads.payment_status_from_netsuite(bill, payments, checked_at=NOW)
    assert status.status is PaymentStatus.PARTIAL and status.amount_paid == Decimal("60")
    assert status.currency == "EUR" and status.payments[0].currency == "EUR"
    assert status.last_payment_date == dt.date(2024, 5, 20)
    cancelled = payloads.payment_status_from_netsuite(
        {**bill, "statusRef": "cancelled", "amountRemaining": Decimal(0)}, [], checked_at=NOW
    )
    assert cancelled.status is PaymentStatus.VOIDED


def test_bill_body_in_both_modes() -> None:
    invoice = ERPInvoice(
        invoice_number="SUP-1",
        vendor_id="101",
        invoice_date=dt.date(2024, 5, 1),
        currency="USD",
        total_amount=Decimal("10.50"),
        purchase_order_id="7",
        line_items=(
            ERPInvoiceLine(amount=Decimal("10.50"), item_code="3", quantity=Decimal(2), po_line_id="1"),
        ),
        smartap_invoice_id="abc",
    )
    restlet = payloads.bill_body(invoice, rest=False)
    rest = payloads.bill_body(invoice, rest=True)
    assert restlet["externalId"] == rest["externalId"] == "smartap-abc"
    assert restlet["item"][0]["rate"] == Decimal("5.25") and restlet["item"][0]["orderLine"] == "1"
    assert rest["item"] == {"items": restlet["item"]} and restlet["createdFrom"] == {"id": "7"}


def test_suiteql_rows_for_accounts_and_tax_codes() -> None:
    account = payloads.account_from_netsuite(
        {
            "id": "5",
            "acctnumber": "6000",
            "accountsearchdisplayname": "Office Supplies",
            "accttype": "Expense",
            "isinactive": "T",
        }
    )
    assert (account.code, account.is_active) == ("6000", False)
    code = payloads.tax_code_from_netsuite({"id": "2", "itemid": "CA-SF", "rate": "8.625", "isinactive": "F"})
    assert code.rate == Decimal("8.625") and code.is_active


VENDOR = {"id": "101", "companyName": "Acme", "lastModifiedDate": "2024-05-02T10:00:00Z"}


def test_currency_code_comes_from_symbol_never_from_refname() -> None:
    # refName is the currency record's display name; "symbol" is its ISO code (UI label "ISO Code").
    assert payloads.currency_code({"id": "1", "refName": "US Dollar", "symbol": "USD"}) == "USD"
    assert payloads.currency_code({"id": "3", "refName": "British pound", "symbol": " gbp "}) == "GBP"
    assert payloads.currency_code(None) is None and payloads.currency_code({"id": ""}) is None
    for ref in (
        {"id": "1", "refName": "USD"},
        {"id": "1", "refName": "USD", "symbol": None},
        {"id": "1", "refName": "US Dollar", "symbol": "$"},
        {"id": "1", "refName": "x", "symbol": "USDX"},
    ):
        with pytest.raises(ValueError, match=r"NetSuite currency 1 .* no three-letter ISO 4217 code"):
            payloads.currency_code(ref)


def test_records_map_the_symbol_and_refuse_a_refname_only_currency() -> None:
    euro = {"id": "2", "refName": "Euro", "symbol": "EUR"}
    assert payloads.vendor_from_netsuite({**VENDOR, "currency": euro}).currency == "EUR"
    assert payloads.vendor_from_netsuite(VENDOR).currency is None
    account = payloads.account_from_netsuite(
        {"id": "5", "acctNumber": "6000", "acctName": "Office", "acctType": "Expense", "currency": euro}
    )
    assert account.currency == "EUR"
    # A RESTlet deployed before the symbol was added sends {"id", "refName"} only: an error for the
    # record (the connector turns it into a RecordError), never "USD" by default nor refName as code.
    with pytest.raises(ValueError, match="Euro"):
        payloads.vendor_from_netsuite({**VENDOR, "currency": {"id": "2", "refName": "Euro"}})
    po = {
        "id": "7",
        "tranId": "PO7",
        "entity": {"id": "101"},
        "statusRef": "open",
        "status": "Pending Receipt",
        "currency": {"id": "2", "refName": "EUR"},
        "total": Decimal(1),
        "lines": [],
    }
    with pytest.raises(ValueError, match="NetSuite currency 2 \\('EUR'\\)"):
        payloads.purchase_order_from_netsuite(po)
    assert payloads.purchase_order_from_netsuite({**po, "currency": None}).currency == "USD"


def test_with_currency_code_adds_the_symbol_to_a_rest_reference() -> None:
    rest = {**VENDOR, "currency": {"links": [], "id": "1", "refName": "US Dollar"}}
    enriched = payloads.with_currency_code(rest, {"1": "USD"})
    assert enriched["currency"] == {"links": [], "id": "1", "refName": "US Dollar", "symbol": "USD"}
    assert rest["currency"] == {"links": [], "id": "1", "refName": "US Dollar"}  # input untouched
    assert payloads.vendor_from_netsuite(enriched).currency == "USD"
    assert payloads.with_currency_code(VENDOR, {"1": "USD"}) == VENDOR
