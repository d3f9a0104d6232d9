"""BillPayment create and delete, and their effect on the bills they settle (quickbooks.md §Entities,
§Paid or not).

A BillPayment needs VendorRef, PayType (Check | CreditCard), TotalAmt and Line[]; each line applies
an Amount to a Bill through `LinkedTxn[{TxnId, TxnType: "Bill"}]`. Check payments need
`CheckPayment.BankAccountRef` (a Bank account), credit-card payments `CreditCardPayment.CCAccountRef`
(a Credit Card account). Applying a payment lowers the bill's Balance (0 = paid), adds the payment
to the bill's LinkedTxn as `BillPaymentCheck` / `BillPaymentCreditCard`, and lowers the vendor's
Balance; deleting the payment restores all of that. UNCERTAIN (quickbooks.md §Paid or not): whether a payment
bumps the bill's LastUpdatedTime; this simulator bumps it (and the SyncToken), as its Balance changed.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from erpsim.quickbooks import faults as f
from erpsim.quickbooks.bills import adjust_vendor_balance
from erpsim.quickbooks.refdata import EXCHANGE_RATES, ap_account_for, currency_ref
from erpsim.quickbooks.store import QboStore
from erpsim.quickbooks.validate import (
    as_decimal,
    check_date,
    check_length,
    check_properties,
    for_update,
    lookup,
    named_ref,
    ref_id,
)

PAYMENT_FIELDS = frozenset(
    {
        "VendorRef",
        "PayType",
        "TotalAmt",
        "Line",
        "CheckPayment",
        "CreditCardPayment",
        "APAccountRef",
        "TxnDate",
        "DocNumber",
        "PrivateNote",
        "CurrencyRef",
        "ExchangeRate",
        "ProcessBillPayment",
    }
)
_LINK_TYPE = {"Check": "BillPaymentCheck", "CreditCard": "BillPaymentCreditCard"}


def create_payment(store: QboStore, body: dict[str, Any], *, created: float | None = None) -> dict[str, Any]:
    check_properties(body, PAYMENT_FIELDS, "BillPayment")
    vendor = lookup(
        store, "Vendor", ref_id(body, "VendorRef", required=True) or "", "VendorRef", active=False
    )
    pay_type = body.get("PayType")
    if pay_type is None:
        raise f.required_param("PayType")
    if pay_type not in _LINK_TYPE:
        raise f.invalid_enum(pay_type, "PayType")
    if body.get("TotalAmt") is None:
        raise f.required_param("TotalAmt")
    total = as_decimal(body["TotalAmt"], "TotalAmt")
    if total < 0:
        raise f.business_validation("TotalAmt must not be negative.", element="TotalAmt")
    currency = vendor["CurrencyRef"]["value"]
    fields: dict[str, Any] = {
        "VendorRef": named_ref(vendor, "DisplayName"),
        "PayType": pay_type,
        "CurrencyRef": currency_ref(currency),
        "ExchangeRate": EXCHANGE_RATES[currency],
    }
    fields.update(_funding(store, body, pay_type))
    fields["APAccountRef"] = named_ref(ap_account_for(store, currency))
    fields["TxnDate"] = check_date(body["TxnDate"], "TxnDate") if "TxnDate" in body else store.today()
    for key, limit in (("DocNumber", 21), ("PrivateNote", 4000)):
        if body.get(key) not in (None, ""):
            fields[key] = check_length(body[key], key, limit)
    applied = _applied(store, body.get("Line"), vendor["Id"], total)
    fields["Line"] = [
        {"Amount": amount, "LinkedTxn": [{"TxnId": bill["Id"], "TxnType": "Bill"}]}
        for bill, amount in applied
    ]
    fields["TotalAmt"] = total
    payment = store.insert("BillPayment", fields, created=created)
    for bill, amount in applied:
        bill["Balance"] -= amount
        bill.setdefault("LinkedTxn", []).append({"TxnId": payment["Id"], "TxnType": _LINK_TYPE[pay_type]})
        adjust_vendor_balance(store, vendor["Id"], -amount)
        if created is None:
            store.touch("Bill", bill)
    return payment


def delete_payment(store: QboStore, body: dict[str, Any]) -> dict[str, Any]:
    payment = for_update(store, "BillPayment", body)
    for line in payment["Line"]:
        for link in line.get("LinkedTxn", []):
            bill = store.records["Bill"].get(link["TxnId"])
            if bill is None:
                continue
            bill["Balance"] += line["Amount"]
            bill["LinkedTxn"] = [x for x in bill.get("LinkedTxn", []) if x["TxnId"] != payment["Id"]]
            if not bill["LinkedTxn"]:
                del bill["LinkedTxn"]
            adjust_vendor_balance(store, payment["VendorRef"]["value"], line["Amount"])
            store.touch("Bill", bill)
    store.delete("BillPayment", payment["Id"])
    return {"Id": payment["Id"], "status": "Deleted", "domain": "QBO"}


def _funding(store: QboStore, body: dict[str, Any], pay_type: str) -> dict[str, Any]:
    if pay_type == "Check":
        block, key, acct_type = "CheckPayment", "BankAccountRef", "Bank"
    else:
        block, key, acct_type = "CreditCardPayment", "CCAccountRef", "Credit Card"
    detail = body.get(block)
    if not isinstance(detail, dict):
        raise f.required_param(block)
    element = f"{block}.{key}"
    account = lookup(
        store, "Account", ref_id(detail, key, required=True, element=element) or "", element, kind="Accounts"
    )
    if account["AccountType"] != acct_type:
        raise f.business_validation(f"{element} must be a {acct_type} account.", element=element)
    out: dict[str, Any] = {key: named_ref(account)}
    if pay_type == "Check":
        out["PrintStatus"] = detail.get("PrintStatus", "NeedToPrint")
    return {block: out}


def _applied(
    store: QboStore, lines: Any, vendor_id: str, total: Decimal
) -> list[tuple[dict[str, Any], Decimal]]:
    if not isinstance(lines, list) or not lines:
        raise f.required_param("Line")
    applied: list[tuple[dict[str, Any], Decimal]] = []
    for line in lines:
        links = line.get("LinkedTxn") if isinstance(line, dict) else None
        if not links or not isinstance(links, list) or not isinstance(links[0], dict):
            raise f.required_param("Line.LinkedTxn")
        link = links[0]
        if link.get("TxnType") != "Bill":
            raise f.invalid_enum(link.get("TxnType"), "Line.LinkedTxn.TxnType")
        bill = lookup(store, "Bill", str(link.get("TxnId")), "Line.LinkedTxn.TxnId", active=False)
        if bill["VendorRef"]["value"] != vendor_id:
            raise f.business_validation("The bill belongs to another vendor.", element="Line.LinkedTxn")
        if line.get("Amount") is None:
            raise f.required_param("Line.Amount")
        amount = as_decimal(line["Amount"], "Line.Amount")
        if amount <= 0 or amount > bill["Balance"]:
            raise f.business_validation(
                f"The amount applied to bill {bill['Id']} ({amount}) must be positive "
                f"and at most its open balance ({bill['Balance']}).",
                element="Line.Amount",
            )
        applied.append((bill, amount))
    if sum((amount for _, amount in applied), Decimal("0")) > total:
        raise f.business_validation("The amounts applied exceed the payment TotalAmt.", element="TotalAmt")
    return applied
