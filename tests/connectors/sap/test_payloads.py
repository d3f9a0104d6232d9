"""Payload translation between Service Layer JSON and the standard models (no I/O)."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from typing import Any

import pytest

from smartap_erp.connectors.common import MappingError
from smartap_erp.connectors.sap import payloads
from smartap_erp.domain import ERPInvoice, ERPInvoiceLine, PaymentStatus, PurchaseOrderStatus

NOW = dt.datetime(2024, 6, 3, 12, tzinfo=dt.UTC)


def _bp(**changes: Any) -> dict[str, Any]:
    bp = {
        "CardCode": "V1",
        "CardName": "Acme Supply Inc",
        "CardType": "cSupplier",
        "FederalTaxID": "12-3456789",
        "EmailAddress": "ap@acme.example.com",
        "Phone1": "(415) 555-0101",
        "PayTermsGrpCode": 1,
        "Currency": "USD",
        "Valid": "tYES",
        "Frozen": "tNO",
        "UpdateDate": "2024-05-30",
        "UpdateTime": "14:05:09",
        "BPAddresses": [
            {"AddressType": "bo_ShipTo", "Street": "1 Dock Rd", "City": "Oakland"},
            {
                "AddressType": "bo_BillTo",
                "Street": "9 Main St",
                "City": "San Francisco",
                "State": "CA",
                "ZipCode": "94105",
                "Country": "US",
            },
        ],
    }
    return bp | changes


def test_vendor_from_partner() -> None:
    vendor = payloads.vendor_from_partner(_bp(), {1: "Net 30"})
    assert (vendor.external_id, vendor.name, vendor.payment_terms, vendor.is_active) == (
        "V1",
        "Acme Supply Inc",
        "Net 30",
        True,
    )
    assert vendor.address is not None and vendor.address.line1 == "9 Main St"  # bill-to, not ship-to
    assert vendor.updated_at == dt.datetime(2024, 5, 30, 14, 5, 9, tzinfo=dt.UTC)
    assert not payloads.vendor_from_partner(_bp(Frozen="tYES")).is_active
    assert not payloads.vendor_from_partner(_bp(Valid="N")).is_active
    assert payloads.vendor_from_partner(_bp(Currency="##")).currency is None
    assert payloads.vendor_from_partner(_bp(PayTermsGrpCode=7)).payment_terms == "7"


def test_since_filter_overlaps_by_a_day() -> None:
    since = dt.datetime(2024, 6, 3, 0, 30, tzinfo=dt.timezone(dt.timedelta(hours=2)))  # 2 June 22:30 UTC
    assert payloads.since_filter(since, dt.timedelta(days=1)) == "UpdateDate ge '2024-06-01'"
    assert payloads.since_filter(None, dt.timedelta(days=1)) is None
    assert payloads.odata_string("O'Brien") == "'O''Brien'"


def test_po_status_and_filter() -> None:
    assert payloads.po_status({"DocumentStatus": "bost_Open", "Cancelled": "tNO"}) is PurchaseOrderStatus.OPEN
    assert payloads.po_status({"DocumentStatus": "C", "Cancelled": "N"}) is PurchaseOrderStatus.CLOSED
    assert (
        payloads.po_status({"DocumentStatus": "bost_Close", "Cancelled": "tYES"})
        is PurchaseOrderStatus.CANCELLED
    )
    assert payloads.po_status_filter(None) is None
    both = payloads.po_status_filter([PurchaseOrderStatus.OPEN, PurchaseOrderStatus.CANCELLED])
    assert both == "(DocumentStatus eq 'bost_Open' and Cancelled eq 'tNO') or (Cancelled eq 'tYES')"
    assert payloads.po_status_filter([PurchaseOrderStatus.DRAFT]) == "DocEntry eq -1"


PO = {
    "DocEntry": 12,
    "DocNum": 4011,
    "DocType": "dDocument_Items",
    "CardCode": "V1",
    "DocumentLines": [
        {
            "LineNum": 0,
            "ItemCode": "A1",
            "Quantity": Decimal(5),
            "Price": Decimal("2.5"),
            "LineStatus": "bost_Open",
        },
        {
            "LineNum": 1,
            "ItemCode": "A2",
            "Quantity": Decimal(1),
            "Price": Decimal(10),
            "LineStatus": "bost_Open",
        },
    ],
}


def _invoice(*lines: ERPInvoiceLine, po: str | None = None, tax: str = "0") -> ERPInvoice:
    total = sum((line.amount for line in lines), Decimal(0)) + Decimal(tax)
    return ERPInvoice(
        invoice_number="SUP-1",
        vendor_id="V1",
        invoice_date=dt.date(2024, 6, 1),
        currency="USD",
        total_amount=total,
        tax_amount=Decimal(tax),
        line_items=lines,
        purchase_order_id=po,
        smartap_invoice_id="s-1",
    )


def test_service_document_without_po() -> None:
    body = payloads.document_from_invoice(
        _invoice(
            ERPInvoiceLine(description="Rent", amount=Decimal("1000.10"), account_code="62000", tax_code="I1")
        ),
        None,
        tax_field="VatGroup",
    )
    assert body["DocType"] == "dDocument_Service" and body["NumAtCard"] == "SUP-1"
    assert body["DocumentLines"] == [
        {"ItemDescription": "Rent", "AccountCode": "62000", "LineTotal": 1000.1, "VatGroup": "I1"}
    ]
    assert json.loads(json.dumps(body))["DocumentLines"][0]["LineTotal"] == 1000.1
    assert "DocTotal" not in body  # the server computes totals


def test_po_links_by_line_id_or_by_item() -> None:
    explicit = _invoice(ERPInvoiceLine(amount=Decimal(10), item_code="A2", po_line_id="1"), po="12")
    lines = payloads.document_from_invoice(explicit, PO)["DocumentLines"]
    assert lines == [{"BaseType": 22, "BaseEntry": 12, "BaseLine": 1, "Quantity": 1}]
    matched = _invoice(
        ERPInvoiceLine(quantity=Decimal(2), unit_price=Decimal("2.5"), amount=Decimal(5), item_code="A1"),
        po="12",
    )
    body = payloads.document_from_invoice(matched, PO)
    assert body["DocType"] == "dDocument_Items"
    assert body["DocumentLines"] == [
        {"BaseType": 22, "BaseEntry": 12, "BaseLine": 0, "Quantity": 2, "UnitPrice": 2.5}
    ]
    with pytest.raises(payloads.SAPMappingError):
        payloads.document_from_invoice(
            _invoice(ERPInvoiceLine(amount=Decimal(1), item_code="A1", po_line_id="9"), po="12"), PO
        )


def test_item_line_without_price_and_bad_numbers() -> None:
    line = ERPInvoiceLine(quantity=Decimal(3), amount=Decimal(10), item_code="A9")
    body = payloads.document_from_invoice(_invoice(line), None)
    assert body["DocumentLines"][0]["UnitPrice"] == 3.333333
    with pytest.raises(MappingError):
        payloads.json_number(Decimal("0.12345678901234567890"))


PAYMENTS = [
    {
        "DocEntry": 1,
        "DocDate": "2024-06-01",
        "DocCurrency": "USD",
        "TransferSum": Decimal(40),
        "Cancelled": "tNO",
        "PaymentInvoices": [
            {"DocEntry": 7, "InvoiceType": "it_PurchaseInvoice", "SumApplied": Decimal(40)},
            {"DocEntry": 8, "InvoiceType": "it_PurchaseInvoice", "SumApplied": Decimal(9)},
        ],
    },
    {
        "DocEntry": 2,
        "DocDate": "2024-06-02",
        "DocCurrency": "USD",
        "CashSum": Decimal(60),
        "Cancelled": "tYES",
        "PaymentInvoices": [{"DocEntry": 7, "InvoiceType": "it_PurchaseInvoice", "SumApplied": Decimal(60)}],
    },
    {
        "DocEntry": 3,
        "DocDate": "2024-06-03",
        "DocCurrency": "USD",
        "CashSum": Decimal(5),
        "Cancelled": "tNO",
        "PaymentInvoices": [{"DocEntry": 7, "InvoiceType": "it_Invoice", "SumApplied": Decimal(5)}],
    },
]


def test_payment_status_counts_only_live_vendor_payments_for_this_bill() -> None:
    bill = {
        "DocEntry": 7,
        "DocTotal": Decimal(100),
        "DocCurrency": "USD",
        "DocumentStatus": "bost_Open",
        "Cancelled": "tNO",
    }
    status = payloads.payment_status_from(bill, PAYMENTS, NOW)
    assert (status.status, status.amount_paid, status.amount_due) == (
        PaymentStatus.PARTIAL,
        Decimal(40),
        Decimal(60),
    )
    assert [p.external_id for p in status.payments] == ["1"] and status.payments[0].method == "transfer"
    closed = payloads.payment_status_from(bill | {"DocumentStatus": "bost_Close"}, [], NOW)
    assert closed.status is PaymentStatus.UNPAID  # closed by hand is not paid (sap.md §Paid or not)
    paid = payloads.payment_status_from(bill | {"DocTotal": Decimal(40)}, PAYMENTS, NOW)
    assert paid.status is PaymentStatus.PAID and paid.amount_due == 0
    voided = payloads.payment_status_from(bill | {"Cancelled": "tYES"}, [], NOW)
    assert voided.status is PaymentStatus.VOIDED


def test_accounts_and_tax_codes() -> None:
    title = payloads.account_from_sap(
        {
            "Code": "_SYS1",
            "Name": "Expenses",
            "FormatCode": "60000",
            "ActiveAccount": "tNO",
            "AccountType": "at_Expenses",
            "AcctCurrency": "##",
        }
    )
    assert (title.code, title.is_active, title.currency) == ("60000", False, None)
    vat = payloads.tax_code_from_vat_group(
        {
            "Code": "I1",
            "Name": "Input",
            "Inactive": "tNO",
            "VatGroups_Lines": [{"Rate": Decimal("17.5")}, {"Rate": Decimal(20)}],
        }
    )
    assert vat.rate == Decimal(20) and vat.is_active
    sales = payloads.tax_code_from_sales_tax(
        {"Code": "CA", "Name": "California", "Rate": Decimal("8.25"), "ValidForAP": "tNO", "Inactive": "tNO"}
    )
    assert not sales.is_active
