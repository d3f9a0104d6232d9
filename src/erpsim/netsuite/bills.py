"""Creating and updating vendor bills, shared by the RESTlet POST and the REST record API.

Input arrives either in the RESTlet contract form (`expense` / `item` as arrays) or in the REST form
(sublists as `{"items": [...]}`, netsuite-connector.md §Record fields); `normalize_sublists` makes the two the
same. Then one validator checks required fields and references the way NetSuite would, naming the field path
in its message (`expense[0].account.id is required`, 0-based as in the shipped RESTlet), and `create_bill`
stores the bill, links it to its purchase order (`createdFrom`, `orderLine`), and marks billed PO quantities.
A line with a `taxCode` carries its tax (`_tax`), and the bill's `total` adds it. Errors are `NetSuiteError`s
with NetSuite's codes (MISSING_REQUIRED_FIELD, INVALID_FIELD_VALUE, INVALID_KEY_OR_REF). A `tranDate` in a
closed or A/P-locked accounting period is refused (periods.py).
"""

from __future__ import annotations

import re
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from erpsim.netsuite.errors import NetSuiteError
from erpsim.netsuite.periods import check_open
from erpsim.netsuite.store import NetSuiteStore, Record, ref

_DIGITS = re.compile(r"^\d+$")
CENT = Decimal("0.01")


def normalize_sublists(body: dict[str, Any]) -> dict[str, Any]:
    """REST sublists `{"items": [...]}` -> plain arrays (RESTlet form)."""
    out = dict(body)
    for key in ("expense", "item"):
        value = out.get(key)
        if isinstance(value, dict):
            out[key] = value.get("items", [])
    return out


def _missing(path: str) -> NetSuiteError:
    return NetSuiteError("MISSING_REQUIRED_FIELD", f"{path} is required", path=path)


def _invalid(path: str, why: str) -> NetSuiteError:
    return NetSuiteError("INVALID_FIELD_VALUE", f"{path} {why}", path=path)


def _string(body: dict[str, Any], key: str, path: str, *, required: bool) -> str | None:
    value = body.get(key)
    if value is None or value == "":
        if required:
            raise _missing(path)
        return None
    if not isinstance(value, str):
        raise _invalid(path, "must be a string")
    return value


def _ref(
    store: NetSuiteStore,
    body: dict[str, Any],
    key: str,
    path: str,
    record_type: str,
    *,
    required: bool,
    name_field: str = "name",
) -> dict[str, str] | None:
    value = body.get(key)
    if value is None:
        if required:
            raise _missing(f"{path}.id")
        return None
    ident = value.get("id") if isinstance(value, dict) else None
    if ident is None or ident == "":
        raise _missing(f"{path}.id")
    ident = str(ident)
    if not _DIGITS.match(ident):
        raise _invalid(f"{path}.id", "must be a NetSuite internal id (digits)")
    record = store.get(record_type, ident)
    if record is None:
        raise NetSuiteError("INVALID_KEY_OR_REF", f"Invalid {key} reference key {ident}.", path=path)
    return ref(record, name_field)


def _date(body: dict[str, Any], key: str, *, required: bool) -> date | None:
    raw = _string(body, key, key, required=required)
    if raw is None:
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise _invalid(key, "must be a date YYYY-MM-DD") from None


def _number(line: dict[str, Any], key: str, path: str, *, required: bool) -> Decimal | None:
    value = line.get(key)
    if value is None:
        if required:
            raise _missing(path)
        return None
    if isinstance(value, bool) or not isinstance(value, int | Decimal | float | str):
        raise _invalid(path, "must be a number")
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        raise _invalid(path, "must be a number") from None
    if not number.is_finite():
        raise _invalid(path, "must be a number")
    return number


def _lines(store: NetSuiteStore, body: dict[str, Any], po: Record | None) -> list[Record]:
    lines: list[Record] = []
    for key in ("item", "expense"):
        raw = body.get(key) or []
        if not isinstance(raw, list):
            raise _invalid(key, "must be a list of lines")
        for index, line in enumerate(raw):
            path = f"{key}[{index}]"
            if not isinstance(line, dict):
                raise _invalid(path, "must be an object")
            parsed = _item_line(store, line, path, po) if key == "item" else _expense_line(store, line, path)
            lines.append({"line": str(len(lines) + 1), **parsed})
    if not lines:
        raise NetSuiteError(
            "MISSING_REQUIRED_FIELD", "expense or item is required: a bill needs at least one line"
        )
    return lines


def _expense_line(store: NetSuiteStore, line: dict[str, Any], path: str) -> Record:
    account = _ref(store, line, "account", f"{path}.account", "account", required=True)
    amount = _number(line, "amount", f"{path}.amount", required=True)
    return {
        "sublist": "expense",
        "item": None,
        "account": account,
        "amount": amount,
        "description": _string(line, "memo", f"{path}.memo", required=False),
        "quantity": None,
        "rate": None,
        "quantityBilled": None,
        "isClosed": False,
        **_tax(store, line, path, amount),
    }


