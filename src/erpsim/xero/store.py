"""The data of one simulated Xero organisation (tenant), its JSON rendering and invoice arithmetic.

`Org` holds the records of one tenant as plain dicts keyed by Xero's field names with Python values
(Decimal money, `date` document dates, aware `datetime` timestamps), so the `where` evaluator can
compare them with `DateTime(...)` literals. `render` turns a record into Xero JSON: timestamps and
document dates as `/Date(ms+0000)/` plus the `DateString` / `DueDateString` /
`UpdatedDateUTCString` companions (xero.md §Change detection, §Dates in JSON), keys starting with `_` and None
values dropped. `recompute_invoice` applies Xero's bill arithmetic (xero.md §Entities, §Simulator notes): line
amounts, tax by `LineAmountTypes` (Exclusive | Inclusive | NoTax), totals, and `AmountDue = Total - AmountPaid
- AmountCredited`, with Status PAID once nothing is due.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from erpsim.xero.dates import date_string, ms_date, utc_string

Record = dict[str, Any]
CENT = Decimal("0.01")
ZERO = Decimal("0.00")

# Document dates that Xero echoes with an ISO `...String` companion (xero.md §Dates in JSON).
_DATE_COMPANIONS = {
    "Date": "DateString",
    "DueDate": "DueDateString",
    "DeliveryDate": "DeliveryDateString",
    "ExpectedArrivalDate": "ExpectedArrivalDateString",
}
# spec 16.x adds UpdatedDateUTCString on these (xero.md §Change detection)
_UTC_STRING_TYPES = {"Invoice", "Payment"}


def money(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


@dataclass
class Org:
    """One Xero organisation: identity, settings and records (dicts keyed by id, insertion-ordered)."""

    tenant_id: str
    name: str
    base_currency: str
    created: datetime
    organisation: Record
    contacts: dict[str, Record] = field(default_factory=dict)
    purchase_orders: dict[str, Record] = field(default_factory=dict)
    invoices: dict[str, Record] = field(default_factory=dict)
    payments: dict[str, Record] = field(default_factory=dict)
    accounts: dict[str, Record] = field(default_factory=dict)
    tax_rates: dict[str, Record] = field(default_factory=dict)  # by TaxType

    def account_by_code(self, code: str) -> Record | None:
        return next((a for a in self.accounts.values() if a.get("Code") == code), None)

    def counts(self) -> dict[str, int]:
        bills = sum(1 for inv in self.invoices.values() if inv["Type"] == "ACCPAY")
        return {
            "Contact": len(self.contacts),
            "PurchaseOrder": len(self.purchase_orders),
            "Invoice": len(self.invoices),
            "Bill": bills,
            "Payment": len(self.payments),
            "Account": len(self.accounts),
            "TaxRate": len(self.tax_rates),
        }


def render(record: Record, entity: str = "") -> Record:
    """Xero JSON for a stored record (see module docstring)."""
    out: Record = {}
    for key, value in record.items():
        if key.startswith("_") or value is None:
            continue
        out[key] = _render_value(value)
        if key in _DATE_COMPANIONS and isinstance(value, date) and not isinstance(value, datetime):
            out[_DATE_COMPANIONS[key]] = date_string(value)
        if key == "UpdatedDateUTC" and entity in _UTC_STRING_TYPES and isinstance(value, datetime):
            out["UpdatedDateUTCString"] = utc_string(value)
    return out


def _render_value(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return ms_date(value)
    if isinstance(value, dict):
        return render(value)
    if isinstance(value, list):
        return [_render_value(item) for item in value]
    return value


def tax_rate_percent(org: Org, tax_type: str | None) -> Decimal:
    rate = org.tax_rates.get(tax_type or "")
    return Decimal(str(rate["EffectiveRate"])) if rate else ZERO


def compute_line(org: Org, line: Record, amount_types: str) -> None:
    """Fill LineAmount and TaxAmount of one line in place (Xero derives what is missing,
    xero.md §Entities)."""
    quantity = line.get("Quantity")
    unit = line.get("UnitAmount")
    if quantity is None:
        quantity = line["Quantity"] = Decimal("1")
    if unit is None and line.get("LineAmount") is not None and quantity:
        unit = line["UnitAmount"] = Decimal(line["LineAmount"]) / Decimal(quantity)
    line_amount = money(Decimal(quantity) * Decimal(unit or 0))
    line["LineAmount"] = line_amount
    if amount_types == "NoTax":
        line["TaxAmount"] = ZERO
        return
    if line.get("_tax_override") is not None:
        line["TaxAmount"] = money(Decimal(line["_tax_override"]))
        return
    rate = tax_rate_percent(org, line.get("TaxType")) / 100
    if amount_types == "Inclusive":
        line["TaxAmount"] = money(line_amount - line_amount / (1 + rate))
    else:
        line["TaxAmount"] = money(line_amount * rate)


def recompute_totals(org: Org, doc: Record) -> None:
    """SubTotal, TotalTax and Total of a PO or invoice from its lines."""
    amount_types = doc.get("LineAmountTypes", "Exclusive")
    for line in doc["LineItems"]:
        compute_line(org, line, amount_types)
    line_sum = sum((line["LineAmount"] for line in doc["LineItems"]), ZERO)
    tax = sum((line["TaxAmount"] for line in doc["LineItems"]), ZERO)
    doc["TotalTax"] = money(tax)
    doc["SubTotal"] = money(line_sum - tax) if amount_types == "Inclusive" else money(line_sum)
    doc["Total"] = money(doc["SubTotal"] + doc["TotalTax"])


def recompute_invoice(org: Org, invoice: Record) -> None:
    """Totals, AmountPaid/AmountDue from the live payments, and the PAID transition."""
    recompute_totals(org, invoice)
    paid = sum((p["Amount"] for p in invoice["Payments"]), ZERO)
    invoice["AmountPaid"] = money(paid)
    credited = money(Decimal(invoice.get("AmountCredited") or ZERO))
    invoice["AmountCredited"] = credited
    invoice["AmountDue"] = money(invoice["Total"] - paid - credited)
    if invoice["Status"] in {"AUTHORISED", "PAID"}:
        invoice["Status"] = "PAID" if invoice["AmountDue"] <= 0 and invoice["Total"] > 0 else "AUTHORISED"


def contact_ref(contact: Record) -> Record:
    """How a contact appears nested in an invoice or PO."""
    return {
        "ContactID": contact["ContactID"],
        "Name": contact["Name"],
        "ContactStatus": contact["ContactStatus"],
        "HasValidationErrors": False,
    }
