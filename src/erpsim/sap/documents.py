"""Marketing documents (purchase orders, A/P invoices) and outgoing payments, as the DI core builds them.

`build_document` turns a create body into a stored `Document` (sap.md §Entities): it checks the business
partner, computes `LineTotal`, tax, `VatSum` and `DocTotal` (the server computes totals; a client
does not send them), and for lines with `BaseType: 22` copies the purchase-order line (item, price,
account, tax), draws down its `RemainingOpenQuantity`, closes the PO line when fully copied and the
PO when every line is closed. Service documents (`dDocument_Service`) need a postable `AccountCode`
per line. `apply_payment` records a `VendorPayments` document (object 46) against an A/P invoice and
closes the invoice when nothing is left outstanding (sap.md §Paid or not). Business-rule failures raise
`DocumentError` with a negative DI code; the routes render it as HTTP 400 in the SL envelope.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from erpsim.sap.company import CENT, Company, due_date

PO_OBJECT = 22  # BaseType of a purchase order (sap.md §Entities); 20 would be a goods receipt PO
ITEMS, SERVICE = "dDocument_Items", "dDocument_Service"
_LINE_COPY = ("ItemCode", "ItemDescription", "Price", "UnitPrice", "AccountCode", "TaxCode", "VatGroup")


class DocumentError(ValueError):
    """A create the DI core refuses: `code` is the negative DI error code, message the text."""

    def __init__(self, code: int, message: str) -> None:
        super().__init__(message)
        self.code = code


def _decimal(value: Any, field: str) -> Decimal:
    try:
        number = Decimal(str(value))
    except (InvalidOperation, ValueError):
        raise DocumentError(-5002, f"Invalid value for field '{field}'") from None
    if not number.is_finite():
        raise DocumentError(-5002, f"Invalid value for field '{field}'")
    return number


def tax_rate(company: Company, line: dict[str, Any]) -> Decimal:
    """Rate in percent of a line's VatGroup (VAT localisations) or TaxCode (US/CA),
    sap.md §Accounts and tax codes."""
    if company.uses_vat:
        group = company.get("VatGroups", line.get("VatGroup"))
        return Decimal(group["VatGroups_Lines"][-1]["Rate"]) if group else Decimal("0")
    code = company.get("SalesTaxCodes", line.get("TaxCode"))
    return Decimal(code["Rate"]) if code else Decimal("0")


def supplier(company: Company, card_code: Any) -> dict[str, Any]:
    partner = company.get("BusinessPartners", card_code) if isinstance(card_code, str) else None
    if partner is None:
        raise DocumentError(-10, f"Invalid BP code '{card_code}'")
    if partner["CardType"] != "cSupplier":
        raise DocumentError(-10, f"Business partner '{card_code}' is not a vendor")
    if partner["Frozen"] == "tYES" or partner["Valid"] == "tNO":
        raise DocumentError(-10, f"Business partner '{card_code}' is inactive")
    return partner


def _copy_from_po(company: Company, raw: dict[str, Any], card_code: str, doc_type: str) -> dict[str, Any]:
    """A line based on a PO line (BaseType 22 / BaseEntry / BaseLine, sap.md §Entities and [S6])."""
    po = company.get("PurchaseOrders", raw.get("BaseEntry"))
    if po is None or po.get("Cancelled") == "tYES":
        raise DocumentError(-2028, "No matching records found (ODBC -2028)")
    if po["CardCode"] != card_code:
        raise DocumentError(-10, "Base document belongs to a different business partner")
    if po["DocType"] != doc_type:
        raise DocumentError(-10, "Cannot copy a document of a different type (items vs service)")
    lines = po["DocumentLines"]
    base_line = raw.get("BaseLine")
    if not isinstance(base_line, int) or not 0 <= base_line < len(lines):
        raise DocumentError(-2028, "No matching records found (ODBC -2028)")
    source = lines[base_line]
    if source["LineStatus"] != "bost_Open" or po["DocumentStatus"] != "bost_Open":
        raise DocumentError(-10, "One of the base documents has already been closed")
    remaining = Decimal(source["RemainingOpenQuantity"])
    line = {k: source.get(k) for k in _LINE_COPY}
    line.update(BaseType=PO_OBJECT, BaseEntry=po["DocEntry"], BaseLine=base_line)
    if doc_type == SERVICE:  # a service line copies the open amount, or the LineTotal sent (partial)
        open_amount = Decimal(source["OpenAmount"])
        total = _decimal(raw.get("LineTotal", open_amount), "LineTotal").quantize(CENT)
        if total <= 0 or total > open_amount:
            raise DocumentError(
                -10, f"Amount exceeds the open amount of base line {base_line} ({open_amount})"
            )
        line.update(Quantity=Decimal("1"), LineTotal=total)
        return line
    quantity = _decimal(raw.get("Quantity", remaining), "Quantity")
    if quantity <= 0 or quantity > remaining:
        raise DocumentError(-10, f"Quantity exceeds the open quantity of base line {base_line} ({remaining})")
    line["Quantity"] = quantity
    if "UnitPrice" in raw or "Price" in raw:  # the price on the invoice may differ from the PO's
        line["Price"] = line["UnitPrice"] = _decimal(raw.get("UnitPrice", raw.get("Price")), "UnitPrice")
    return line


def _own_line(company: Company, raw: dict[str, Any], doc_type: str) -> dict[str, Any]:
    line = {k: raw.get(k) for k in _LINE_COPY}
    line.update(BaseType=-1, BaseEntry=None, BaseLine=None)
    if doc_type == SERVICE:
        account = company.get("ChartOfAccounts", raw.get("AccountCode"))
        if account is None:
            raise DocumentError(-10, f"Invalid account code '{raw.get('AccountCode')}'")
        if account["ActiveAccount"] != "tYES":
            raise DocumentError(
                -10, f"Account '{account['Code']}' is a title account and cannot be posted to"
            )
        if "LineTotal" not in raw:
            raise DocumentError(-5002, "Field 'LineTotal' is mandatory on service lines")
        line["LineTotal"] = _decimal(raw["LineTotal"], "LineTotal").quantize(CENT)
        line["Quantity"] = Decimal("1")
        return line
    if not raw.get("ItemCode"):
        raise DocumentError(-5002, "Field 'ItemCode' is mandatory on item lines")
    line["Quantity"] = _decimal(raw.get("Quantity", 1), "Quantity")
    line["Price"] = line["UnitPrice"] = _decimal(raw.get("UnitPrice", raw.get("Price", 0)), "Price")
    return line


def _finish_line(company: Company, line: dict[str, Any], num: int, currency: str) -> dict[str, Any]:
    if line.get("LineTotal") is None:
        line["LineTotal"] = (Decimal(line["Price"] or 0) * line["Quantity"]).quantize(CENT)
    for tax_field in ("TaxCode", "VatGroup"):
        code = line.get(tax_field)
        target = "VatGroups" if tax_field == "VatGroup" else "SalesTaxCodes"
        if code is not None and company.get(target, code) is None:
            raise DocumentError(-10, f"Invalid {tax_field} '{code}'")
    tax = (line["LineTotal"] * tax_rate(company, line) / 100).quantize(CENT)
    line.update(
        LineNum=num,
        Currency=currency,
        TaxTotal=tax,
        GrossTotal=line["LineTotal"] + tax,
        LineStatus="bost_Open",
        RemainingOpenQuantity=line["Quantity"],
        OpenAmount=line["LineTotal"],
    )
    return line


def build_document(company: Company, set_name: str, body: dict[str, Any]) -> dict[str, Any]:
    """Validate a create body and store the new document; returns it."""
    partner = supplier(company, body.get("CardCode"))
    doc_type = body.get("DocType", ITEMS)
    if doc_type not in (ITEMS, SERVICE):
        raise DocumentError(-5002, f"Enumeration value '{doc_type}' is not valid for property 'DocType'")
    raw_lines = body.get("DocumentLines")
    if not isinstance(raw_lines, list) or not raw_lines or not all(isinstance(x, dict) for x in raw_lines):
        raise DocumentError(-5002, "To generate this document, first define at least one row")
    currency = str(body.get("DocCurrency") or partner.get("Currency") or company.currency)
    lines: list[dict[str, Any]] = []
    for raw in raw_lines:
        if raw.get("BaseType") not in (None, -1) and set_name == "PurchaseInvoices":
            if raw.get("BaseType") != PO_OBJECT:
                raise DocumentError(-10, f"Base document type {raw.get('BaseType')} is not supported here")
            line = _copy_from_po(company, raw, partner["CardCode"], doc_type)
        else:
            line = _own_line(company, raw, doc_type)
        lines.append(_finish_line(company, line, len(lines), currency))
    _draw_down(company, lines)
    return _store(company, set_name, body, partner, doc_type, currency, lines)


def _store(
    company: Company,
    set_name: str,
    body: dict[str, Any],
    partner: dict[str, Any],
    doc_type: str,
    currency: str,
    lines: list[dict[str, Any]],
) -> dict[str, Any]:
    entry, num = company.allocate(set_name)
    doc_date = str(body.get("DocDate") or company.today())
    vat = sum((line["TaxTotal"] for line in lines), Decimal("0"))
    total = sum((line["LineTotal"] for line in lines), Decimal("0")) + vat
    terms = partner.get("PayTermsGrpCode")
    record: dict[str, Any] = {
        "DocEntry": entry,
        "DocNum": num,
        "DocType": doc_type,
        "DocDate": doc_date,
        "DocDueDate": str(body.get("DocDueDate") or due_date(doc_date, company.terms_days(terms))),
        "TaxDate": str(body.get("TaxDate") or doc_date),
        "CardCode": partner["CardCode"],
        "CardName": partner["CardName"],
        "NumAtCard": body.get("NumAtCard"),
        "DocTotal": total,
        "PaidToDate": Decimal("0"),
        "VatSum": vat,
        "DocCurrency": currency,
        "DocRate": Decimal("1"),
        "Comments": body.get("Comments"),
        "JournalMemo": body.get("JournalMemo")
        or f"{'A/P Invoices' if 'Invoice' in set_name else 'PO'} - {partner['CardCode']}",
        "PaymentGroupCode": terms,
        "DocumentStatus": "bost_Open",
        "Cancelled": "tNO",
        "CreationDate": company.today(),
        "DocumentLines": lines,
    }
    company.stamp(record)
    return company.add(set_name, record, "DocEntry")


def _draw_down(company: Company, lines: list[dict[str, Any]]) -> None:
    """Reduce the open quantity of every copied PO line; close lines and POs that are fully copied."""
    for line in lines:
        if line.get("BaseType") != PO_OBJECT:
            continue
        po = company.get("PurchaseOrders", line["BaseEntry"])
        assert po is not None
        source = po["DocumentLines"][line["BaseLine"]]
        open_amount = max(Decimal(source["OpenAmount"]) - line["LineTotal"], Decimal("0"))
        if po["DocType"] == SERVICE:
            remaining = Decimal("0") if open_amount == 0 else Decimal(source["RemainingOpenQuantity"])
        else:
            remaining = Decimal(source["RemainingOpenQuantity"]) - line["Quantity"]
        source["RemainingOpenQuantity"], source["OpenAmount"] = remaining, open_amount
        if remaining <= 0:
            source["LineStatus"] = "bost_Close"
        if all(pl["LineStatus"] == "bost_Close" for pl in po["DocumentLines"]):
            po["DocumentStatus"] = "bost_Close"
        company.stamp(po)


def outstanding(company: Company, invoice: dict[str, Any]) -> Decimal:
    return Decimal(invoice["DocTotal"]) - company.applied_to(invoice["DocEntry"])


def apply_payment(
    company: Company, invoice: dict[str, Any], amount: Decimal, *, account: str = "_SYS00000000110"
) -> dict[str, Any]:
    """Record an outgoing payment (VendorPayments, object 46) of `amount` against an A/P invoice."""
    if invoice.get("Cancelled") == "tYES":
        raise DocumentError(-10, "Cannot pay a cancelled document")
    left = outstanding(company, invoice)
    if amount <= 0 or amount > left:
        raise DocumentError(-10, f"Amount applied must be between 0.01 and the open balance {left}")
    entry, num = company.allocate("VendorPayments")
    payment: dict[str, Any] = {
        "DocEntry": entry,
        "DocNum": num,
        "DocType": "rSupplier",
        "DocDate": company.today(),
        "DueDate": company.today(),
        "TaxDate": company.today(),
        "CardCode": invoice["CardCode"],
        "CardName": invoice["CardName"],
        "DocCurrency": invoice["DocCurrency"],
        "CashAccount": None,
        "CashSum": Decimal("0"),
        "TransferAccount": account,
        "TransferSum": amount,
        "TransferDate": company.today(),
        "TransferReference": f"TRF-{num}",
        "CounterReference": None,
        "Remarks": None,
        "JournalRemarks": f"Outgoing Payments - {invoice['CardCode']}",
        "ControlAccount": None,
        "Cancelled": "tNO",
        "DocObjectCode": "bopot_OutgoingPayments",
        "PaymentChecks": [],
        "PaymentInvoices": [
            {
                "LineNum": 0,
                "DocEntry": invoice["DocEntry"],
                "InvoiceType": "it_PurchaseInvoice",
                "SumApplied": amount,
                "AppliedFC": Decimal("0"),
                "AppliedSys": amount,
                "PaidSum": Decimal("0"),
                "InstallmentId": 1,
                "DocLine": 0,
                "TotalDiscount": Decimal("0"),
            }
        ],
    }
    company.add("VendorPayments", payment, "DocEntry")
    refresh_status(company, invoice)
    return payment


def refresh_status(company: Company, invoice: dict[str, Any]) -> None:
    """An A/P invoice closes when fully paid and reopens if a payment is cancelled; `PaidToDate` (OPCH,
    local currency) follows its non-cancelled vendor payments (sap.md §Paid or not)."""
    invoice["PaidToDate"] = company.applied_to(invoice["DocEntry"])
    if invoice.get("Cancelled") == "tYES" or invoice["DocEntry"] in company.manually_closed:
        return
    status = "bost_Close" if outstanding(company, invoice) <= 0 else "bost_Open"
    if status != invoice["DocumentStatus"]:
        invoice["DocumentStatus"] = status
        company.stamp(invoice)
