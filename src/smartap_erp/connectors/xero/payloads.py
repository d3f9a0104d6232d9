"""Pure translations between Xero Accounting JSON (xero.md §Entities) and the standard models. No I/O.

Responses are parsed with `parse_float=Decimal`, and `_money` accepts ints and strings too, so money
never passes through binary floats. Xero writes dates as `/Date(ms+0000)/` (xero.md §Dates in JSON); document
dates (`Date`, `DueDate`) are org-local calendar dates and are read as dates, never shifted through
a timezone (xero.md §Dates in JSON). Purchase-order statuses are the spec's DRAFT, SUBMITTED, AUTHORISED,
BILLED, DELETED (erp-facts.md §Seed corrections: the seed's list was wrong). Bills go out as `Invoice`
`Type=ACCPAY` with only `ContactID` on the contact (xero.md §Writes and idempotency) and an `Idempotency-Key`
derived from the invoice.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

from smartap_erp.connectors.common import MappingError, json_number, money
from smartap_erp.domain import (
    ERPAccount,
    ERPAddress,
    ERPInvoice,
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
_MS_DATE = re.compile(r"^/Date\((-?\d+)([+-]\d{4})?\)/$")
IDEMPOTENCY_KEY_MAX = 128  # xero.md §Writes and idempotency
PO_STATUS: dict[str, PurchaseOrderStatus] = {
    "DRAFT": PurchaseOrderStatus.DRAFT,
    "SUBMITTED": PurchaseOrderStatus.DRAFT,  # awaiting approval: not yet an open order
    "AUTHORISED": PurchaseOrderStatus.OPEN,  # erp-facts.md §Seed corrections: import open POs as AUTHORISED
    "BILLED": PurchaseOrderStatus.CLOSED,
    "DELETED": PurchaseOrderStatus.CANCELLED,
}


class XeroMappingError(MappingError):
    """A record that cannot be translated; `field` names the offending field."""


def parse_timestamp(value: Any) -> dt.datetime | None:
    """`/Date(ms)/` or `/Date(ms+HHMM)/` (UTC milliseconds) or ISO text, as an aware UTC datetime."""
    if not isinstance(value, str) or not value:
        return None
    match = _MS_DATE.match(value.strip())
    if match:
        return dt.datetime.fromtimestamp(int(match.group(1)) / 1000, dt.UTC)
    parsed = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)


def parse_date(value: Any) -> dt.date | None:
    """A document date: `/Date(ms+0000)/` (midnight of that day) or `YYYY-MM-DD[T...]`."""
    if not isinstance(value, str) or not value:
        return None
    match = _MS_DATE.match(value.strip())
    if match:
        return dt.datetime.fromtimestamp(int(match.group(1)) / 1000, dt.UTC).date()
    return dt.date.fromisoformat(value[:10])


def format_if_modified_since(since: dt.datetime) -> str:
    """If-Modified-Since as ISO-8601 in UTC with milliseconds, like the spec's example
    (xero.md §Change detection)."""
    if since.tzinfo is None:
        raise ValueError("since must be timezone-aware")
    return since.astimezone(dt.UTC).isoformat(timespec="milliseconds")


def _address(contact: Json) -> ERPAddress | None:
    addresses = [a for a in contact.get("Addresses") or [] if a.get("AddressLine1") or a.get("City")]
    if not addresses:
        return None
    chosen = next((a for a in addresses if a.get("AddressType") == "POBOX"), addresses[0])
    lines = [chosen.get(f"AddressLine{n}") for n in range(1, 5)]
    return ERPAddress(
        line1=lines[0] or None,
        line2=" ".join(x for x in lines[1:] if x) or None,
        city=chosen.get("City") or None,
        region=chosen.get("Region") or None,
        postal_code=chosen.get("PostalCode") or None,
        country=chosen.get("Country") or None,
    )


def _phone(contact: Json) -> str | None:
    for phone in contact.get("Phones") or []:
        if phone.get("PhoneNumber"):
            parts = [phone.get("PhoneCountryCode"), phone.get("PhoneAreaCode"), phone["PhoneNumber"]]
            return " ".join(str(p) for p in parts if p)
    return None


def _terms(contact: Json) -> str | None:
    bills = (contact.get("PaymentTerms") or {}).get("Bills") or {}
    if bills.get("Day") is None or not bills.get("Type"):
        return None
    return f"{bills['Day']} {bills['Type']}"


def vendor_from_contact(contact: Json) -> ERPVendor:
    """A supplier contact; ARCHIVED (or GDPRREQUEST) contacts become inactive vendors (deactivations)."""
    if not contact.get("ContactID"):
        raise XeroMappingError("ContactID", "missing")
    updated = parse_timestamp(contact.get("UpdatedDateUTC"))
    return ERPVendor(
        external_id=str(contact["ContactID"]),
        name=str(contact.get("Name") or "").strip() or str(contact["ContactID"]),
        email=contact.get("EmailAddress") or None,
        phone=_phone(contact),
        address=_address(contact),
        tax_id=contact.get("TaxNumber") or None,
        payment_terms=_terms(contact),
        currency=contact.get("DefaultCurrency") or None,
        is_active=contact.get("ContactStatus", "ACTIVE") == "ACTIVE",
        updated_at=updated,
        version=contact.get("UpdatedDateUTC"),
    )


def purchase_order_from_xero(po: Json) -> ERPPurchaseOrder:
    status = po.get("Status")
    if status not in PO_STATUS:
        raise XeroMappingError("Status", f"unknown PurchaseOrder status {status!r}")
    contact = po.get("Contact") or {}
    if not contact.get("ContactID"):
        raise XeroMappingError("Contact.ContactID", "missing")
    lines = tuple(
        ERPPurchaseOrderLine(
            line_id=str(line.get("LineItemID") or index),
            description=line.get("Description"),
            quantity=money(line.get("Quantity", 1)),
            unit_price=money(line["UnitAmount"]) if line.get("UnitAmount") is not None else None,
            amount=money(line.get("LineAmount", 0)),
            account_code=line.get("AccountCode"),
            item_code=line.get("ItemCode"),
            tax_code=line.get("TaxType"),
        )
        for index, line in enumerate(po.get("LineItems") or [], start=1)
    )
    return ERPPurchaseOrder(
        external_id=str(po["PurchaseOrderID"]),
        po_number=str(po.get("PurchaseOrderNumber") or ""),
        vendor_id=str(contact["ContactID"]),
        total_amount=money(po.get("Total", 0)),
        currency=po.get("CurrencyCode") or "USD",
        status=PO_STATUS[status],
        order_date=parse_date(po.get("Date")),
        line_items=lines,
        updated_at=parse_timestamp(po.get("UpdatedDateUTC")),
        version=po.get("UpdatedDateUTC"),
    )


def xero_po_statuses(wanted: Sequence[PurchaseOrderStatus] | None) -> list[str | None]:
    """The Xero `Status` values to query for a standard filter ([None] = no filter)."""
    if not wanted:
        return [None]
    return [xero for xero, standard in PO_STATUS.items() if standard in wanted]


def bill_payload(invoice: ERPInvoice) -> dict[str, Any]:
    """One `Invoice` element, `Type=ACCPAY`, AUTHORISED. With tax codes it is tax exclusive (line
    amounts are net) and every line states its `TaxAmount` (xero.md §Entities: auto-calculated,
    overridable): its share of the invoice's tax, 0 on a line without a code, so Xero's Total is
    the invoice's whatever its rates say. Without tax codes it is `NoTax`."""
    taxed = any(line.tax_code for line in invoice.line_items)
    shares = invoice.line_taxes() if taxed else (None,) * len(invoice.line_items)
    lines = []
    for line, share in zip(invoice.line_items, shares, strict=True):
        item: dict[str, Any] = {"Description": line.description or invoice.invoice_number}
        item["Quantity"] = json_number(line.quantity)
        unit = line.unit_price if line.unit_price is not None else line.amount / line.quantity
        if line.unit_price is None or line.unit_price * line.quantity != line.amount:
            item.update(Quantity=1, UnitAmount=json_number(line.amount))
        else:
            item["UnitAmount"] = json_number(unit)
        item["LineAmount"] = json_number(line.amount)
        if line.account_code:
            item["AccountCode"] = line.account_code
        if line.item_code:
            item["ItemCode"] = line.item_code
        if line.tax_code:
            item["TaxType"] = line.tax_code
        if taxed:
            item["TaxAmount"] = json_number(share or Decimal(0))
        lines.append(item)
    payload: dict[str, Any] = {
        "Type": "ACCPAY",
        # only the id, never other fields (xero.md §Writes and idempotency)
        "Contact": {"ContactID": invoice.vendor_id},
        "InvoiceNumber": invoice.invoice_number,
        "Date": invoice.invoice_date.isoformat(),
        "LineAmountTypes": "Exclusive" if taxed else "NoTax",
        "Status": "AUTHORISED",
        "CurrencyCode": invoice.currency,
        "LineItems": lines,
    }
    if invoice.due_date:
        payload["DueDate"] = invoice.due_date.isoformat()
    return payload


