"""ERP-side changes for `POST /_sim/mutate`, as a person working in QuickBooks would make them.

    {"op": "edit_vendors", "count": 5}                 or "ids": [...]; new phone, e-mail and address
    {"op": "add_vendors", "count": 3}
    {"op": "deactivate_vendor", "vendor_id": "12"}     Active=false (name lists are never deleted)
    {"op": "add_purchase_orders", "count": 2}          optional "vendor_id"
    {"op": "pay_bill", "bill_id": "40", "amount": "10.00"}   amount defaults to the open balance;
                                                       optional "pay_type": "Check" | "CreditCard"
    {"op": "void_bill", "bill_id": "40"}               amounts to zero, note "Voided"
    {"op": "delete_bill", "bill_id": "40"}
    {"op": "delete_bill_payment", "payment_id": "41"}
    {"op": "close_purchase_order" | "delete_purchase_order", "po_id": "12"}   (deletions.py)
    {"op": "add_purchase_tax_code", "name": "VAT 20", "rate": "20"}   a TaxRate and a TaxCode taxing
                                                       purchases with it (as in a non-US company)

Each bumps SyncToken and LastUpdatedTime of what it changes, so incremental sync and CDC see it.
Invalid parameters raise `MutateError` (HTTP 400 from the control endpoint).
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from erpsim.core.seeding import SeededData
from erpsim.core.simulator import MutateError, MutateOp
from erpsim.quickbooks import faults as f
from erpsim.quickbooks.bills import delete_bill, void_bill
from erpsim.quickbooks.billtax import add_purchase_tax_code
from erpsim.quickbooks.deletions import deletion_ops
from erpsim.quickbooks.payments import create_payment, delete_payment
from erpsim.quickbooks.refdata import account_by_name
from erpsim.quickbooks.seed import add_purchase_order, add_vendors
from erpsim.quickbooks.store import QboStore


def _count(params: dict[str, Any], default: int = 1) -> int:
    count = params.get("count", default)
    if isinstance(count, bool) or not isinstance(count, int) or count < 0:
        raise MutateError("count must be a non-negative integer")
    return count


def _record(store: QboStore, entity: str, params: dict[str, Any], key: str) -> dict[str, Any]:
    ident = params.get(key)
    if ident is None:
        raise MutateError(f"{key} is required")
    record = store.records[entity].get(str(ident))
    if record is None:
        raise MutateError(f"no {entity} with Id {ident}")
    return record


def _faulted(fault: f.QboFault) -> MutateError:
    return MutateError(f"{fault.code} {fault.message}: {fault.detail}")


def mutate_ops(store: QboStore, data: SeededData) -> Mapping[str, MutateOp]:
    def edit_vendors(params: dict[str, Any]) -> dict[str, Any]:
        ids = params.get("ids")
        if ids is None:
            active = [v["Id"] for v in store.records["Vendor"].values() if v["Active"]]
            ids = data.rng.sample(active, min(_count(params), len(active)))
        vendors = [_record(store, "Vendor", {"id": i}, "id") for i in ids]
        for vendor in vendors:
            addr = data.address()
            vendor["PrimaryPhone"] = {"FreeFormNumber": data.phone()}
            vendor["PrimaryEmailAddr"] = {"Address": data.email(vendor["DisplayName"], local="billing")}
            vendor["BillAddr"] = {
                "Line1": addr.line1,
                "City": addr.city,
                "CountrySubDivisionCode": addr.region,
                "PostalCode": addr.postal_code,
                "Country": addr.country,
            }
            store.touch("Vendor", vendor)
        return {"ids": [v["Id"] for v in vendors]}

    def add_vendors_op(params: dict[str, Any]) -> dict[str, Any]:
        return {"ids": add_vendors(store, data, _count(params))}

    def deactivate_vendor(params: dict[str, Any]) -> dict[str, Any]:
        vendor = _record(store, "Vendor", params, "vendor_id")
        vendor["Active"] = False
        store.touch("Vendor", vendor)
        return {"id": vendor["Id"], "SyncToken": vendor["SyncToken"]}

    def add_purchase_orders(params: dict[str, Any]) -> dict[str, Any]:
        if "vendor_id" in params:
            vendor_ids = [_record(store, "Vendor", params, "vendor_id")["Id"]]
        else:
            vendor_ids = [v["Id"] for v in store.records["Vendor"].values() if v["Active"]]
        if not vendor_ids:
            raise MutateError("there is no active vendor to order from")
        pos = [add_purchase_order(store, data, data.choice(vendor_ids)) for _ in range(_count(params))]
        return {"ids": [po["Id"] for po in pos]}

    def pay_bill(params: dict[str, Any]) -> dict[str, Any]:
        bill = _record(store, "Bill", params, "bill_id")
        try:
            amount = Decimal(str(params.get("amount", bill["Balance"])))
        except InvalidOperation:
            raise MutateError("amount must be a decimal number") from None
        pay_type = params.get("pay_type", "Check")
        account = account_by_name(store, "Checking" if pay_type == "Check" else "Mastercard")
        funding = (
            {"CheckPayment": {"BankAccountRef": {"value": account["Id"]}}}
            if pay_type == "Check"
            else {"CreditCardPayment": {"CCAccountRef": {"value": account["Id"]}}}
        )
        try:
            payment = create_payment(
                store,
                {
                    "VendorRef": {"value": bill["VendorRef"]["value"]},
                    "PayType": pay_type,
                    "TotalAmt": amount,
                    "Line": [{"Amount": amount, "LinkedTxn": [{"TxnId": bill["Id"], "TxnType": "Bill"}]}],
                    **funding,
                },
            )
        except f.QboFault as fault:
            raise _faulted(fault) from None
        return {"payment_id": payment["Id"], "bill_id": bill["Id"], "balance": str(bill["Balance"])}

    def void_bill_op(params: dict[str, Any]) -> dict[str, Any]:
        bill = _record(store, "Bill", params, "bill_id")
        try:
            void_bill(store, bill)
        except f.QboFault as fault:
            raise _faulted(fault) from None
        return {"id": bill["Id"], "SyncToken": bill["SyncToken"]}

    def delete_bill_op(params: dict[str, Any]) -> dict[str, Any]:
        bill = _record(store, "Bill", params, "bill_id")
        try:
            return delete_bill(store, {"Id": bill["Id"], "SyncToken": bill["SyncToken"]})
        except f.QboFault as fault:
            raise _faulted(fault) from None

    def delete_bill_payment(params: dict[str, Any]) -> dict[str, Any]:
        payment = _record(store, "BillPayment", params, "payment_id")
        return delete_payment(store, {"Id": payment["Id"], "SyncToken": payment["SyncToken"]})

    def add_purchase_tax_code_op(params: dict[str, Any]) -> dict[str, Any]:
        name = str(params.get("name") or "")
        try:
            rate = Decimal(str(params.get("rate")))
        except InvalidOperation:
            rate = Decimal("NaN")
        if not name or not rate.is_finite() or rate < 0:
            raise MutateError("add_purchase_tax_code needs a name and a non-negative rate (percent)")
        code = add_purchase_tax_code(store, name, rate)
        return {"tax_code_id": code["Id"], "name": name, "rate": str(rate)}

    return {
        "add_purchase_tax_code": add_purchase_tax_code_op,
        "edit_vendors": edit_vendors,
        "add_vendors": add_vendors_op,
        "deactivate_vendor": deactivate_vendor,
        "add_purchase_orders": add_purchase_orders,
        "pay_bill": pay_bill,
        "void_bill": void_bill_op,
        "delete_bill": delete_bill_op,
        "delete_bill_payment": delete_bill_payment,
        **deletion_ops(store),  # close / delete a purchase order (deletions.py)
    }
