"""Bill writes with the real validation: create, full or sparse update, delete, and void (UI only).

Rules (quickbooks.md §Entities, §Updates and SyncToken, §Faults): VendorRef and at least one Line are
required; each line has a DetailType of AccountBasedExpenseLineDetail (AccountRef required, must exist and be
active) or ItemBasedExpenseLineDetail (ItemRef required); APAccountRef must be an Accounts Payable account in
the bill's currency; CurrencyRef must be the vendor's currency; TotalAmt is computed (lines plus the purchase
tax of their tax codes, `billtax`) and Balance follows it. DocNumber duplicates give 6140 unless
`include=allowduplicatedocnum`. UNCERTAIN choices (quickbooks.md §Entities): the duplicate check is per vendor
(another vendor may reuse a number); a bill line's LinkedTxn to a PurchaseOrder adds the bill to the PO's
LinkedTxn and closes the PO once its lines are billed in full; a bill with payments applied cannot be deleted
or voided.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from erpsim.quickbooks import faults as f
from erpsim.quickbooks.billtax import apply_tax
from erpsim.quickbooks.periods import check_open
from erpsim.quickbooks.refdata import CURRENCIES, EXCHANGE_RATES, HOME_CURRENCY, ap_account_for, currency_ref
from erpsim.quickbooks.store import QboStore, ref
from erpsim.quickbooks.validate import (
    as_decimal,
    check_date,
    check_length,
    check_properties,
    for_update,
    lookup,
    merged_body,
    named_ref,
    ref_id,
)

EMPTY_DATE = "9999-12-31"  # what QBO stores for an empty date (python-quickbooks issue 124, PR 400)
ACCOUNT_LINE = "AccountBasedExpenseLineDetail"
ITEM_LINE = "ItemBasedExpenseLineDetail"
BILL_FIELDS = frozenset(
    {
        "VendorRef",
        "APAccountRef",
        "TxnDate",
        "DueDate",
        "SalesTermRef",
        "DocNumber",
        "PrivateNote",
        "CurrencyRef",
        "ExchangeRate",
        "Line",
        "LinkedTxn",
        "VendorAddr",
        "TxnTaxDetail",
        "GlobalTaxCalculation",
        "DepartmentRef",
    }
)
_LINE_FIELDS = frozenset(
    {"Id", "LineNum", "Description", "Amount", "DetailType", ACCOUNT_LINE, ITEM_LINE, "LinkedTxn"}
)
# Members of the XSD Line type (quickbooks.md §Entities [Q6]) a bill line may carry but the simulator does not
# keep; python-quickbooks sends `"CustomField": []` on every line.
_LINE_IGNORED = frozenset({"CustomField", "LineEx", "Received", "ProjectRef", "CostAmount", "HomeCostAmount"})


def create_bill(store: QboStore, body: dict[str, Any], *, allow_duplicate: bool) -> dict[str, Any]:
    fields = _validated(store, body, allow_duplicate=allow_duplicate, exclude_id=None)
    fields["Balance"] = fields["TotalAmt"]
    bill = store.insert("Bill", fields)
    index_bill(store, bill)
    _link_purchase_orders(store, bill)
    adjust_vendor_balance(store, bill["VendorRef"]["value"], bill["Balance"])
    return bill


def update_bill(store: QboStore, body: dict[str, Any], *, allow_duplicate: bool) -> dict[str, Any]:
    bill = for_update(store, "Bill", body)
    source = merged_body(bill, body) if body.get("sparse") is True else body
    fields = _validated(store, source, allow_duplicate=allow_duplicate, exclude_id=bill["Id"])
    paid = bill["TotalAmt"] - bill["Balance"]
    if fields["TotalAmt"] < paid:
        raise f.business_validation("The bill total cannot be less than the payments applied to it.")
    payments = [link for link in bill.get("LinkedTxn", []) if link["TxnType"] != "PurchaseOrder"]
    unindex_bill(store, bill)
    _unlink_purchase_orders(store, bill)
    adjust_vendor_balance(store, bill["VendorRef"]["value"], -bill["Balance"])
    for key in [k for k in bill if k not in ("Id", "SyncToken", "domain", "sparse", "MetaData")]:
        del bill[key]
    bill.update(fields)
    bill["Balance"] = fields["TotalAmt"] - paid
    bill["LinkedTxn"] = bill.get("LinkedTxn", []) + payments
    if not bill["LinkedTxn"]:
        del bill["LinkedTxn"]
    index_bill(store, bill)
    _link_purchase_orders(store, bill)
    adjust_vendor_balance(store, bill["VendorRef"]["value"], bill["Balance"])
    store.touch("Bill", bill)
    return bill


def delete_bill(store: QboStore, body: dict[str, Any]) -> dict[str, Any]:
    bill = for_update(store, "Bill", body)
    _refuse_if_paid(bill, "deleted")
    unindex_bill(store, bill)
    _unlink_purchase_orders(store, bill)
    adjust_vendor_balance(store, bill["VendorRef"]["value"], -bill["Balance"])
    store.delete("Bill", bill["Id"])
    return {"Id": bill["Id"], "status": "Deleted", "domain": "QBO"}


def void_bill(store: QboStore, bill: dict[str, Any]) -> dict[str, Any]:
    """What voiding in the QBO UI does: amounts to zero, note "Voided" (no API operation for Bill)."""
    _refuse_if_paid(bill, "voided")
    unindex_bill(store, bill)
    adjust_vendor_balance(store, bill["VendorRef"]["value"], -bill["Balance"])
    for line in bill["Line"]:
        line["Amount"] = Decimal("0")
    bill["TotalAmt"] = bill["Balance"] = Decimal("0")
    bill["PrivateNote"] = "Voided"
    index_bill(store, bill)  # the DocNumber stays taken; linked amounts are now zero
    _unlink_purchase_orders(store, bill)
    store.voided.add(bill["Id"])
    store.touch("Bill", bill)
    return bill


def adjust_vendor_balance(store: QboStore, vendor_id: str, delta: Decimal) -> None:
    vendor = store.records["Vendor"].get(vendor_id)
    if vendor is not None:  # Balance is read-only and does not bump the vendor's SyncToken
        vendor["Balance"] = vendor.get("Balance", Decimal("0")) + delta


def _refuse_if_paid(bill: dict[str, Any], action: str) -> None:
    if any(link["TxnType"].startswith("BillPayment") for link in bill.get("LinkedTxn", [])):
        raise f.business_validation(
            f"This bill has payments applied and cannot be {action}. Delete the payments first."
        )


def _validated(
    store: QboStore, body: dict[str, Any], *, allow_duplicate: bool, exclude_id: str | None
) -> dict[str, Any]:
    check_properties(body, BILL_FIELDS, "Bill")
    vendor = lookup(store, "Vendor", ref_id(body, "VendorRef", required=True) or "", "VendorRef")
    currency = _currency(body, vendor)
    fields: dict[str, Any] = {
        "VendorRef": named_ref(vendor, "DisplayName"),
        "CurrencyRef": currency_ref(currency),
    }
    rate = as_decimal(body["ExchangeRate"], "ExchangeRate") if "ExchangeRate" in body else Decimal("0")
    # 0 is no rate: python-quickbooks sends `"ExchangeRate": 0` on every create and QBO accepts it;
    # the company's rate for the currency applies (1 for the home currency, quickbooks.md §Entities [Q6]).
    fields["ExchangeRate"] = rate if rate != 0 else EXCHANGE_RATES[currency]
    fields["APAccountRef"] = _ap_account(store, body, currency)
    fields["TxnDate"] = _txn_date(store, body)
    check_open(store, fields["TxnDate"])  # closed books: 6210
    term = _term(store, body, vendor)
    if term is not None and "SalesTermRef" in body:
        fields["SalesTermRef"] = named_ref(term)
    due_default = date.fromisoformat(fields["TxnDate"]) + timedelta(days=int(term["DueDays"]) if term else 0)
    fields["DueDate"] = _due_date(body, due_default)
    if body.get("DocNumber") not in (None, ""):
        fields["DocNumber"] = check_length(body["DocNumber"], "DocNumber", 21)
        if not allow_duplicate:
            _check_duplicate(store, vendor["Id"], fields["DocNumber"], exclude_id)
    if body.get("PrivateNote") is not None:
        fields["PrivateNote"] = check_length(body["PrivateNote"], "PrivateNote", 4000)
    for passthrough in ("VendorAddr", "TxnTaxDetail", "GlobalTaxCalculation", "DepartmentRef"):
        if body.get(passthrough) is not None:
            fields[passthrough] = body[passthrough]
    fields["Line"] = _lines(store, body.get("Line"), vendor["Id"])
    fields["TotalAmt"] = apply_tax(store, fields, body.get("GlobalTaxCalculation"))  # lines + purchase tax
    po_links = {line_link["TxnId"] for line in fields["Line"] for line_link in line.get("LinkedTxn", [])}
    if po_links:
        fields["LinkedTxn"] = [{"TxnId": po, "TxnType": "PurchaseOrder"} for po in sorted(po_links, key=int)]
    return fields


def _txn_date(store: QboStore, body: dict[str, Any]) -> str:
    """TxnDate; an empty string counts as absent: today in the company's time zone.

    python-quickbooks sends `"TxnDate": ""` on every create whose date is not set, and QBO accepts it;
    reports of the empty-date sentinel concern DueDate and ServiceDate only (python-quickbooks issue
    124, PR 400), none TxnDate, so an empty TxnDate is taken to get the absent-field default (the
    stored date is UNCERTAIN: not confirmed in a primary source).
    """
    if body.get("TxnDate") == "" or "TxnDate" not in body:
        return store.today()
    return check_date(body["TxnDate"], "TxnDate")


def _due_date(body: dict[str, Any], default: date) -> str:
    """DueDate; absent -> from the terms (quickbooks.md §Entities); empty string -> QBO's 9999-12-31 sentinel.

    QBO stores a bill created with `"DueDate": ""` as due 12/31/9999 (python-quickbooks issue 124; the
    same for ServiceDate, PR 400): it accepts empty dates, unlike empty enum values (issues 133/157).
    """
    if "DueDate" not in body:
        return default.isoformat()
    if body["DueDate"] == "":
        return EMPTY_DATE
    return check_date(body["DueDate"], "DueDate")


def _currency(body: dict[str, Any], vendor: dict[str, Any]) -> str:
    vendor_currency = vendor.get("CurrencyRef", {}).get("value", HOME_CURRENCY)
    code = ref_id(body, "CurrencyRef", required=False) or vendor_currency
    if code not in CURRENCIES:
        raise f.invalid_reference("Currency", code, "CurrencyRef")
    if code != vendor_currency:
        raise f.business_validation(
            f"The currency of the transaction ({code}) must match the currency of "
            f"the vendor ({vendor_currency}).",
            element="CurrencyRef",
        )
    return code


def _ap_account(store: QboStore, body: dict[str, Any], currency: str) -> dict[str, str]:
    ident = ref_id(body, "APAccountRef", required=False)
    if ident is None:
        return named_ref(ap_account_for(store, currency))
    account = lookup(store, "Account", ident, "APAccountRef", kind="Accounts")
    if account["AccountType"] != "Accounts Payable":
        raise f.business_validation(
            f"APAccountRef {ident} ({account['Name']}) is not an Accounts Payable account.",
            element="APAccountRef",
        )
    if account["CurrencyRef"]["value"] != currency:
        raise f.business_validation(
            f"The A/P account currency must match the transaction currency ({currency}).",
            element="APAccountRef",
        )
    return named_ref(account)


def _term(store: QboStore, body: dict[str, Any], vendor: dict[str, Any]) -> dict[str, Any] | None:
    ident = ref_id(body, "SalesTermRef", required=False)
    if ident is not None:
        return lookup(store, "Term", ident, "SalesTermRef")
    vendor_term = vendor.get("TermRef", {}).get("value")
    return store.get("Term", vendor_term) if vendor_term else None


def _check_duplicate(store: QboStore, vendor_id: str, doc_number: str, exclude_id: str | None) -> None:
    existing = store.bill_docs.get((vendor_id, doc_number))
    if existing is not None and existing != exclude_id:
        raise f.duplicate_doc_number(doc_number, existing)


def index_bill(store: QboStore, bill: dict[str, Any]) -> None:
    """Record the bill's DocNumber and PO-linked amounts in the store's indexes."""
    if bill.get("DocNumber"):
        store.bill_docs.setdefault((bill["VendorRef"]["value"], bill["DocNumber"]), bill["Id"])
    for line in bill["Line"]:
        for link in line.get("LinkedTxn", []):
            store.po_billed[link["TxnId"]] = store.po_billed.get(link["TxnId"], Decimal("0")) + line["Amount"]


def unindex_bill(store: QboStore, bill: dict[str, Any]) -> None:
    key = (bill["VendorRef"]["value"], bill.get("DocNumber", ""))
    if store.bill_docs.get(key) == bill["Id"]:
        del store.bill_docs[key]
    for line in bill["Line"]:
        for link in line.get("LinkedTxn", []):
            store.po_billed[link["TxnId"]] = store.po_billed.get(link["TxnId"], Decimal("0")) - line["Amount"]


def _lines(store: QboStore, lines: Any, vendor_id: str) -> list[dict[str, Any]]:
    if not lines:
        raise f.required_param("Line")
    if not isinstance(lines, list) or not all(isinstance(line, dict) for line in lines):
        raise f.request_error("Line must be an array of objects", element="Line")
    return [_line(store, line, number, vendor_id) for number, line in enumerate(lines, start=1)]


def _line(store: QboStore, line: dict[str, Any], number: int, vendor_id: str) -> dict[str, Any]:
    check_properties(line, _LINE_FIELDS | _LINE_IGNORED, "Line")
    kind = line.get("DetailType")
    if kind is None:
        raise f.required_param("Line.DetailType")
    if kind not in (ACCOUNT_LINE, ITEM_LINE):
        raise f.invalid_enum(kind, "Line.DetailType")
    detail = line.get(kind)
    if not isinstance(detail, dict):
        raise f.required_param(f"Line.{kind}")
    if line.get("Amount") is None:
        raise f.required_param("Line.Amount")
    out: dict[str, Any] = {"Id": str(number), "LineNum": number}
    if line.get("Description") is not None:
        out["Description"] = check_length(line["Description"], "Line.Description", 4000)
    out["Amount"] = as_decimal(line["Amount"], "Line.Amount")
    out["DetailType"] = kind
    out[kind] = _account_detail(store, detail) if kind == ACCOUNT_LINE else _item_detail(store, detail)
    if line.get("LinkedTxn"):
        out["LinkedTxn"] = _line_links(store, line["LinkedTxn"], vendor_id)
    return out


def _common_detail(store: QboStore, detail: dict[str, Any], kind: str) -> dict[str, Any]:
    out: dict[str, Any] = {}
    tax = ref_id(detail, "TaxCodeRef", required=False, element=f"Line.{kind}.TaxCodeRef")
    if tax is not None:
        out["TaxCodeRef"] = ref(lookup(store, "TaxCode", tax, f"Line.{kind}.TaxCodeRef")["Id"])
    for key in ("ClassRef", "CustomerRef"):
        if detail.get(key) is not None:
            out[key] = detail[key]
    status = detail.get("BillableStatus", "NotBillable")
    if status not in ("Billable", "NotBillable", "HasBeenBilled"):
        raise f.invalid_enum(status, f"Line.{kind}.BillableStatus")
    out["BillableStatus"] = status
    return out


def _account_detail(store: QboStore, detail: dict[str, Any]) -> dict[str, Any]:
    element = f"Line.{ACCOUNT_LINE}.AccountRef"
    ident = ref_id(detail, "AccountRef", required=True, element=element) or ""
    account = lookup(store, "Account", ident, element, kind="Accounts")
    out: dict[str, Any] = {"AccountRef": named_ref(account)}
    out.update(_common_detail(store, detail, ACCOUNT_LINE))
    return out


def _item_detail(store: QboStore, detail: dict[str, Any]) -> dict[str, Any]:
    element = f"Line.{ITEM_LINE}.ItemRef"
    item = lookup(store, "Item", ref_id(detail, "ItemRef", required=True, element=element) or "", element)
    out: dict[str, Any] = {"ItemRef": named_ref(item)}
    for key in ("Qty", "UnitPrice"):
        if detail.get(key) is not None:
            out[key] = as_decimal(detail[key], f"Line.{ITEM_LINE}.{key}")
    out.update(_common_detail(store, detail, ITEM_LINE))
    return out


def _line_links(store: QboStore, links: Any, vendor_id: str) -> list[dict[str, str]]:
    if not isinstance(links, list):
        raise f.request_error("Line.LinkedTxn must be an array", element="Line.LinkedTxn")
    out = []
    for link in links:
        if not isinstance(link, dict) or link.get("TxnId") in (None, ""):
            raise f.required_param("Line.LinkedTxn.TxnId")
        if link.get("TxnType") != "PurchaseOrder":
            raise f.invalid_enum(link.get("TxnType"), "Line.LinkedTxn.TxnType")
        po = lookup(store, "PurchaseOrder", str(link["TxnId"]), "Line.LinkedTxn.TxnId", active=False)
        if po["VendorRef"]["value"] != vendor_id:
            raise f.business_validation(
                "The linked purchase order belongs to another vendor.", element="Line.LinkedTxn"
            )
        entry = {"TxnId": po["Id"], "TxnType": "PurchaseOrder"}
        if link.get("TxnLineId") is not None:
            entry["TxnLineId"] = str(link["TxnLineId"])
        out.append(entry)
    return out


def _link_purchase_orders(store: QboStore, bill: dict[str, Any]) -> None:
    for link in [x for x in bill.get("LinkedTxn", []) if x["TxnType"] == "PurchaseOrder"]:
        po = store.records["PurchaseOrder"][link["TxnId"]]
        po.setdefault("LinkedTxn", []).append({"TxnId": bill["Id"], "TxnType": "Bill"})
        if store.po_billed.get(po["Id"], Decimal("0")) >= po["TotalAmt"]:
            po["POStatus"] = "Closed"
        store.touch("PurchaseOrder", po)


def _unlink_purchase_orders(store: QboStore, bill: dict[str, Any]) -> None:
    for link in [x for x in bill.get("LinkedTxn", []) if x["TxnType"] == "PurchaseOrder"]:
        po = store.records["PurchaseOrder"].get(link["TxnId"])
        if po is None:
            continue
        po["LinkedTxn"] = [x for x in po.get("LinkedTxn", []) if x["TxnId"] != bill["Id"]]
        if not po["LinkedTxn"]:
            del po["LinkedTxn"]
        if not po.get("ManuallyClosed") and store.po_billed.get(po["Id"], Decimal("0")) < po["TotalAmt"]:
            po["POStatus"] = "Open"
        store.touch("PurchaseOrder", po)
