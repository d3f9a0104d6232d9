"""Cancelling documents and removing business partners in the simulated SAP Business One company.

`POST /b1s/v1/PurchaseOrders(<DocEntry>)/Cancel` and `.../PurchaseInvoices(<DocEntry>)/Cancel` are the
Service Layer's bound Cancel actions (erp-api-facts §3.7; per object UNCERTAIN there, documented for A/P
invoices by Service Layer clients): no body, `204 No Content`. SAP's help: a cancelled document stays in
the database with Cancelled = Y (`tYES` through the Service Layer) and is closed irreversibly; a
purchase order's cancellation only sets that status, while an A/P invoice's also posts a cancellation
document (Cancelled = C) reversing its journal entry. The simulator marks the invoice and does not add
that cancellation document (its shape through the Service Layer is not in the facts file); readers that
list A/P invoices by `Cancelled eq 'tNO'` must know a real server returns it too. An invoice with
non-cancelled payments is refused (B1 asks to cancel the payment first; wording UNCERTAIN), as is a
document already cancelled. Both stamp UpdateDate / UpdateTime, so incremental reads see them.

`remove_vendor` (a `/_sim/mutate` op, `card_code`, optional `company_db`) removes a supplier as
Administration > Remove does in the client: it disappears from every read and leaves no trace (the Service
Layer has no deleted-records feed), so only a comparison of key lists finds it. A partner with documents
cannot be removed (wording UNCERTAIN).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from erpsim.core import MutateError, MutateOp
from erpsim.sap.company import Company
from erpsim.sap.documents import DocumentError
from erpsim.sap.envelope import NOT_FOUND_CODE, NOT_FOUND_MESSAGE, error

if TYPE_CHECKING:
    from erpsim.sap.sessions import Session
    from erpsim.sap.sim import SapSim

CANCELLABLE = ("PurchaseOrders", "PurchaseInvoices")
Guard = Callable[..., Callable[[Request], Awaitable[Response]]]


def cancel_document(company: Company, set_name: str, document: dict[str, Any]) -> None:
    """Cancel `document` of `set_name` in place (DocumentError if B1 would refuse)."""
    if document.get("Cancelled") == "tYES":
        raise DocumentError(-5002, "Document is already cancelled")
    if set_name == "PurchaseInvoices" and company.applied_to(document["DocEntry"]) > 0:
        raise DocumentError(-5002, "Cannot cancel a document with payments; cancel the payments first")
    document.update(Cancelled="tYES", CancelStatus="csYes", DocumentStatus="bost_Close")
    company.stamp(document)


def cancel_routes(sim: SapSim, version: str, guard: Guard) -> list[BaseRoute]:
    routes: list[BaseRoute] = []
    for set_name in CANCELLABLE:

        async def cancel(
            request: Request, session: Session, company: Company, set_name: str = set_name
        ) -> Response:
            raw = request.path_params["key"]
            document = company.get(set_name, int(raw)) if raw.isdigit() else None
            if document is None:
                return error(version, 404, NOT_FOUND_CODE, NOT_FOUND_MESSAGE)
            cancel_document(company, set_name, document)
            return Response(status_code=204)

        routes.append(
            Route(f"/b1s/{version}/{set_name}({{key}})/Cancel", guard(sim, version, cancel), methods=["POST"])
        )
    return routes


def removal_ops(company_of: Callable[[dict[str, Any]], Company]) -> Mapping[str, MutateOp]:
    def remove_vendor(params: dict[str, Any]) -> dict[str, Any]:
        comp = company_of(params)
        partner = comp.get("BusinessPartners", params.get("card_code"))
        if partner is None or partner["CardType"] != "cSupplier":
            raise MutateError(f"no supplier {params.get('card_code')!r}")
        code = partner["CardCode"]
        if any(
            doc.get("CardCode") == code
            for name in (*CANCELLABLE, "VendorPayments")
            for doc in comp.records(name)
        ):
            raise MutateError(f"business partner {code} has documents and cannot be removed")
        comp.records("BusinessPartners").remove(partner)
        comp.index["BusinessPartners"].pop(code, None)
        return {"removed": code}

    def cancel_purchase_order(params: dict[str, Any]) -> dict[str, Any]:
        comp = company_of(params)
        po = comp.get("PurchaseOrders", params.get("doc_entry"))
        if po is None:
            raise MutateError(f"no PurchaseOrders({params.get('doc_entry')})")
        try:
            cancel_document(comp, "PurchaseOrders", po)
        except DocumentError as exc:
            raise MutateError(str(exc)) from None
        return {"cancelled": po["DocEntry"]}

    return {"remove_vendor": remove_vendor, "cancel_purchase_order": cancel_purchase_order}
