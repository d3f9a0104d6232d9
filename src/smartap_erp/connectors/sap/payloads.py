"""Pure translations between SAP Business One Service Layer JSON (sap.md §Entities, §Paid or not,
§Accounts and tax codes) and the standard models.

No I/O. Bodies arrive parsed with `parse_float=Decimal` (`read_json`), and `money` also accepts ints
and strings, so amounts never pass through binary floats. Enums are compared by name or by their
one-letter value (`tYES` / `Y`, sap.md §Query options). `UpdateDate` is a date and `UpdateTime` a separate
time; B1 stores them in the server's local time, which the connector takes as UTC (UNCERTAIN: B1 has
no time-zone field; incremental reads overlap by a day so a zone offset loses nothing,
erp-facts.md §Watermarks). The payment status is computed from the bill and the vendor payments applied to it
(sap.md §Paid or not).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any

from smartap_erp.connectors.common import MappingError, json_number, money
from smartap_erp.domain import (
    ERPAccount,
    ERPAddress,
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

PO_OBJECT = 22  # BaseType of a purchase order (sap.md §Entities)
ITEMS, SERVICE = "dDocument_Items", "dDocument_Service"
NUM_AT_CARD_MAX = 100  # OPCH.NumAtCard is nvarchar(100)
ALL_CURRENCIES = "##"  # BP / account currency "all currencies" (sap.md §Entities, UNCERTAIN)


class SAPMappingError(MappingError):
    """A record or invoice that cannot be translated; `field` names the offending field."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(field, message)


def is_yes(value: Any) -> bool:
    return value in ("tYES", "Y")


def _text(value: Any) -> str | None:
    return None if value is None or value == "" else str(value)


def _currency(value: Any) -> str | None:
    text = _text(value)
    return None if text is None or text == ALL_CURRENCIES else text


def parse_date(value: Any) -> dt.date | None:
    """`2024-05-01` (v1) or `2024-05-01T00:00:00Z` (v2) -> date."""
    text = _text(value)
    return None if text is None else dt.date.fromisoformat(text[:10])


def parse_stamp(date_value: Any, time_value: Any) -> dt.datetime | None:
    """UpdateDate + UpdateTime as an aware datetime (server time taken as UTC, see module doc)."""
    day = parse_date(date_value)
    if day is None:
        return None
    time_text = _text(time_value) or "00:00:00"
    parts = [int(p) for p in time_text.split(":")[:3]] + [0, 0]
    return dt.datetime(day.year, day.month, day.day, parts[0], parts[1], parts[2], tzinfo=dt.UTC)


def odata_string(value: str) -> str:
    """A string literal for `$filter`: single quotes doubled (OData)."""
    return "'" + value.replace("'", "''") + "'"


def since_filter(since: dt.datetime | None, overlap: dt.timedelta) -> str | None:
    """`UpdateDate ge 'YYYY-MM-DD'` a day-granular window before `since` (sap.md §Query options)."""
    if since is None:
        return None
    start = (since.astimezone(dt.UTC) - overlap).date()
    return f"UpdateDate ge '{start.isoformat()}'"


# ---- business partners ----------------------------------------------------------------------------
def _address(bp: Json) -> ERPAddress | None:
    addresses = [a for a in bp.get("BPAddresses") or [] if isinstance(a, Mapping)]
    bill_to = next((a for a in addresses if a.get("AddressType") in ("bo_BillTo", "B")), None)
    if bill_to is not None:
        return ERPAddress(
            line1=_text(bill_to.get("Street")),
            line2=_text(bill_to.get("Block")),
            city=_text(bill_to.get("City")),
            region=_text(bill_to.get("State")),
            postal_code=_text(bill_to.get("ZipCode")),
            country=_text(bill_to.get("Country")),
        )
    if any(bp.get(k) for k in ("Address", "City", "ZipCode")):
        return ERPAddress(
            line1=_text(bp.get("Address")),
            city=_text(bp.get("City")),
            postal_code=_text(bp.get("ZipCode")),
            country=_text(bp.get("Country")),
        )
    return None