def _tax(store: NetSuiteStore, line: dict[str, Any], path: str, amount: Decimal | None) -> Record:
    """A line's tax: `taxRate1` from its `taxCode`, `tax1Amt` as sent (the field is editable) or the
    amount at that rate rounded half up to the cent, and `grossAmt` = amount + tax (SOAP schema
    VendorBillExpense/VendorBillItem fields; REST ids UNCERTAIN, netsuite-connector.md §Record fields). No
    code, no tax."""
    code = _ref(store, line, "taxCode", f"{path}.taxCode", "taxCode", required=False)
    sent = _number(line, "tax1Amt", f"{path}.tax1Amt", required=False)
    if code is None:
        if sent:
            raise _invalid(f"{path}.tax1Amt", "needs a taxCode on the line")
        return {"taxCode": None}
    record = store.get("taxCode", code["id"])
    assert record is not None  # `_ref` checked that it exists
    rate = Decimal(str(record["rate"]))
    tax = sent if sent is not None else (Decimal(amount or 0) * rate / 100).quantize(CENT, ROUND_HALF_UP)
    return {"taxCode": code, "taxRate1": rate, "tax1Amt": tax, "grossAmt": Decimal(amount or 0) + tax}


def _item_line(store: NetSuiteStore, line: dict[str, Any], path: str, po: Record | None) -> Record:
    item = _ref(store, line, "item", f"{path}.item", "item", required=True)
    quantity = _number(line, "quantity", f"{path}.quantity", required=True)
    rate = _number(line, "rate", f"{path}.rate", required=True)
    assert quantity is not None and rate is not None
    amount = _number(line, "amount", f"{path}.amount", required=False)
    order_line = line.get("orderLine")
    if order_line is not None:
        order_line = str(order_line)
        if po is None:
            raise _invalid(f"{path}.orderLine", "needs createdFrom (the purchase order it bills)")
        if not any(po_line["line"] == order_line for po_line in po["lines"]):
            raise _invalid(f"{path}.orderLine", f"is not a line of purchase order {po['id']}")
    amount = amount if amount is not None else (quantity * rate).quantize(CENT)
    return {
        "sublist": "item",
        "item": item,
        "account": None,
        "quantity": quantity,
        "rate": rate,
        "amount": amount,
        "description": _string(line, "description", f"{path}.description", required=False),
        "quantityBilled": None,
        "isClosed": False,
        "orderLine": order_line,
        **_tax(store, line, path, amount),
    }


def validate_bill(store: NetSuiteStore, raw: Any, *, external_id: str | None = None) -> Record:
    """A stored-form bill (without id) from a request body, or a `NetSuiteError`."""
    if not isinstance(raw, dict):
        raise NetSuiteError("INVALID_FIELD_VALUE", "the request body must be a JSON object")
    body = normalize_sublists(raw)
    if external_id is not None:
        body["externalId"] = external_id
    ext = _string(body, "externalId", "externalId", required=True)
    entity = _ref(store, body, "entity", "entity", "vendor", required=True, name_field="companyName")
    assert entity is not None
    vendor = store.get("vendor", entity["id"])
    assert vendor is not None
    tran_id = _string(body, "tranId", "tranId", required=True)
    tran_date = _date(body, "tranDate", required=True)
    assert tran_date is not None
    check_open(store, tran_date)  # closed or A/P-locked accounting period (periods.py)
    po_ref = _ref(store, body, "createdFrom", "createdFrom", "purchaseOrder", required=False)
    po = store.get("purchaseOrder", po_ref["id"]) if po_ref else None
    if po is not None and po["entity"]["id"] != entity["id"]:
        raise _invalid("createdFrom", f"purchase order {po['id']} belongs to another vendor")
    po_ref = {"id": po["id"], "refName": f"Purchase Order #{po['tranId']}"} if po else None
    due = _date(body, "dueDate", required=False)
    if due is None:
        terms = store.get("term", vendor["terms"]["id"]) if vendor.get("terms") else None
        due = tran_date + timedelta(days=terms["days"] if terms else 0)
    return {
        "externalId": ext,
        "entity": entity,
        "tranId": tran_id,
        "tranDate": tran_date,
        "dueDate": due,
        "currency": _ref(store, body, "currency", "currency", "currency", required=False)
        or vendor["currency"],
        "subsidiary": (
            _ref(store, body, "subsidiary", "subsidiary", "subsidiary", required=False)
            or vendor["subsidiary"]
        ),
        "account": _ref(store, body, "account", "account", "account", required=False)
        or ref(next(a for a in store.records["account"].values() if a["acctType"] == "AcctPay")),
        "memo": _string(body, "memo", "memo", required=False),
        "createdFrom": po_ref,
        "statusRef": "open",
        "lines": _lines(store, body, po),
    }


def create_bill(store: NetSuiteStore, bill: Record) -> Record:
    """Store a validated bill and mark the PO lines it bills."""
    bill["id"] = store.next_id("vendorBill")
    store.add("vendorBill", bill)
    _mark_po_billed(store, bill)
    return bill


def replace_bill(store: NetSuiteStore, existing: Record, bill: Record) -> Record:
    """Upsert over an existing bill (REST `PUT .../eid:`): fields replaced, id and payments kept."""
    keep = {"id": existing["id"], "statusRef": existing["statusRef"]}
    existing.clear()
    existing.update({**bill, **keep})
    store.refresh_bill_status(existing)
    store.touch(existing)
    return existing


def _mark_po_billed(store: NetSuiteStore, bill: Record) -> None:
    if not bill.get("createdFrom"):
        return
    po = store.get("purchaseOrder", bill["createdFrom"]["id"])
    if po is None:
        return
    for line in bill["lines"]:
        if line.get("orderLine"):
            for po_line in po["lines"]:
                if po_line["line"] == line["orderLine"] and po_line["quantityBilled"] is not None:
                    po_line["quantityBilled"] += line["quantity"]
    if all(
        pl["quantityBilled"] is None or pl["quantityBilled"] >= (pl["quantity"] or 0) for pl in po["lines"]
    ):
        po["status"] = "Fully Billed"
    store.touch(po)