def idempotency_key(invoices: Sequence[ERPInvoice]) -> str:
    """A stable key for one create request: same invoices with the same content, same key (≤128)."""
    digest = hashlib.sha256()
    for invoice in invoices:
        ident = invoice.smartap_invoice_id or f"{invoice.vendor_id}/{invoice.invoice_number}"
        digest.update(ident.encode())
        digest.update(json.dumps(bill_payload(invoice), sort_keys=True).encode())
    key = f"smartap-bills-{digest.hexdigest()}"
    return key[:IDEMPOTENCY_KEY_MAX]


def validation_messages(element: Json) -> list[str]:
    return [str(e.get("Message")) for e in element.get("ValidationErrors") or [] if e.get("Message")]


def payment_status_from(invoice: Json, now: dt.datetime) -> ERPPaymentStatus:
    """Status from AmountDue / AmountPaid / Payments (xero.md §Paid or not): credits reduce AmountDue too."""
    total = money(invoice.get("Total", 0))
    paid = money(invoice.get("AmountPaid", 0))
    due = money(invoice.get("AmountDue", 0))
    credited = money(invoice.get("AmountCredited", 0))
    currency = invoice.get("CurrencyCode") or "USD"
    payments = tuple(
        ERPPayment(
            external_id=str(p["PaymentID"]),
            amount=money(p.get("Amount", 0)),
            currency=currency,
            paid_on=parse_date(p.get("Date")) or now.date(),
            reference=p.get("Reference") or None,
        )
        for p in invoice.get("Payments") or []
    )
    xero_status = invoice.get("Status")
    if xero_status in ("VOIDED", "DELETED"):
        status, due = PaymentStatus.VOIDED, Decimal(0)
    elif xero_status == "PAID" or (due <= 0 < total):
        status = PaymentStatus.PAID
    elif paid > 0 or credited > 0:
        status = PaymentStatus.PARTIAL
    else:
        status = PaymentStatus.UNPAID
    paid = total - due  # settled by payments and credits alike, so paid + due == total always holds
    last = max((p.paid_on for p in payments), default=None)
    return ERPPaymentStatus(
        external_invoice_id=str(invoice["InvoiceID"]),
        status=status,
        currency=currency,
        total_amount=total,
        amount_paid=paid,
        amount_due=due,
        payments=payments,
        last_payment_date=last,
        checked_at=now,
    )


def account_from_xero(account: Json) -> ERPAccount:
    return ERPAccount(
        external_id=str(account["AccountID"]),
        code=account.get("Code") or None,
        name=str(account.get("Name") or account.get("Code") or account["AccountID"]),
        account_type=str(account.get("Type") or "UNKNOWN"),
        is_active=account.get("Status", "ACTIVE") == "ACTIVE",
        currency=account.get("CurrencyCode") or None,
    )


def tax_code_from_xero(rate: Json) -> ERPTaxCode:
    """A TaxRate; `TaxType` is the code bills use on lines (xero.md §Entities)."""
    value = rate.get("EffectiveRate", rate.get("DisplayTaxRate"))
    return ERPTaxCode(
        external_id=str(rate["TaxType"]),
        code=str(rate["TaxType"]),
        name=str(rate.get("Name") or rate["TaxType"]),
        rate=money(value) if value is not None else None,
        is_active=rate.get("Status", "ACTIVE") == "ACTIVE",
    )