def vendor_from_partner(bp: Json, terms: Mapping[int, str] | None = None) -> ERPVendor:
    """A supplier BP as a vendor; `Valid = tNO` or `Frozen = tYES` is a deactivation (is_active=False)."""
    terms_code = bp.get("PayTermsGrpCode")
    terms_name = (terms or {}).get(terms_code) if isinstance(terms_code, int) else None
    updated = parse_stamp(bp.get("UpdateDate"), bp.get("UpdateTime"))
    return ERPVendor(
        external_id=str(bp["CardCode"]),
        name=str(bp["CardName"]),
        email=_text(bp.get("EmailAddress")),
        phone=_text(bp.get("Phone1")),
        address=_address(bp),
        tax_id=_text(bp.get("FederalTaxID")),
        payment_terms=terms_name or (None if terms_code is None else str(terms_code)),
        currency=_currency(bp.get("Currency")),
        is_active=not is_yes(bp.get("Frozen")) and bp.get("Valid") not in ("tNO", "N"),
        updated_at=updated,
        version=None if updated is None else updated.isoformat(),
    )


# ---- purchase orders ---------------------------------------------------------------------------
def po_status(doc: Json) -> PurchaseOrderStatus:
    if is_yes(doc.get("Cancelled")):
        return PurchaseOrderStatus.CANCELLED
    if doc.get("DocumentStatus") in ("bost_Close", "C"):
        return PurchaseOrderStatus.CLOSED
    return PurchaseOrderStatus.OPEN


def po_status_filter(statuses: Iterable[PurchaseOrderStatus] | None) -> str | None:
    """The `$filter` clause for the wanted statuses; None for all. Drafts live in `Drafts`, never here."""
    if statuses is None:
        return None
    clauses = {
        PurchaseOrderStatus.OPEN: "(DocumentStatus eq 'bost_Open' and Cancelled eq 'tNO')",
        PurchaseOrderStatus.CLOSED: "(DocumentStatus eq 'bost_Close' and Cancelled eq 'tNO')",
        PurchaseOrderStatus.CANCELLED: "(Cancelled eq 'tYES')",
    }
    wanted = [clauses[s] for s in dict.fromkeys(statuses) if s in clauses]
    return " or ".join(wanted) if wanted else "DocEntry eq -1"  # only drafts asked: nothing matches


def _po_line(line: Json) -> ERPPurchaseOrderLine:
    price = line.get("UnitPrice", line.get("Price"))
    return ERPPurchaseOrderLine(
        line_id=str(line["LineNum"]),
        description=_text(line.get("ItemDescription")),
        quantity=money(line.get("Quantity", 1), "Quantity"),
        unit_price=None if price is None else money(price, "UnitPrice"),
        amount=money(line["LineTotal"], "LineTotal"),
        account_code=_text(line.get("AccountCode")),
        item_code=_text(line.get("ItemCode")),
        tax_code=_text(line.get("TaxCode")) or _text(line.get("VatGroup")),
    )


def purchase_order_from_document(doc: Json) -> ERPPurchaseOrder:
    updated = parse_stamp(doc.get("UpdateDate"), doc.get("UpdateTime"))
    return ERPPurchaseOrder(
        external_id=str(doc["DocEntry"]),
        po_number=str(doc["DocNum"]),
        vendor_id=str(doc["CardCode"]),
        total_amount=money(doc["DocTotal"], "DocTotal"),
        currency=str(doc["DocCurrency"]),
        status=po_status(doc),
        order_date=parse_date(doc.get("DocDate")),
        line_items=tuple(_po_line(line) for line in doc.get("DocumentLines") or []),
        updated_at=updated,
        version=None if updated is None else updated.isoformat(),
    )


# ---- bills -----------------------------------------------------------------------------------------
def _tax(line: ERPInvoiceLine, tax_field: str) -> dict[str, Any]:
    return {tax_field: line.tax_code} if line.tax_code else {}


def _unit_price(line: ERPInvoiceLine) -> Decimal:
    return (line.amount / line.quantity).quantize(Decimal("0.000001")).normalize()


def _own_line(line: ERPInvoiceLine, doc_type: str, tax_field: str) -> dict[str, Any]:
    if doc_type == SERVICE:
        if not line.account_code:
            raise SAPMappingError("a service bill line needs an account_code", "account_code")
        body = {
            "ItemDescription": line.description,
            "AccountCode": line.account_code,
            "LineTotal": json_number(line.amount),
        }
    else:
        if not line.item_code:
            raise SAPMappingError("an item bill line needs an item_code", "item_code")
        price = line.unit_price if line.unit_price is not None else _unit_price(line)
        body = {
            "ItemCode": line.item_code,
            "Quantity": json_number(line.quantity),
            "UnitPrice": json_number(price),
        }
        if line.description:
            body["ItemDescription"] = line.description
    return {k: v for k, v in body.items() if v is not None} | _tax(line, tax_field)


