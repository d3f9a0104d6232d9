"""Creating and updating invoices (bills) from `PUT`/`POST /Invoices` elements, Xero's way.

Each element of `{"Invoices": [...]}` is validated on its own (xero.md §Writes and idempotency): Type, Contact
(by `ContactID`, or by `Name`, which creates the contact when no contact has that name), dates (`YYYY-MM-DD`,
default DueDate from the contact's bill terms), `LineAmountTypes`, a create status of
DRAFT/SUBMITTED/AUTHORISED, and per line a Description, an active account `AccountCode` and a usable `TaxType`
(default: the account's tax type). ACCPAY `InvoiceNumber` is not forced unique ( xero.md §Entities). `Total`
sent by the client is ignored in favour of the line sum. Problems come back as `ValidationErrors` messages;
`apply_element` never raises for bad input. `POST` with a known `InvoiceID` updates: status moves
DRAFT/SUBMITTED -> AUTHORISED or DELETED, AUTHORISED (unpaid) -> VOIDED, and edits are refused once a payment
is allocated. A bill approved (or edited while approved) with a date on or before a lock date is refused with
Xero's lock-date message (periods.py); DRAFT and SUBMITTED bills are not.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from erpsim.core.seeding import SeededData
from erpsim.xero.dates import parse_document_date
from erpsim.xero.periods import lock_error
from erpsim.xero.seed import new_guid
from erpsim.xero.store import ZERO, Org, Record, contact_ref, recompute_invoice

EMPTY_GUID = "00000000-0000-0000-0000-000000000000"
INVOICE_TYPES = (
    "ACCPAY",
    "ACCPAYCREDIT",
    "APOVERPAYMENT",
    "APPREPAYMENT",
    "ACCREC",
    "ACCRECCREDIT",
    "AROVERPAYMENT",
    "ARPREPAYMENT",
)
LINE_AMOUNT_TYPES = ("Exclusive", "Inclusive", "NoTax")
CREATE_STATUSES = ("DRAFT", "SUBMITTED", "AUTHORISED")
_TRANSITIONS = {
    "DRAFT": {"DRAFT", "SUBMITTED", "AUTHORISED", "DELETED"},
    "SUBMITTED": {"DRAFT", "SUBMITTED", "AUTHORISED", "DELETED"},
    "AUTHORISED": {"AUTHORISED", "VOIDED"},
}


class _Invalid(Exception):
    def __init__(self, messages: list[str]) -> None:
        super().__init__("; ".join(messages))
        self.messages = messages


def _decimal(value: Any, name: str, errors: list[str]) -> Decimal | None:
    if value is None:
        return None
    try:
        if isinstance(value, bool):
            raise InvalidOperation
        return Decimal(str(value))
    except (InvalidOperation, ValueError):
        errors.append(f"{name} must be a number")
        return None


def _contact(org: Org, data: SeededData, raw: Any, now: datetime, errors: list[str]) -> Record | None:
    if not isinstance(raw, dict) or not (raw.get("ContactID") or raw.get("Name")):
        errors.append("A Contact must be specified for this type of transaction")
        return None
    if raw.get("ContactID"):
        contact = org.contacts.get(str(raw["ContactID"]).lower())
        if contact is None:
            errors.append(f"The contact with ContactID '{raw['ContactID']}' could not be found")
        return contact
    name = str(raw["Name"])
    found = next((c for c in org.contacts.values() if c["Name"].lower() == name.lower()), None)
    if found is not None:
        return found
    contact_id = new_guid(data)
    created: Record = {
        "ContactID": contact_id,
        "Name": name,
        "ContactStatus": "ACTIVE",
        "IsSupplier": False,
        "IsCustomer": False,
        "Addresses": [],
        "Phones": [],
        "UpdatedDateUTC": now,
        "HasAttachments": False,
        "HasValidationErrors": False,
        "ContactGroups": [],
        "ContactPersons": [],
    }
    org.contacts[contact_id] = created
    return created


def _line(org: Org, data: SeededData, raw: Any, amount_types: str, errors: list[str]) -> Record:
    if not isinstance(raw, dict):
        errors.append("Line items must be objects")
        return {}
    line: Record = {"LineItemID": new_guid(data), "Description": raw.get("Description"), "Tracking": []}
    if not isinstance(line["Description"], str) or not line["Description"].strip():
        errors.append("The description field is mandatory for each line item.")
    line["Quantity"] = _decimal(raw.get("Quantity"), "Quantity", errors)
    line["UnitAmount"] = _decimal(raw.get("UnitAmount"), "UnitAmount", errors)
    line["LineAmount"] = _decimal(raw.get("LineAmount"), "LineAmount", errors)
    line["_tax_override"] = _decimal(raw.get("TaxAmount"), "TaxAmount", errors)
    code = raw.get("AccountCode")
    account = org.account_by_code(str(code)) if code is not None else None
    if raw.get("AccountID") and account is None:
        account = org.accounts.get(str(raw["AccountID"]).lower())
    if account is None or account["Status"] != "ACTIVE" or account["Type"] == "BANK":
        errors.append(f"Account code '{code or ''}' is not a valid code for this document.")
    else:
        line["AccountCode"], line["AccountID"] = account["Code"], account["AccountID"]
    tax_type = raw.get("TaxType") or (account or {}).get("TaxType")
    if amount_types == "NoTax" and not raw.get("TaxType"):
        tax_type = "NONE"
    rate = org.tax_rates.get(str(tax_type))
    if rate is None or rate["Status"] != "ACTIVE" or not rate["CanApplyToExpenses"]:
        errors.append(
            f"The TaxType code '{tax_type}' does not exist or cannot be used for this type of transaction."
        )
    line["TaxType"] = tax_type
    return line


def _dates(
    org: Org, raw: Record, contact: Record | None, today: date, errors: list[str]
) -> tuple[date, date]:
    day = parse_document_date(raw["Date"]) if raw.get("Date") is not None else today
    if day is None:
        errors.append(f"Date '{raw['Date']}' is not a valid date")
        day = today
    if raw.get("DueDate") is not None:
        due = parse_document_date(raw["DueDate"])
        if due is None:
            errors.append(f"DueDate '{raw['DueDate']}' is not a valid date")
            due = day
        return day, due
    terms = ((contact or {}).get("PaymentTerms") or org.organisation["PaymentTerms"]).get("Bills") or {}
    return day, day + timedelta(days=int(terms.get("Day", 30)))


def build_invoice(org: Org, data: SeededData, raw: Any, now: datetime) -> Record:
    """A new invoice record from a client element; raises `_Invalid` with Xero's messages."""
    if not isinstance(raw, dict):
        raise _Invalid(["Invoice elements must be objects"])
    errors: list[str] = []
    kind = raw.get("Type")
    if kind not in INVOICE_TYPES:
        errors.append("Invoice Type must be specified" if not kind else f"Invoice Type '{kind}' is not valid")
    status = raw.get("Status") or "DRAFT"
    if status not in CREATE_STATUSES:
        errors.append("Invoice not of valid status for creation")
    amount_types = raw.get("LineAmountTypes") or "Exclusive"
    if amount_types not in LINE_AMOUNT_TYPES:
        errors.append(f"LineAmountTypes '{amount_types}' is not valid: use Exclusive, Inclusive or NoTax")
        amount_types = "Exclusive"
    number = raw.get("InvoiceNumber")
    if number is not None and (not isinstance(number, str) or len(number) > 255):
        errors.append("Invoice Number must not be more than 255 characters long.")
    currency = raw.get("CurrencyCode") or org.base_currency
    if currency != org.base_currency:
        errors.append(f"The currency code '{currency}' is not enabled for this organisation.")
    raw_lines = raw.get("LineItems") or []
    if not isinstance(raw_lines, list) or (status == "AUTHORISED" and not raw_lines):
        errors.append("At least one line item is required to approve an invoice")
        raw_lines = []
    contact = (
        _contact(org, data, raw.get("Contact"), now, errors) if not errors or raw.get("Contact") else None
    )
    lines = [_line(org, data, line, amount_types, errors) for line in raw_lines]
    day, due = _dates(org, raw, contact, now.date(), errors)
    if locked := lock_error(org, str(status), day):  # lock dates (periods.py); drafts are allowed
        errors.append(locked)
    if errors or contact is None:
        raise _Invalid(errors or ["A Contact must be specified for this type of transaction"])
    invoice: Record = {
        "Type": kind,
        "InvoiceID": new_guid(data),
        "InvoiceNumber": number,
        "Reference": raw.get("Reference"),
        "Contact": contact_ref(contact),
        "Date": day,
        "DueDate": due,
        "LineAmountTypes": amount_types,
        "CurrencyCode": currency,
        "CurrencyRate": Decimal("1.000000"),
        "Status": status,
        "LineItems": lines,
        "Payments": [],
        "CreditNotes": [],
        "Prepayments": [],
        "Overpayments": [],
        "AmountCredited": ZERO,
        "Url": raw.get("Url"),
        "HasAttachments": False,
        "HasErrors": False,
        "IsDiscounted": False,
        "SentToContact": False,
        "TotalDiscount": ZERO,
        "UpdatedDateUTC": now,
        "_by_app": True,
    }
    recompute_invoice(org, invoice)
    if kind == "ACCPAY" and status == "AUTHORISED":
        contact["IsSupplier"] = True  # Xero sets IsSupplier once a bill exists (xero.md §Entities)
    return invoice


