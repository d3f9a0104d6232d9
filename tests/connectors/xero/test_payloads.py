"""Xero payload translation: contacts, POs, bills out, payment status, accounts, tax rates, dates."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from smartap_erp.connectors.xero import payloads
from smartap_erp.domain import PaymentStatus, PurchaseOrderStatus
from tests.erpsim.xero.spec import enum_of, validate

from .conftest import invoice_for

NOW = dt.datetime(2024, 6, 3, 12, 0, tzinfo=dt.UTC)


def test_dates_parse_from_xero_forms() -> None:
    assert payloads.parse_timestamp("/Date(1552348800000+0000)/") == dt.datetime(2019, 3, 12, tzinfo=dt.UTC)
    assert payloads.parse_timestamp("/Date(1552348800000)/") == dt.datetime(2019, 3, 12, tzinfo=dt.UTC)
    assert payloads.parse_date("/Date(1552348800000+0000)/") == dt.date(2019, 3, 12)
    assert payloads.parse_date("2019-03-12T00:00:00") == dt.date(2019, 3, 12)
    assert payloads.format_if_modified_since(NOW) == "2024-06-03T12:00:00.000+00:00"
    with pytest.raises(ValueError, match="aware"):
        payloads.format_if_modified_since(dt.datetime(2024, 1, 1))  # noqa: DTZ001


def test_archived_contact_is_an_inactive_vendor() -> None:
    vendor = payloads.vendor_from_contact(
        {
            "ContactID": "c1",
            "Name": "Acme",
            "ContactStatus": "ARCHIVED",
            "EmailAddress": "a@b.c",
            "Addresses": [
                {"AddressType": "STREET"},
                {"AddressType": "POBOX", "AddressLine1": "1 Main St", "City": "Austin"},
            ],
            "Phones": [{"PhoneType": "DEFAULT", "PhoneNumber": "555-1234", "PhoneAreaCode": "512"}],
            "PaymentTerms": {"Bills": {"Day": 30, "Type": "DAYSAFTERBILLDATE"}},
            "UpdatedDateUTC": "/Date(1552348800000+0000)/",
        }
    )
    assert vendor.is_active is False and vendor.name == "Acme"
    assert vendor.address is not None and vendor.address.city == "Austin"
    assert vendor.phone == "512 555-1234" and vendor.payment_terms == "30 DAYSAFTERBILLDATE"
    assert vendor.updated_at == dt.datetime(2019, 3, 12, tzinfo=dt.UTC)


def test_every_spec_po_status_maps_and_filters_translate_back() -> None:
    assert set(payloads.PO_STATUS) == set(enum_of("PurchaseOrder", "Status"))
    assert payloads.xero_po_statuses([PurchaseOrderStatus.OPEN]) == ["AUTHORISED"]
    assert payloads.xero_po_statuses(None) == [None]
    with pytest.raises(payloads.XeroMappingError):
        payloads.purchase_order_from_xero(
            {"PurchaseOrderID": "p", "Status": "VOIDED", "Contact": {"ContactID": "c"}}
        )


def test_bill_payload_validates_against_the_spec_and_keeps_decimals() -> None:
    payload = payloads.bill_payload(invoice_for("6d7c0000-0000-4000-8000-000000000001", "SUP-1"))
    validate("Invoices", {"Invoices": [payload]})
    assert payload["Type"] == "ACCPAY" and payload["Contact"] == {
        "ContactID": "6d7c0000-0000-4000-8000-000000000001"
    }
    assert payload["LineItems"][0]["UnitAmount"] == 100.25 and payload["LineAmountTypes"] == "Exclusive"
    no_tax = payloads.bill_payload(invoice_for("c", "SUP-2", tax=None))
    assert no_tax["LineAmountTypes"] == "NoTax" and "TaxType" not in no_tax["LineItems"][0]


def test_idempotency_key_is_stable_per_content_and_short_enough() -> None:
    one = invoice_for("c", "SUP-1")
    key = payloads.idempotency_key([one])
    assert key == payloads.idempotency_key([invoice_for("c", "SUP-1")]) and len(key) <= 128
    assert key != payloads.idempotency_key([invoice_for("c", "SUP-1", account="400")])


@pytest.mark.parametrize(
    ("status", "paid", "due", "credited", "expected"),
    [
        ("AUTHORISED", "0", "100", "0", PaymentStatus.UNPAID),
        ("AUTHORISED", "40", "60", "0", PaymentStatus.PARTIAL),
        ("AUTHORISED", "0", "70", "30", PaymentStatus.PARTIAL),
        ("PAID", "100", "0", "0", PaymentStatus.PAID),
        ("VOIDED", "0", "0", "0", PaymentStatus.VOIDED),
    ],
)
def test_payment_status_from_amounts(
    status: str, paid: str, due: str, credited: str, expected: PaymentStatus
) -> None:
    result = payloads.payment_status_from(
        {
            "InvoiceID": "i1",
            "Status": status,
            "Total": Decimal(100),
            "AmountPaid": Decimal(paid),
            "AmountDue": Decimal(due),
            "AmountCredited": Decimal(credited),
            "CurrencyCode": "USD",
            "Payments": [{"PaymentID": "p1", "Amount": Decimal(paid), "Date": "/Date(1717200000000+0000)/"}]
            if Decimal(paid)
            else [],
        },
        NOW,
    )
    assert result.status is expected
    assert result.amount_due == Decimal(due) and result.amount_paid + result.amount_due == Decimal(100)


def test_accounts_and_tax_rates() -> None:
    account = payloads.account_from_xero(
        {"AccountID": "a1", "Code": "429", "Name": "General", "Type": "EXPENSE", "Status": "ARCHIVED"}
    )
    assert account.code == "429" and account.is_active is False
    rate = payloads.tax_code_from_xero(
        {"TaxType": "TAX001", "Name": "CA", "EffectiveRate": Decimal("8.25"), "Status": "ACTIVE"}
    )
    assert rate.code == "TAX001" and rate.rate == Decimal("8.25")
