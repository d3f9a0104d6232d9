"""The standard models refuse naive datetimes, inexact money and unknown enum values, clearly."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from pydantic import ValidationError

from smartap_erp.domain import (
    ERPEntity,
    ERPInvoice,
    ERPPaymentStatus,
    ERPPurchaseOrder,
    ERPSystem,
    ERPVendor,
    RecordError,
    SyncResult,
    SyncStatus,
)
from smartap_erp.domain.money import MoneyError, from_minor_units, to_minor_units

LINE = {"amount": "100.10", "account_code": "6000", "description": "Paper"}


def invoice(**overrides: object) -> ERPInvoice:
    fields: dict[str, object] = {
        "invoice_number": "SUP-1001",
        "vendor_id": "56",
        "invoice_date": dt.date(2026, 1, 5),
        "currency": "USD",
        "total_amount": "110.10",
        "tax_amount": "10.00",
        "line_items": [LINE],
    }
    return ERPInvoice.model_validate({**fields, **overrides})


def test_enums_have_every_member_the_seed_lists() -> None:
    assert {m.name for m in ERPSystem} == {
        "QUICKBOOKS",
        "XERO",
        "SAP",
        "SAGE",
        "NETSUITE",
        "ORACLE",
        "DYNAMICS",
    }
    assert {m.name for m in SyncStatus} == {"PENDING", "IN_PROGRESS", "COMPLETED", "FAILED", "PARTIAL"}
    assert {m.name for m in ERPEntity} == {
        "VENDOR",
        "PURCHASE_ORDER",
        "INVOICE",
        "PAYMENT",
        "ACCOUNT",
        "TAX_CODE",
    }


def test_naive_datetime_rejected_with_field_name() -> None:
    with pytest.raises(ValidationError) as caught:
        ERPVendor(external_id="1", name="Acme", updated_at=dt.datetime(2026, 1, 1, 12, 0))  # noqa: DTZ001
    assert caught.value.errors()[0]["loc"] == ("updated_at",)
    assert "timezone-aware" in str(caught.value)


def test_aware_datetimes_are_normalised_to_utc() -> None:
    plus_two = dt.timezone(dt.timedelta(hours=2))
    vendor = ERPVendor(
        external_id="1", name="Acme", updated_at=dt.datetime(2026, 1, 1, 12, 0, tzinfo=plus_two)
    )
    assert vendor.updated_at == dt.datetime(2026, 1, 1, 10, 0, tzinfo=dt.UTC)
    assert vendor.updated_at is not None and vendor.updated_at.tzinfo == dt.UTC


@pytest.mark.parametrize("bad", [100.1, True, "ten", "NaN", [1]])
def test_non_decimal_money_rejected(bad: object) -> None:
    with pytest.raises(ValidationError) as caught:
        invoice(total_amount=bad)
    assert caught.value.errors()[0]["loc"] == ("total_amount",)


def test_float_error_says_why() -> None:
    with pytest.raises(ValidationError, match="expected a Decimal or a decimal string for money, got float"):
        invoice(total_amount=110.1)


def test_decimal_strings_and_ints_are_exact() -> None:
    assert invoice().total_amount == Decimal("110.10")
    assert invoice(total_amount=110, tax_amount=0, line_items=[{**LINE, "amount": 110}]).total_amount == 110


def test_unknown_enum_value_rejected() -> None:
    with pytest.raises(ValidationError) as caught:
        ERPPurchaseOrder(
            external_id="1",
            po_number="PO-1",
            vendor_id="56",
            total_amount="1",
            currency="USD",
            status="SUBMITTED",
        )  # type: ignore[arg-type]
    assert caught.value.errors()[0]["loc"] == ("status",)
    assert "'open'" in str(caught.value)
    with pytest.raises(ValidationError, match="entity_type"):
        SyncResult(entity_type="customer", status="completed")  # type: ignore[arg-type]


@pytest.mark.parametrize("code", ["usd", "US", "EURO", "", "12$"])
def test_bad_currency_codes_rejected(code: str) -> None:
    with pytest.raises(ValidationError, match="ISO 4217"):
        invoice(currency=code)


def test_invoice_totals_must_add_up() -> None:
    with pytest.raises(
        ValidationError, match=r"total_amount 111.10 does not equal the line amounts 100.10 plus"
    ):
        invoice(total_amount="111.10")


def test_invoice_line_needs_account_or_item() -> None:
    with pytest.raises(ValidationError, match="needs an account_code"):
        invoice(line_items=[{"amount": "100.10"}])


def test_unknown_fields_are_refused() -> None:
    with pytest.raises(ValidationError, match="tax_idd"):
        ERPVendor(external_id="1", name="Acme", tax_idd="x")  # type: ignore[call-arg]


def test_payment_status_amounts_must_be_consistent() -> None:
    with pytest.raises(ValidationError, match="amount_paid"):
        ERPPaymentStatus(
            external_invoice_id="1",
            status="partial",
            currency="USD",
            total_amount="100",
            amount_paid="40",
            amount_due="50",
            checked_at=dt.datetime.now(dt.UTC),
        )


def test_sync_result_round_trips_through_json_without_loss() -> None:
    result = SyncResult(
        entity_type=ERPEntity.VENDOR,
        status=SyncStatus.PARTIAL,
        total_count=3,
        success_count=2,
        error_count=1,
        created_count=1,
        updated_count=1,
        errors=[RecordError(record_id="58", field="PrimaryEmailAddr", message="not an email", code="2050")],
        data=[{"external_id": "56", "balance": "1200.10", "tags": ["a", 1, 2.5, None, True]}],
        started_at=dt.datetime(2026, 1, 5, 9, 0, 0, 123456, tzinfo=dt.UTC),
        completed_at=dt.datetime(2026, 1, 5, 9, 0, 7, tzinfo=dt.UTC),
    )
    again = SyncResult.from_json(result.to_json())
    assert again == result
    assert again.to_json() == result.to_json()


def test_a_typed_sync_result_counts_its_records_and_round_trips_them_as_models() -> None:
    at = dt.datetime(2026, 1, 5, 9, 0, tzinfo=dt.UTC)
    error = RecordError(record_id="58", message="not an email")
    result = SyncResult[ERPVendor].of(
        ERPEntity.VENDOR, [ERPVendor(external_id="56", name="Acme")], [error], started_at=at, completed_at=at
    )
    assert (result.status, result.total_count, result.success_count, result.error_count) == (
        SyncStatus.PARTIAL,
        2,
        1,
        1,
    )
    again = SyncResult[ERPVendor].from_json(result.to_json())
    assert again == result and isinstance(again.data[0], ERPVendor)
    assert SyncResult[ERPVendor].of(ERPEntity.VENDOR, [], [error], started_at=at, completed_at=at).status == (
        SyncStatus.FAILED
    )


def test_sync_result_counts_must_be_consistent() -> None:
    with pytest.raises(ValidationError, match="exceeds total_count"):
        SyncResult(entity_type="vendor", status="completed", total_count=1, success_count=1, error_count=1)


@pytest.mark.parametrize(
    ("amount", "currency", "minor"),
    [("12.34", "USD", 1234), ("1200", "JPY", 1200), ("1.234", "KWD", 1234), ("-0.50", "EUR", -50)],
)
def test_minor_units_round_trip(amount: str, currency: str, minor: int) -> None:
    assert to_minor_units(Decimal(amount), currency) == minor
    assert from_minor_units(minor, currency) == Decimal(amount)


def test_minor_units_never_round_silently() -> None:
    with pytest.raises(MoneyError, match="more than 2 decimal places"):
        to_minor_units(Decimal("0.001"), "USD")
    with pytest.raises(MoneyError, match="more than 0 decimal places"):
        to_minor_units(Decimal("10.5"), "JPY")