def update_invoice(org: Org, data: SeededData, invoice: Record, raw: Record, now: datetime) -> None:
    """Apply a POST update to an existing invoice; raises `_Invalid`."""
    errors: list[str] = []
    status = raw.get("Status") or invoice["Status"]
    if status != invoice["Status"] and status not in _TRANSITIONS.get(invoice["Status"], set()):
        errors.append(f"Invoice cannot be moved from {invoice['Status']} to {status}")
    edits = {key for key in raw if key not in {"InvoiceID", "Status", "Type"}}
    if invoice["Payments"] and (edits or status == "VOIDED"):
        errors.append("This document cannot be edited as it has a payment or credit note allocated to it.")
    amount_types = raw.get("LineAmountTypes") or invoice["LineAmountTypes"]
    lines = [_line(org, data, line, amount_types, errors) for line in raw.get("LineItems") or []]
    day = parse_document_date(raw["Date"]) if "Date" in raw else invoice["Date"]
    if (edits or status != invoice["Status"]) and (locked := lock_error(org, status, day or invoice["Date"])):
        errors.append(locked)  # approving or editing into a locked period (periods.py)
    if errors:
        raise _Invalid(errors)
    for key in ("InvoiceNumber", "Reference", "Url"):
        if key in raw:
            invoice[key] = raw[key]
    for key in ("Date", "DueDate"):
        if key in raw and (parsed := parse_document_date(raw[key])) is not None:
            invoice[key] = parsed
    if lines:
        invoice["LineItems"], invoice["LineAmountTypes"] = lines, amount_types
    invoice["Status"] = status
    recompute_invoice(org, invoice)
    if status in {"VOIDED", "DELETED"}:
        invoice["AmountDue"] = ZERO
    invoice["UpdatedDateUTC"] = now


def apply_element(
    org: Org, data: SeededData, raw: Any, now: datetime, *, allow_update: bool, dry_run: bool = False
) -> tuple[Record | None, list[str]]:
    """Create (or, for POST, update) one element: (stored record or None, validation messages).

    With `dry_run`, a valid new invoice is built but not stored (summarizeErrors=true batches are
    all-or-nothing, xero.md §Writes and idempotency).
    """
    try:
        invoice_id = str(raw.get("InvoiceID") or "").lower() if isinstance(raw, dict) else ""
        if invoice_id and invoice_id != EMPTY_GUID:
            existing = org.invoices.get(invoice_id)
            if existing is None or not allow_update:
                return None, [
                    f"Invoice with InvoiceID '{raw['InvoiceID']}' could not be found"
                    if existing is None
                    else "An InvoiceID cannot be sent when creating (use POST)"
                ]
            if not dry_run:
                update_invoice(org, data, existing, raw, now)
            return existing, []
        record = build_invoice(org, data, raw, now)
    except _Invalid as exc:
        return None, exc.messages
    if not dry_run:
        org.invoices[record["InvoiceID"]] = record
    return record, []
