"""QuickBooks JSON <-> standard models: shapes from quickbooks.md §Entities, payment rules from
quickbooks.md §Paid or not."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

import pytest

from smartap_erp.connectors.common import MappingError, json_number
from smartap_erp.connectors.quickbooks.payloads import (
    QuickBooksMappingError,
    bill_to_qbo,
    payment_status_from_qbo,
    purchase_order_from_qbo,
    tax_code_from_qbo,
    vendor_from_qbo,
)
from smartap_erp.domain import ERPInvoice, PaymentStatus, PurchaseOrderStatus

NOW = dt.datetime(2026, 5, 1, 12, 0, tzinfo=dt.UTC)


def parse(text: str) -> dict:
    return json.loads(text, parse_float=Decimal)


def test_vendor_with_company_offset_and_inactive_flag() -> None:
    raw = parse("""{"Id": "56", "SyncToken": "3", "DisplayName": "Acme Paper", "Active": false,
      "PrimaryEmailAddr": {"Address": "ap@acme.test"}, "PrimaryPhone": {"FreeFormNumber": "555-0100"},
      "BillAddr": {"Line1": "1 Main St", "City": "Austin", "CountrySubDivisionCode": "TX",
                   "PostalCode": "78701"},
      "TaxIdentifier": "12-3456789", "TermRef": {"value": "3", "name": "Net 30"},
      "CurrencyRef": {"value": "USD"},
      "MetaData": {"CreateTime": "2024-01-01T00:00:00-08:00",
                   "LastUpdatedTime": "2024-05-01T10:20:30-07:00"}}""")
    vendor = vendor_from_qbo(raw)
    assert (vendor.external_id, vendor.name, vendor.is_active, vendor.version) == (
        "56",
        "Acme Paper",
        False,
        "3",
    )
    assert vendor.updated_at == dt.datetime(2024, 5, 1, 17, 20, 30, tzinfo=dt.UTC)
    assert vendor.address is not None and vendor.address.region == "TX"
    assert (vendor.payment_terms, vendor.currency, vendor.tax_id) == ("Net 30", "USD", "12-3456789")


def test_purchase_order_lines_skip_subtotals_and_keep_decimals() -> None:
    raw = parse("""{"Id": "130", "DocNumber": "PO-7", "POStatus": "Closed", "TxnDate": "2024-04-02",
      "VendorRef": {"value": "56", "name": "Acme"}, "TotalAmt": 250.10,
      "Line": [
        {"Id": "1", "Amount": 200.10, "DetailType": "AccountBasedExpenseLineDetail",
         "AccountBasedExpenseLineDetail": {"AccountRef": {"value": "7"}, "TaxCodeRef": {"value": "NON"}}},
        {"Id": "2", "Amount": 50.00, "DetailType": "ItemBasedExpenseLineDetail",
         "ItemBasedExpenseLineDetail": {"ItemRef": {"value": "11"}, "Qty": 5, "UnitPrice": 10.00}},
        {"Amount": 250.10, "DetailType": "SubTotalLineDetail", "SubTotalLineDetail": {}}]}""")
    po = purchase_order_from_qbo(raw, home_currency="USD")
    assert (po.po_number, po.status, po.currency, po.total_amount) == (
        "PO-7",
        PurchaseOrderStatus.CLOSED,
        "USD",
        Decimal("250.10"),
    )
    assert [line.line_id for line in po.line_items] == ["1", "2"]
    assert po.line_items[0].account_code == "7" and po.line_items[1].item_code == "11"
    assert po.line_items[1].quantity == 5 and po.line_items[1].unit_price == Decimal("10.00")


def test_unknown_po_status_names_the_field() -> None:
    with pytest.raises(QuickBooksMappingError, match="POStatus: expected Open or Closed"):
        purchase_order_from_qbo(
            {"Id": "1", "POStatus": "Pending", "VendorRef": {"value": "5"}}, home_currency="USD"
        )


def _invoice(**overrides: object) -> ERPInvoice:
    fields = {
        "invoice_number": "SUP-1001",
        "vendor_id": "56",
        "invoice_date": "2024-05-01",
        "due_date": "2024-05-31",
        "currency": "USD",
        "total_amount": "250.10",
        "purchase_order_id": "130",
        "memo": "invoice 8f1c",
        "line_items": [
            {"amount": "200.10", "account_code": "7", "tax_code": "NON", "description": "Paper"},
            {"amount": "50.00", "item_code": "11", "quantity": "5", "unit_price": "10", "po_line_id": "2"},
        ],
    }
    return ERPInvoice.model_validate({**fields, **overrides})


def test_bill_body_has_both_line_types_and_the_po_link() -> None:
    body = bill_to_qbo(_invoice(), ap_account_id="33", home_currency="USD")
    assert body["VendorRef"] == {"value": "56"} and body["APAccountRef"] == {"value": "33"}
    assert (body["TxnDate"], body["DueDate"], body["DocNumber"]) == ("2024-05-01", "2024-05-31", "SUP-1001")
    account_line, item_line = body["Line"]
    assert account_line["DetailType"] == "AccountBasedExpenseLineDetail"
    assert account_line["AccountBasedExpenseLineDetail"] == {
        "AccountRef": {"value": "7"},
        "TaxCodeRef": {"value": "NON"},
    }
    assert item_line["ItemBasedExpenseLineDetail"] == {"ItemRef": {"value": "11"}, "Qty": 5, "UnitPrice": 10}
    assert item_line["LinkedTxn"] == [{"TxnId": "130", "TxnType": "PurchaseOrder", "TxnLineId": "2"}]
    assert "LinkedTxn" not in account_line  # no PO line named for it
    assert "CurrencyRef" not in body  # home currency is implied
    assert json.dumps(body).count("200.1") == 1  # exact digits on the wire


def test_foreign_currency_bill_names_its_currency() -> None:
    body = bill_to_qbo(
        _invoice(currency="EUR", purchase_order_id=None), ap_account_id=None, home_currency="USD"
    )
    assert body["CurrencyRef"] == {"value": "EUR"} and "APAccountRef" not in body
    assert all("LinkedTxn" not in line for line in body["Line"])


def test_doc_number_longer_than_qbo_allows_is_a_record_error() -> None:
    with pytest.raises(QuickBooksMappingError) as caught:
        bill_to_qbo(_invoice(invoice_number="X" * 22), ap_account_id=None, home_currency="USD")
    assert caught.value.field == "invoice_number" and "at most 21" in str(caught.value)


def test_json_number_keeps_digits_or_refuses() -> None:
    assert json_number(Decimal("200.10")) == 200.1 and json.dumps(json_number(Decimal("0.07"))) == "0.07"
    assert json_number(Decimal("12")) == 12
    with pytest.raises(MappingError):
        json_number(Decimal("12345678901234567.89"))


def _payment(pid: str, amount: str, bill_id: str, date: str) -> dict:
    return {
        "Id": pid,
        "TxnDate": date,
        "PayType": "Check",
        "TotalAmt": Decimal(amount),
        "Line": [{"Amount": Decimal(amount), "LinkedTxn": [{"TxnId": bill_id, "TxnType": "Bill"}]}],
    }


@pytest.mark.parametrize(
    ("balance", "payments", "status", "paid"),
    [
        ("100.00", [], PaymentStatus.UNPAID, "0.00"),
        ("60.00", [("p1", "40.00", "9")], PaymentStatus.PARTIAL, "40.00"),
        (
            "0",
            [("p1", "40.00", "9"), ("p2", "60.00", "9"), ("p3", "75.00", "10")],
            PaymentStatus.PAID,
            "100.00",
        ),
    ],
)
def test_payment_status_from_balance_and_linked_payments(
    balance: str, payments: list[tuple[str, str, str]], status: PaymentStatus, paid: str
) -> None:
    bill = {"Id": "9", "TotalAmt": Decimal("100.00"), "Balance": Decimal(balance)}
    raw_payments = [
        _payment(pid, amount, bill_id, f"2024-05-0{i + 1}")
        for i, (pid, amount, bill_id) in enumerate(payments)
    ]
    result = payment_status_from_qbo(bill, raw_payments, home_currency="USD", checked_at=NOW)
    assert result.status == status
    assert result.amount_paid == Decimal(paid) and result.amount_due == Decimal(balance)
    assert [p.external_id for p in result.payments] == [pid for pid, _, bill_id in payments if bill_id == "9"]
    assert result.last_payment_date == (max(p.paid_on for p in result.payments) if result.payments else None)


def test_tax_code_rate_sums_its_purchase_rates() -> None:
    raw = {
        "Id": "4",
        "Name": "GST/PST",
        "Description": "Combined",
        "Active": True,
        "PurchaseTaxRateList": {
            "TaxRateDetail": [{"TaxRateRef": {"value": "1"}}, {"TaxRateRef": {"value": "2"}}]
        },
    }
    code = tax_code_from_qbo(raw, {"1": Decimal("5"), "2": Decimal("7")})
    assert (code.code, code.rate) == ("GST/PST", Decimal("12"))
    assert tax_code_from_qbo({"Id": "5", "Name": "NON"}, {}).rate is None
