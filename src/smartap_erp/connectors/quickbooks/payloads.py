"""Pure translations between QuickBooks Online JSON (quickbooks.md §Entities) and the standard models. No I/O.

Amounts arrive as JSON numbers; the connector parses responses with `parse_float=Decimal`, and
`money` (shared, `connectors.common`) never lets an amount go through binary floats; outgoing amounts
are JSON numbers that keep every digit (`json_number`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping
from decimal import Decimal
from typing import Any

from smartap_erp.connectors.common import MappingError, json_number, money
from smartap_erp.domain import (
    ERPAccount,
    ERPInvoice,
    ERPInvoiceLine,
    ERPPayment,
    ERPPaymentStatus,
    ERPPurchaseOrder,
    ERPPurchaseOrderLine,
    ERPTaxCode,
    ERPVendor,
    PaymentStatus,
    PurchaseOrderStatus,
)

Json = Mapping[str, Any]

# Intuit's data-model docs: DocNumber is at most 21 characters in QBO.
DOC_NUMBER_MAX_LENGTH = 21
ACCOUNT_LINE = "AccountBasedExpenseLineDetail"
ITEM_LINE = "ItemBasedExpenseLineDetail"
_PO_STATUS = {"Open": PurchaseOrderStatus.OPEN, "Closed": PurchaseOrderStatus.CLOSED}


class QuickBooksMappingError(MappingError):
    """A record that cannot be translated; `field` names the offending field."""


def parse_qbo_datetime(value: str) -> dt.datetime:
    """QBO MetaData times are ISO-8601 with the company's offset (quickbooks.md §Dates and times): normalise
    to UTC."""
    parsed = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    if parsed.tzinfo is None:
        raise QuickBooksMappingError("MetaData.LastUpdatedTime", f"{value!r} has no UTC offset")
    return parsed.astimezone(dt.UTC)


def format_qbo_datetime(value: dt.datetime) -> str:
    """UTC, second precision, explicit offset: what the query language compares against."""
    return value.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S+00:00")


def _ref(raw: Json, key: str) -> str | None:
    ref = raw.get(key)
    return str(ref["value"]) if isinstance(ref, Mapping) and ref.get("value") is not None else None


def _updated_at(raw: Json) -> dt.datetime | None:
    stamp = (raw.get("MetaData") or {}).get("LastUpdatedTime")
    return parse_qbo_datetime(stamp) if stamp else None


def vendor_from_qbo(raw: Json) -> ERPVendor:
    """One validation of the whole record, the address included (pydantic validates the nested
    `ERPAddress` in the same call: a page of 1,000 vendors is the worker's CPU, issue 17); a bad
    address field is reported as `address.<field>`."""
    address = raw.get("BillAddr") or {}
    return _VENDOR(
        {
            "external_id": str(raw["Id"]),
            "name": raw.get("DisplayName") or raw.get("CompanyName") or "",
            "email": (raw.get("PrimaryEmailAddr") or {}).get("Address"),
            "phone": (raw.get("PrimaryPhone") or {}).get("FreeFormNumber"),
            "address": {
                "line1": address.get("Line1"),
                "line2": address.get("Line2"),
                "city": address.get("City"),
                "region": address.get("CountrySubDivisionCode"),
                "postal_code": address.get("PostalCode"),
                "country": address.get("Country"),
            }
            if address
            else None,
            "tax_id": raw.get("TaxIdentifier"),
            "payment_terms": (raw.get("TermRef") or {}).get("name") or _ref(raw, "TermRef"),
            "currency": _ref(raw, "CurrencyRef"),
            "is_active": bool(raw.get("Active", True)),
            "updated_at": _updated_at(raw),
            "version": raw.get("SyncToken"),
        }
    )


# The model's own validator, without `model_validate`'s Python wrapper: the same validation and result,
# 0.4-0.5 us less per vendor (bench/parse_pages.py, issue 17).
_VENDOR: Callable[[Json], ERPVendor] = ERPVendor.__pydantic_validator__.validate_python


def _po_line(line: Json) -> ERPPurchaseOrderLine | None:
    detail_type = line.get("DetailType")
    if detail_type not in (ACCOUNT_LINE, ITEM_LINE):
        return None  # SubTotalLineDetail and friends carry no goods
    detail = line.get(detail_type) or {}
    return ERPPurchaseOrderLine(
        line_id=str(line.get("Id", line.get("LineNum", ""))),
        description=line.get("Description"),
        quantity=money(detail.get("Qty", 1)),
        unit_price=money(detail["UnitPrice"]) if "UnitPrice" in detail else None,
        amount=money(line.get("Amount", 0)),
        account_code=_ref(detail, "AccountRef"),
        item_code=_ref(detail, "ItemRef"),
        tax_code=_ref(detail, "TaxCodeRef"),
    )


def purchase_order_from_qbo(raw: Json, *, home_currency: str) -> ERPPurchaseOrder:
    status = raw.get("POStatus", "Open")
    if status not in _PO_STATUS:
        raise QuickBooksMappingError("POStatus", f"expected Open or Closed, got {status!r}")
    lines = (_po_line(line) for line in raw.get("Line", []))
    return ERPPurchaseOrder(
        external_id=str(raw["Id"]),
        po_number=raw.get("DocNumber") or str(raw["Id"]),
        vendor_id=_ref(raw, "VendorRef") or "",
        total_amount=money(raw.get("TotalAmt", 0)),
        currency=_ref(raw, "CurrencyRef") or home_currency,
        status=_PO_STATUS[status],
        order_date=dt.date.fromisoformat(raw["TxnDate"]) if raw.get("TxnDate") else None,
        line_items=tuple(line for line in lines if line is not None),
        updated_at=_updated_at(raw),
        version=raw.get("SyncToken"),
    )


def _bill_line(line: ERPInvoiceLine, purchase_order_id: str | None) -> dict[str, Any]:
    detail: dict[str, Any]
    if line.item_code:
        detail_type = ITEM_LINE
        detail = {"ItemRef": {"value": line.item_code}, "Qty": json_number(line.quantity)}
        if line.unit_price is not None:
            detail["UnitPrice"] = json_number(line.unit_price)
    else:
        detail_type = ACCOUNT_LINE
        detail = {"AccountRef": {"value": line.account_code}}
    if line.tax_code:
        detail["TaxCodeRef"] = {"value": line.tax_code}
    body: dict[str, Any] = {
        "Amount": json_number(line.amount),
        "DetailType": detail_type,
        detail_type: detail,
    }
    if line.description:
        body["Description"] = line.description
    if purchase_order_id and line.po_line_id:
        # Linking a bill line to its PO line (quickbooks.md §Entities, community practice; UNCERTAIN in
        # primary docs).
        body["LinkedTxn"] = [
            {"TxnId": purchase_order_id, "TxnType": "PurchaseOrder", "TxnLineId": line.po_line_id}
        ]
    return body


def bill_to_qbo(invoice: ERPInvoice, *, ap_account_id: str | None, home_currency: str) -> dict[str, Any]:
    """The Bill create body for an approved invoice (quickbooks.md §Entities, illustrative body)."""
    if len(invoice.invoice_number) > DOC_NUMBER_MAX_LENGTH:
        raise QuickBooksMappingError(
            "invoice_number",
            f"QuickBooks DocNumber holds at most {DOC_NUMBER_MAX_LENGTH} characters, "
            f"got {len(invoice.invoice_number)} ({invoice.invoice_number!r})",
        )
    body: dict[str, Any] = {
        "VendorRef": {"value": invoice.vendor_id},
        "TxnDate": invoice.invoice_date.isoformat(),
        "DocNumber": invoice.invoice_number,
        "Line": [_bill_line(line, invoice.purchase_order_id) for line in invoice.line_items],
    }
    if ap_account_id:
        body["APAccountRef"] = {"value": ap_account_id}
    if invoice.due_date:
        body["DueDate"] = invoice.due_date.isoformat()
    if invoice.currency != home_currency:
        body["CurrencyRef"] = {"value": invoice.currency}
    if invoice.memo:
        body["PrivateNote"] = invoice.memo
    if invoice.tax_amount:
        # Lines are net; QuickBooks computes the tax from the lines' purchase tax codes
        # (quickbooks.md §Entities TxnTaxDetail, GlobalTaxCalculation). TotalTax states ours; whether
        # QuickBooks lets it override its own figure is UNCERTAIN, so the exporter compares the TotalAmt it
        # answers.
        body["GlobalTaxCalculation"] = "TaxExcluded"
        body["TxnTaxDetail"] = {"TotalTax": json_number(invoice.tax_amount)}
    return body


def _paid_on_bill(payment: Json, bill_id: str) -> Decimal:
    """How much of one BillPayment went to this bill: the lines whose LinkedTxn points at it."""
    total = Decimal(0)
    for line in payment.get("Line", []):
        if any(
            t.get("TxnType") == "Bill" and str(t.get("TxnId")) == bill_id for t in line.get("LinkedTxn", [])
        ):
            total += money(line.get("Amount", 0))
    return total


def payment_status_from_qbo(
    bill: Json, payments: Iterable[Json], *, home_currency: str, checked_at: dt.datetime
) -> ERPPaymentStatus:
    """Status from Bill.Balance, the source of truth (quickbooks.md §Paid or not); payments list the
    detail."""
    bill_id = str(bill["Id"])
    currency = _ref(bill, "CurrencyRef") or home_currency
    total, balance = money(bill.get("TotalAmt", 0)), money(bill.get("Balance", 0))
    applied = [
        ERPPayment(
            external_id=str(p["Id"]),
            amount=_paid_on_bill(p, bill_id),
            currency=currency,
            paid_on=dt.date.fromisoformat(p["TxnDate"]),
            method=p.get("PayType"),
            reference=p.get("DocNumber"),
        )
        for p in payments
        if p.get("TxnDate") and _paid_on_bill(p, bill_id) > 0
    ]
    status = (
        PaymentStatus.PAID
        if balance == 0 and total > 0
        else (PaymentStatus.UNPAID if balance == total else PaymentStatus.PARTIAL)
    )
    if bill.get("status") == "Voided":
        status = PaymentStatus.VOIDED
    return ERPPaymentStatus(
        external_invoice_id=bill_id,
        status=status,
        currency=currency,
        total_amount=total,
        amount_paid=total - balance,
        amount_due=balance,
        payments=tuple(applied),
        last_payment_date=max((p.paid_on for p in applied), default=None),
        checked_at=checked_at,
    )


def account_from_qbo(raw: Json) -> ERPAccount:
    return ERPAccount(
        external_id=str(raw["Id"]),
        code=raw.get("AcctNum"),
        name=raw.get("Name", ""),
        account_type=raw.get("AccountType", ""),
        is_active=bool(raw.get("Active", True)),
        currency=_ref(raw, "CurrencyRef"),
    )


def tax_code_from_qbo(raw: Json, rates: Mapping[str, Decimal]) -> ERPTaxCode:
    """Purchase rate = sum of the TaxRate values its PurchaseTaxRateList references
    (quickbooks.md §Entities)."""
    details = (raw.get("PurchaseTaxRateList") or {}).get("TaxRateDetail", [])
    known = [
        rates[str(d["TaxRateRef"]["value"])]
        for d in details
        if str(d.get("TaxRateRef", {}).get("value")) in rates
    ]
    return ERPTaxCode(
        external_id=str(raw["Id"]),
        code=raw.get("Name", str(raw["Id"])),
        name=raw.get("Description") or raw.get("Name", ""),
        rate=sum(known, Decimal(0)) if known else None,
        is_active=bool(raw.get("Active", True)),
    )
