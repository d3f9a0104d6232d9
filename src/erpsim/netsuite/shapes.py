"""Rendering stored records in the wire shapes: the RESTlet contract and the REST record API.

RESTlet shapes are the ones the shipped scripts return (docs/netsuite.md, "The contract"): camelCase
keys, references `{"id", "refName"}` (currency references also carry the currency's ISO 4217 code
as `symbol`, read by the scripts from the currency record), ISO dates, amounts as numbers, item and
expense lines merged into `lines` with a `sublist` tag, and for bills the applied vendor payments.
REST record shapes follow netsuite-connector.md §REST record API, §Record fields: the same field ids, a
`links` array with the record's self URL, references `{"id", "refName"}` only (a currency's `refName` is its
display name, "US Dollar"; its code needs `GET .../currency/<id>`), status as a `{"id", "refName"}` reference,
and sublists (`item`, `expense`, `apply`) either as a link or, with `expandSubResources=true`, as a collection
`{"items": [...], ...}`.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from erpsim.core.clock import isoformat_z
from erpsim.netsuite.store import BILL_STATUS_TEXT, PO_STATUS_TEXT, NetSuiteStore, Record

REST_ROOT = "/services/rest/record/v1"


def _iso_date(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


def _line(line: Record) -> Record:
    keys = (
        "line",
        "sublist",
        "item",
        "account",
        "description",
        "quantity",
        "rate",
        "amount",
        "quantityBilled",
        "isClosed",
    )
    shaped = {key: line.get(key) for key in keys}
    if line.get("taxCode") is not None:  # bill lines with tax (bills.py `_tax`)
        shaped.update({key: line.get(key) for key in ("taxCode", "taxRate1", "tax1Amt", "grossAmt")})
    return shaped


def restlet_currency(store: NetSuiteStore, currency: Record | None) -> Record | None:
    """A currency reference as the RESTlets return it: `{"id", "refName", "symbol"}` or null."""
    if currency is None:
        return None
    record = store.get("currency", currency["id"])
    return {**currency, "symbol": record["symbol"] if record else None}


def _txn_header(txn: Record, status: str) -> Record:
    return {
        "id": txn["id"],
        "tranId": txn["tranId"],
        "entity": txn["entity"],
        "tranDate": _iso_date(txn["tranDate"]),
        "status": status,
        "currency": txn["currency"],
        "subsidiary": txn["subsidiary"],
        "memo": txn.get("memo"),
        "lastModifiedDate": isoformat_z(txn["lastModifiedDate"]),
    }


def restlet_vendor(store: NetSuiteStore, vendor: Record) -> Record:
    address = vendor["address"]
    return {
        "id": vendor["id"],
        "externalId": vendor.get("externalId"),
        "entityId": vendor["entityId"],
        "companyName": vendor["companyName"],
        "isPerson": vendor["isPerson"],
        "email": vendor["email"],
        "phone": vendor["phone"],
        "isInactive": vendor["isInactive"],
        "taxIdNum": vendor["taxIdNum"],
        "terms": vendor["terms"],
        "currency": restlet_currency(store, vendor["currency"]),
        "subsidiary": vendor["subsidiary"],
        "defaultAddress": default_address(vendor),
        "address": dict(address),
        "lastModifiedDate": isoformat_z(vendor["lastModifiedDate"]),
    }


def default_address(vendor: Record) -> str:
    a = vendor["address"]
    city_line = " ".join(p for p in (a.get("city"), a.get("state"), a.get("zip")) if p)
    return "\n".join(
        p for p in (vendor["companyName"], a.get("addr1"), a.get("addr2"), city_line, a.get("country")) if p
    )


def restlet_purchase_order(store: NetSuiteStore, po: Record) -> Record:
    return {
        **_txn_header(po, po["status"]),
        "currency": restlet_currency(store, po["currency"]),
        "statusRef": PO_STATUS_TEXT[po["status"]],
        "total": store.total(po),
        "lines": [_line(line) for line in po["lines"]],
    }


def restlet_bill(store: NetSuiteStore, bill: Record) -> Record:
    payments = [
        {"id": p["id"], "tranId": p["tranId"], "tranDate": _iso_date(p["tranDate"]), "amount": amount}
        for p, amount in store.payments_of(bill["id"])
    ]
    return {
        **_txn_header(bill, BILL_STATUS_TEXT[bill["statusRef"]]),
        "currency": restlet_currency(store, bill["currency"]),
        "externalId": bill.get("externalId"),
        "dueDate": _iso_date(bill.get("dueDate")),
        "statusRef": bill["statusRef"],
        "total": store.total(bill),
        "taxTotal": sum((Decimal(ln.get("tax1Amt") or 0) for ln in bill["lines"]), Decimal(0)),
        "amountPaid": store.amount_paid(bill),
        "amountRemaining": store.amount_remaining(bill),
        "createdFrom": bill.get("createdFrom"),
        "lines": [_line(line) for line in bill["lines"]],
        "payments": payments,
    }


def restlet_account(store: NetSuiteStore, account: Record) -> Record:
    return {
        "id": account["id"],
        "acctNumber": account["acctNumber"],
        "acctName": account["acctName"],
        "acctType": account["acctType"],
        "isInactive": account["isInactive"],
        "currency": restlet_currency(store, account["currency"]),
        "lastModifiedDate": isoformat_z(account["lastModifiedDate"]),
    }


def restlet_tax_code(code: Record) -> Record:
    return {
        "id": code["id"],
        "itemId": code["itemId"],
        "description": code["description"],
        "rate": code["rate"],
        "isInactive": code["isInactive"],
    }


# ---- REST record API -------------------------------------------------------------------------------


def self_link(base_url: str, record_type: str, internal_id: str, suffix: str = "") -> list[Record]:
    return [{"rel": "self", "href": f"{base_url}{REST_ROOT}/{record_type}/{internal_id}{suffix}"}]


def _sublist(
    base_url: str, record_type: str, internal_id: str, name: str, items: list[Record], expand: bool
) -> Record:
    links = self_link(base_url, record_type, internal_id, f"/{name}")
    if not expand:
        return {"links": links}
    return {
        "links": links,
        "items": items,
        "count": len(items),
        "hasMore": False,
        "offset": 0,
        "totalResults": len(items),
    }


def _rest_lines(txn: Record, sublist: str) -> list[Record]:
    out: list[Record] = []
    for line in txn["lines"]:
        if line["sublist"] != sublist:
            continue
        if sublist == "item":
            out.append(
                {
                    "line": int(line["line"]),
                    "item": line["item"],
                    "description": line["description"],
                    "quantity": line["quantity"],
                    "rate": line["rate"],
                    "amount": line["amount"],
                    "quantityBilled": line.get("quantityBilled"),
                    "isClosed": line.get("isClosed"),
                    "taxCode": line.get("taxCode"),
                    "tax1Amt": line.get("tax1Amt"),
                    "orderLine": line.get("orderLine"),
                }
            )
        else:
            out.append(
                {
                    "line": int(line["line"]),
                    "account": line["account"],
                    "amount": line["amount"],
                    "memo": line["description"],
                    "taxCode": line.get("taxCode"),
                    "tax1Amt": line.get("tax1Amt"),
                    "isClosed": line.get("isClosed"),
                }
            )
    return [{k: v for k, v in item.items() if v is not None} for item in out]


def rest_record(
    store: NetSuiteStore, base_url: str, record_type: str, record: Record, expand: bool
) -> Record:
    """The REST record API body of one record (null fields omitted, as NetSuite omits empty fields)."""
    rid = record["id"]
    links = self_link(base_url, record_type, rid)
    if record_type == "vendor":
        body = {**restlet_vendor(store, record), "address": None}
        body["addressBook"] = _sublist(
            base_url, record_type, rid, "addressBook", [{"addressBookAddress": record["address"]}], expand
        )
    elif record_type == "purchaseOrder":
        body = restlet_purchase_order(store, record)
        body["status"] = {"id": body.pop("statusRef"), "refName": record["status"]}
    elif record_type == "vendorBill":
        body = restlet_bill(store, record)
        body["status"] = {"id": body.pop("statusRef"), "refName": body["status"]}
        body["account"] = record.get("account")
        body.pop("payments")
    elif record_type == "vendorPayment":
        body = {**_txn_header(record, "Paid"), "account": record["account"], "total": record["total"]}
        body.pop("status")
        apply_items = [
            {"doc": {"id": a["doc"]}, "apply": True, "amount": a["amount"]} for a in record["apply"]
        ]
        body["apply"] = _sublist(base_url, record_type, rid, "apply", apply_items, expand)
    elif record_type == "account":
        body = restlet_account(store, record)
    elif record_type == "currency":
        body = rest_currency(record)
    else:
        body = restlet_tax_code(record)
    if "currency" in body and record_type != "currency":
        body["currency"] = record.get("currency")  # REST references carry no ISO code
    if record_type in ("purchaseOrder", "vendorBill"):
        body.pop("lines")
        for sublist in ("item", "expense"):
            body[sublist] = _sublist(
                base_url, record_type, rid, sublist, _rest_lines(record, sublist), expand
            )
    return {"links": links, **{k: v for k, v in body.items() if v is not None}}


def rest_currency(currency: Record) -> Record:
    """`GET .../currency/<id>`: `name` is the display name, `symbol` the ISO 4217 code (UI label "ISO
    Code"), `displaySymbol` what amounts are printed with (SOAP schema `Currency`; REST field ids per
    Oracle help section_0818023012, isBaseCurrency read-only there)."""
    return {
        "id": currency["id"],
        "name": currency["name"],
        "symbol": currency["symbol"],
        "displaySymbol": currency.get("displaySymbol"),
        "isBaseCurrency": currency["isBaseCurrency"],
        "isInactive": currency.get("isInactive", False),
        "lastModifiedDate": isoformat_z(currency["lastModifiedDate"]),
    }