def _linked_line(line: ERPInvoiceLine, po: Json, po_line: Json, tax_field: str) -> dict[str, Any]:
    """A line copied from a PO line: BaseType 22 / BaseEntry / BaseLine (sap.md §Entities)."""
    body: dict[str, Any] = {
        "BaseType": PO_OBJECT,
        "BaseEntry": po["DocEntry"],
        "BaseLine": po_line["LineNum"],
    }
    if po.get("DocType") == SERVICE:
        body["LineTotal"] = json_number(line.amount)
    else:
        body["Quantity"] = json_number(line.quantity)
        if line.unit_price is not None:
            body["UnitPrice"] = json_number(line.unit_price)
    return body | _tax(line, tax_field)


def _match_po_lines(invoice: ERPInvoice, po: Json) -> list[Json | None]:
    """The PO line each invoice line bills: its `po_line_id` (LineNum), or, when no line names one, the
    first unused open PO line with the same item (item PO) or account (service PO)."""
    open_lines = [pl for pl in po.get("DocumentLines") or [] if pl.get("LineStatus") in ("bost_Open", "O")]
    by_num = {str(pl["LineNum"]): pl for pl in po.get("DocumentLines") or []}
    explicit = any(line.po_line_id for line in invoice.line_items)
    used: set[int] = set()
    matches: list[Json | None] = []
    for line in invoice.line_items:
        if explicit:
            match = by_num.get(line.po_line_id) if line.po_line_id else None
            if line.po_line_id and match is None:
                raise SAPMappingError(f"PO {po['DocEntry']} has no line {line.po_line_id}", "po_line_id")
        else:
            key = "ItemCode" if po.get("DocType") != SERVICE else "AccountCode"
            want = line.item_code if key == "ItemCode" else line.account_code
            match = next((pl for pl in open_lines if pl["LineNum"] not in used and pl.get(key) == want), None)
        if match is not None:
            used.add(int(match["LineNum"]))
        matches.append(match)
    return matches


def document_from_invoice(
    invoice: ERPInvoice, po: Json | None, *, tax_field: str = "TaxCode", memo_prefix: str = "SmartAP"
) -> dict[str, Any]:
    """The `POST /PurchaseInvoices` body. With a PO, lines that bill PO lines carry the base link and
    the document takes the PO's DocType (lines must match it, sap.md §Entities); otherwise lines with an
    item code make an item bill and account lines a service bill."""
    if len(invoice.invoice_number) > NUM_AT_CARD_MAX:
        raise SAPMappingError(f"invoice number longer than {NUM_AT_CARD_MAX} characters", "invoice_number")
    matches = _match_po_lines(invoice, po) if po is not None else [None] * len(invoice.line_items)
    if po is not None and any(matches):
        doc_type = str(po.get("DocType") or ITEMS)
    else:
        doc_type = ITEMS if all(line.item_code for line in invoice.line_items) else SERVICE
    lines = [
        _linked_line(line, po, match, tax_field)
        if po is not None and match is not None
        else _own_line(line, doc_type, tax_field)
        for line, match in zip(invoice.line_items, matches, strict=True)
    ]
    comment = " ".join(p for p in (memo_prefix, invoice.smartap_invoice_id, invoice.memo) if p)
    body: dict[str, Any] = {
        "CardCode": invoice.vendor_id,
        "DocType": doc_type,
        "NumAtCard": invoice.invoice_number,
        "DocDate": invoice.invoice_date.isoformat(),
        "TaxDate": invoice.invoice_date.isoformat(),
        "DocCurrency": invoice.currency,
        "Comments": comment[:254],
        "DocumentLines": lines,
    }
    if invoice.due_date is not None:
        body["DocDueDate"] = invoice.due_date.isoformat()
    return body


# ---- payments --------------------------------------------------------------------------------------
def _applied_lines(payment: Json, doc_entry: int) -> list[Json]:
    return [
        pi
        for pi in payment.get("PaymentInvoices") or []
        if pi.get("DocEntry") == doc_entry and pi.get("InvoiceType") in ("it_PurchaseInvoice", "18", 18)
    ]


