"""`POST /_sim/mutate` operations of the SAP simulator: what a person would do in the B1 client.

Every op takes an optional `company_db` (default the primary company). Payment ops drive what a
connector reads to decide paid / partial / unpaid (sap.md §Paid or not): `pay_invoice` posts an outgoing
payment (`VendorPayments`, object 46) against an A/P invoice, fully or for `amount`; `cancel_payment`
cancels one (the invoice reopens); `close_invoice` closes an invoice by hand (Closed but not paid);
`cancel_invoice` cancels it; `edit_bill_total` changes its amount (edits.py).
Vendor ops bump `UpdateDate` / `UpdateTime` to the simulator clock, as
an edit in the client does: `edit_vendors`, `deactivate_vendor` (`how`: `frozen` or `invalid`),
`add_vendors`; `add_purchase_orders` adds open POs. `set_max_concurrent` and `set_session_timeout`
change the server configuration (worker threads, `SessionTimeout` minutes for new logins).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any

from erpsim.core import MutateError, MutateOp, SeededData
from erpsim.sap.cancel import removal_ops
from erpsim.sap.company import Company
from erpsim.sap.documents import DocumentError, apply_payment, outstanding, refresh_status
from erpsim.sap.edits import edit_bill_total, total_param
from erpsim.sap.seed import add_partner, add_purchase_order

if TYPE_CHECKING:
    from erpsim.sap.sim import SapSim


def _int(params: dict[str, Any], name: str, default: int | None = None, minimum: int = 0) -> int:
    value = params.get(name, default)
    if not isinstance(value, int) or isinstance(value, bool) or value < minimum:
        raise MutateError(f"{name} must be an integer >= {minimum}")
    return value


def mutate_ops(sim: SapSim) -> Mapping[str, MutateOp]:
    def company(params: dict[str, Any]) -> Company:
        name = params.get("company_db", next(iter(sim.companies)))
        if name not in sim.companies:
            raise MutateError(f"unknown company_db {name!r}; known: {', '.join(sim.companies)}")
        return sim.companies[name]

    def data() -> SeededData:
        sim.mutations += 1
        return SeededData(f"sap-mutate-{sim.config.seed}-{sim.mutations}")

    def invoice(params: dict[str, Any]) -> tuple[Company, dict[str, Any]]:
        comp = company(params)
        record = comp.get("PurchaseInvoices", _int(params, "doc_entry", minimum=1))
        if record is None:
            raise MutateError(f"no PurchaseInvoices({params['doc_entry']}) in {comp.db}")
        return comp, record

    def pay_invoice(params: dict[str, Any]) -> dict[str, Any]:
        comp, record = invoice(params)
        try:
            amount = Decimal(str(params["amount"])) if "amount" in params else outstanding(comp, record)
            payment = apply_payment(comp, record, amount)
        except (InvalidOperation, DocumentError) as exc:
            raise MutateError(f"cannot pay: {exc}") from None
        return {
            "payment_doc_entry": payment["DocEntry"],
            "outstanding": str(outstanding(comp, record)),
            "document_status": record["DocumentStatus"],
        }

    def cancel_payment(params: dict[str, Any]) -> dict[str, Any]:
        comp = company(params)
        payment = comp.get("VendorPayments", _int(params, "doc_entry", minimum=1))
        if payment is None:
            raise MutateError(f"no VendorPayments({params['doc_entry']})")
        payment["Cancelled"] = "tYES"
        for line in payment["PaymentInvoices"]:
            target = comp.get("PurchaseInvoices", line["DocEntry"])
            if target is not None:
                refresh_status(comp, target)
        return {"cancelled": payment["DocEntry"]}

    def close_invoice(params: dict[str, Any]) -> dict[str, Any]:
        comp, record = invoice(params)
        comp.manually_closed.add(record["DocEntry"])
        record["DocumentStatus"] = "bost_Close"
        comp.stamp(record)
        return {"closed": record["DocEntry"]}

    def cancel_invoice(params: dict[str, Any]) -> dict[str, Any]:
        comp, record = invoice(params)
        record.update(Cancelled="tYES", DocumentStatus="bost_Close")
        comp.stamp(record)
        return {"cancelled": record["DocEntry"]}

    def suppliers(comp: Company) -> list[dict[str, Any]]:
        return [bp for bp in comp.records("BusinessPartners") if bp["CardType"] == "cSupplier"]

    def edit_vendors(params: dict[str, Any]) -> dict[str, Any]:
        comp = company(params)
        edited = []
        for partner in suppliers(comp)[: _int(params, "count", 1)]:
            partner["Phone1"] = data().phone()
            partner["CardName"] = partner["CardName"].rstrip(" *") + " *"
            comp.stamp(partner)
            edited.append(partner["CardCode"])
        return {"edited": edited}

    def deactivate_vendor(params: dict[str, Any]) -> dict[str, Any]:
        comp = company(params)
        partner = comp.get("BusinessPartners", params.get("card_code"))
        if partner is None or partner["CardType"] != "cSupplier":
            raise MutateError(f"no supplier {params.get('card_code')!r}")
        how = params.get("how", "frozen")
        if how not in ("frozen", "invalid"):
            raise MutateError("how must be 'frozen' or 'invalid'")
        partner["Frozen" if how == "frozen" else "Valid"] = "tYES" if how == "frozen" else "tNO"
        comp.stamp(partner)
        return {"deactivated": partner["CardCode"], "how": how}

    def add_vendors(params: dict[str, Any]) -> dict[str, Any]:
        comp = company(params)
        taken = {bp["CardName"].lower() for bp in comp.records("BusinessPartners")}
        start = 10000 + len(suppliers(comp))
        now = sim.clock.now()
        added = []
        for i in range(_int(params, "count", 1)):
            partner = add_partner(comp, data(), taken, f"V{start + i}", "cSupplier", now.date(), now)
            partner.update(Valid="tYES", Frozen="tNO")
            added.append(partner["CardCode"])
        return {"added": added}

    def add_purchase_orders(params: dict[str, Any]) -> dict[str, Any]:
        comp = company(params)
        active = [bp["CardCode"] for bp in suppliers(comp) if bp["Frozen"] == "tNO" and bp["Valid"] == "tYES"]
        card = params.get("card_code") or (active[0] if active else None)
        if card not in active:
            raise MutateError(f"no active supplier {card!r}")
        added = []
        for _ in range(_int(params, "count", 1)):
            po = add_purchase_order(comp, data(), str(card), sim.clock.now())
            comp.stamp(po)
            added.append(po["DocEntry"])
        return {"added": added}

    def set_max_concurrent(params: dict[str, Any]) -> dict[str, Any]:
        sim.set_max_concurrent(_int(params, "limit", minimum=1))
        return {"max_concurrent": sim.max_concurrent}

    def set_session_timeout(params: dict[str, Any]) -> dict[str, Any]:
        sim.sessions.timeout_minutes = _int(params, "minutes", minimum=1)
        return {"session_timeout_minutes": sim.sessions.timeout_minutes}

    ops: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {
        "pay_invoice": pay_invoice,
        "cancel_payment": cancel_payment,
        "close_invoice": close_invoice,
        "cancel_invoice": cancel_invoice,
        "edit_bill_total": lambda params: edit_bill_total(*invoice(params), total_param(params)),
        "edit_vendors": edit_vendors,
        "deactivate_vendor": deactivate_vendor,
        "add_vendors": add_vendors,
        "add_purchase_orders": add_purchase_orders,
        "set_max_concurrent": set_max_concurrent,
        "set_session_timeout": set_session_timeout,
        **removal_ops(company),  # remove_vendor, cancel_purchase_order (cancel.py)
    }
    return ops