def _method(payment: Json) -> str | None:
    for field, name in (("TransferSum", "transfer"), ("CashSum", "cash"), ("CheckSum", "check")):
        value = payment.get(field)
        if value is not None and money(value, field) > 0:
            return name
    return "check" if payment.get("PaymentChecks") else None


def payments_applied(payments: Iterable[Json], doc_entry: int, currency: str) -> list[ERPPayment]:
    """Vendor payments (non-cancelled) applied to the A/P invoice `doc_entry` (InvoiceType 18)."""
    out: list[ERPPayment] = []
    for payment in payments:
        if is_yes(payment.get("Cancelled")):
            continue
        applied = sum(
            (money(pi.get("SumApplied", 0), "SumApplied") for pi in _applied_lines(payment, doc_entry)),
            Decimal(0),
        )
        if applied <= 0:
            continue
        paid_on = parse_date(payment.get("DocDate"))
        if paid_on is None:
            raise SAPMappingError("vendor payment without DocDate", "DocDate")
        out.append(
            ERPPayment(
                external_id=str(payment["DocEntry"]),
                amount=applied,
                currency=str(payment.get("DocCurrency") or currency),
                paid_on=paid_on,
                method=_method(payment),
                reference=_text(payment.get("TransferReference")) or _text(payment.get("DocNum")),
            )
        )
    return out


def payment_status_from(invoice: Json, payments: Iterable[Json], checked_at: dt.datetime) -> ERPPaymentStatus:
    """Outstanding = DocTotal - Σ SumApplied of non-cancelled vendor payments (sap.md §Paid or not). A Closed
    document is not taken as paid by itself (it also closes when cancelled or closed by hand)."""
    total = money(invoice["DocTotal"], "DocTotal")
    currency = str(invoice["DocCurrency"])
    applied = payments_applied(payments, int(invoice["DocEntry"]), currency)
    paid = min(sum((p.amount for p in applied), Decimal(0)), total)
    if is_yes(invoice.get("Cancelled")):
        status = PaymentStatus.VOIDED
    elif paid >= total:
        status = PaymentStatus.PAID
    elif paid > 0:
        status = PaymentStatus.PARTIAL
    else:
        status = PaymentStatus.UNPAID
    return ERPPaymentStatus(
        external_invoice_id=str(invoice["DocEntry"]),
        status=status,
        currency=currency,
        total_amount=total,
        amount_paid=paid,
        amount_due=total - paid,
        payments=tuple(applied),
        last_payment_date=max((p.paid_on for p in applied), default=None),
        checked_at=checked_at,
    )


# ---- accounts and tax codes --------------------------------------------------------------------
def account_from_sap(acct: Json) -> ERPAccount:
    """A G/L account; title accounts (`ActiveAccount = tNO`) and frozen ones are not postable: inactive."""
    return ERPAccount(
        external_id=str(acct["Code"]),
        code=_text(acct.get("FormatCode")) or str(acct["Code"]),
        name=str(acct["Name"]),
        account_type=str(acct.get("AccountType") or "at_Other"),
        is_active=is_yes(acct.get("ActiveAccount", "tYES")) and not is_yes(acct.get("FrozenFor")),
        currency=_currency(acct.get("AcctCurrency")),
    )


def tax_code_from_vat_group(group: Json) -> ERPTaxCode:
    lines = [ln for ln in group.get("VatGroups_Lines") or [] if isinstance(ln, Mapping)]
    rate = lines[-1].get("Rate") if lines else None
    return ERPTaxCode(
        external_id=str(group["Code"]),
        code=str(group["Code"]),
        name=str(group.get("Name") or group["Code"]),
        rate=None if rate is None else money(rate, "Rate"),
        is_active=not is_yes(group.get("Inactive")),
    )


def tax_code_from_sales_tax(code: Json) -> ERPTaxCode:
    rate = code.get("Rate")
    return ERPTaxCode(
        external_id=str(code["Code"]),
        code=str(code["Code"]),
        name=str(code.get("Name") or code["Code"]),
        rate=None if rate is None else money(rate, "Rate"),
        is_active=not is_yes(code.get("Inactive")) and code.get("ValidForAP") not in ("tNO", "N"),
    )
