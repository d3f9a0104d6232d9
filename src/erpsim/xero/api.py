"""The Accounting API routes of the Xero simulator (`/api.xro/2.0/...`).

Reads (xero.md §Endpoints): Contacts (`IDs`, `includeArchived` (archived contacts are hidden without it),
`searchTerm`, `summaryOnly`), PurchaseOrders (`Status`, `DateFrom`, `DateTo`: no `where`),
Invoices (`IDs`, `InvoiceNumbers`, `ContactIDs`, `Statuses`, `createdByMyApp`, `summaryOnly`,
`includeArchived` (DELETED and VOIDED invoices are hidden without it or a `Statuses` naming them);
line items only when paging or reading one invoice, as the spec's `page` description says),
Payments, Accounts and TaxRates (never paged), Organisation; every read by id too. Writes:
`PUT /Invoices` (create) and `POST /Invoices` (create or update) of one or many invoices with
`summarizeErrors` and `Idempotency-Key` replay (xero.md §Writes and idempotency).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Collection
from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from erpsim.core.jsonutil import loads
from erpsim.xero import responses
from erpsim.xero.dates import parse_document_date
from erpsim.xero.invoices import EMPTY_GUID, apply_element
from erpsim.xero.query import QueryError, bool_param, csv_param, run_query
from erpsim.xero.store import Org, Record, render

if TYPE_CHECKING:
    from erpsim.xero.simulator import XeroSim

BASE = "/api.xro/2.0"
IDEMPOTENCY_TTL = 6 * 60  # ~6 minutes per a secondary source (xero.md §Writes and idempotency, UNCERTAIN)
IDEMPOTENCY_MAX = 128
Handler = Callable[[Request], Any]
_CONTACT_SUMMARY_DROP = ("Addresses", "Phones", "ContactGroups", "ContactPersons", "PaymentTerms")
_INVOICE_SUMMARY_DROP = ("LineItems", "Payments", "CreditNotes", "Prepayments", "Overpayments")


def _fields(records: Collection[Record], base: Collection[str]) -> set[str]:
    names = set(base)
    for record in records:
        names.update(record)
        break
    return names


def _strip(record: Record, keys: Collection[str]) -> Record:
    return {k: v for k, v in record.items() if k not in keys}


_ARCHIVED_INVOICE_STATUSES = frozenset({"DELETED", "VOIDED"})


def api_routes(sim: XeroSim) -> list[BaseRoute]:
    def tenant_route(handler: Callable[[Request, Org], Any]) -> Handler:
        async def endpoint(request: Request) -> Response:
            org = sim.org_for(request)
            if isinstance(org, Response):
                return org
            try:
                result: Response = await handler(request, org)
            except QueryError as exc:
                return responses.query_parse_error(str(exc))
            return result

        return endpoint

    def ok(collection: str, items: list[Any], pagination: dict[str, int] | None = None) -> Response:
        return responses.envelope(sim.request_id(), sim.clock.now(), collection, items, pagination)

    def by_id(records: dict[str, Record], key: str, alt_field: str | None = None) -> Record | None:
        found = records.get(key.lower())
        if found is None and alt_field:
            found = next((r for r in records.values() if r.get(alt_field) == key), None)
        return found

    async def contacts(request: Request, org: Org) -> Response:
        ids = {i.lower() for i in csv_param(request, "IDs") or []}
        term = (request.query_params.get("searchTerm") or "").lower()
        archived = bool_param(request, "includeArchived")
        filters = [lambda r: archived or r["ContactStatus"] != "ARCHIVED"]
        if ids:
            filters.append(lambda r: r["ContactID"] in ids)
        if term:
            filters.append(
                lambda r: any(
                    term in str(r.get(k) or "").lower()
                    for k in ("Name", "FirstName", "LastName", "EmailAddress", "ContactNumber")
                )
            )
        page = run_query(
            request, org.contacts.values(), "Contact", _fields(org.contacts.values(), ()), filters=filters
        )
        drop = _CONTACT_SUMMARY_DROP if bool_param(request, "summaryOnly") else ()
        return ok("Contacts", [render(_strip(r, drop), "Contact") for r in page.items], page.pagination)

    async def contact(request: Request, org: Org) -> Response:
        found = by_id(org.contacts, request.path_params["key"], "ContactNumber")
        return ok("Contacts", [render(found, "Contact")]) if found else responses.not_found()

    async def purchase_orders(request: Request, org: Org) -> Response:
        filters: list[Callable[[Record], bool]] = []
        if status := request.query_params.get("Status"):
            filters.append(lambda r: r["Status"] == status)
        for name, check in (("DateFrom", lambda d, f: d >= f), ("DateTo", lambda d, f: d <= f)):
            if raw := request.query_params.get(name):
                bound = parse_document_date(raw)
                if bound is None:
                    raise QueryError(f"The value '{raw}' is not a valid date for {name}.")
                filters.append(lambda r, b=bound, c=check: c(r["Date"], b))  # type: ignore[misc]
        page = run_query(
            request,
            org.purchase_orders.values(),
            "PurchaseOrder",
            _fields(org.purchase_orders.values(), ()),
            where=False,
            filters=filters,
        )
        return ok("PurchaseOrders", [render(r, "PurchaseOrder") for r in page.items], page.pagination)

    async def purchase_order(request: Request, org: Org) -> Response:
        found = by_id(org.purchase_orders, request.path_params["key"], "PurchaseOrderNumber")
        return ok("PurchaseOrders", [render(found, "PurchaseOrder")]) if found else responses.not_found()

    async def invoices(request: Request, org: Org) -> Response:
        filters: list[Callable[[Record], bool]] = []
        for param, field in (
            ("IDs", "InvoiceID"),
            ("InvoiceNumbers", "InvoiceNumber"),
            ("Statuses", "Status"),
        ):
            values = csv_param(request, param)
            if values:
                wanted = {v.lower() if field == "InvoiceID" else v for v in values}
                filters.append(lambda r, f=field, w=wanted: r.get(f) in w)  # type: ignore[misc]
        if contact_ids := {c.lower() for c in csv_param(request, "ContactIDs") or []}:
            filters.append(lambda r: r["Contact"]["ContactID"] in contact_ids)
        if not (bool_param(request, "includeArchived") or csv_param(request, "Statuses")):
            # Deleted and voided bills only come back when asked for: `includeArchived=true` or a
            # `Statuses` filter naming them (issue 16 item 4; UNCERTAIN in Xero's spec, whose
            # includeArchived text speaks of ARCHIVED, a status invoices do not have).
            filters.append(lambda r: r["Status"] not in _ARCHIVED_INVOICE_STATUSES)
        if bool_param(request, "createdByMyApp"):
            filters.append(lambda r: bool(r.get("_by_app")))
        page = run_query(
            request, org.invoices.values(), "Invoice", _fields(org.invoices.values(), ()), filters=filters
        )
        summary = bool_param(request, "summaryOnly")
        drop = _INVOICE_SUMMARY_DROP if summary else (() if page.pagination else ("LineItems",))
        return ok("Invoices", [render(_strip(r, drop), "Invoice") for r in page.items], page.pagination)

    async def invoice(request: Request, org: Org) -> Response:
        found = by_id(org.invoices, request.path_params["key"], "InvoiceNumber")
        return ok("Invoices", [render(found, "Invoice")]) if found else responses.not_found()

    async def payments(request: Request, org: Org) -> Response:
        page = run_query(request, org.payments.values(), "Payment", _fields(org.payments.values(), ()))
        return ok("Payments", [render(r, "Payment") for r in page.items], page.pagination)

    async def payment(request: Request, org: Org) -> Response:
        found = by_id(org.payments, request.path_params["key"])
        return ok("Payments", [render(found, "Payment")]) if found else responses.not_found()

    async def accounts(request: Request, org: Org) -> Response:
        page = run_query(
            request, org.accounts.values(), "Account", _fields(org.accounts.values(), ()), paged=False
        )
        return ok("Accounts", [render(r, "Account") for r in page.items])

    async def account(request: Request, org: Org) -> Response:
        found = by_id(org.accounts, request.path_params["key"])
        return ok("Accounts", [render(found, "Account")]) if found else responses.not_found()

    async def tax_rates(request: Request, org: Org) -> Response:
        filters = []
        if tax_type := request.query_params.get("TaxType"):
            filters.append(lambda r: r["TaxType"] == tax_type)
        page = run_query(
            request,
            org.tax_rates.values(),
            "TaxRate",
            _fields(org.tax_rates.values(), ()),
            paged=False,
            filters=filters,
        )
        return ok("TaxRates", [render(r, "TaxRate") for r in page.items])

    async def organisation(request: Request, org: Org) -> Response:
        return ok("Organisations", [render(org.organisation, "Organisation")])

    async def write_invoices(request: Request, org: Org) -> Response:
        return await _write_invoices(sim, request, org)

    return [
        Route(f"{BASE}/Contacts", tenant_route(contacts), methods=["GET"]),
        Route(f"{BASE}/Contacts/{{key}}", tenant_route(contact), methods=["GET"]),
        Route(f"{BASE}/PurchaseOrders", tenant_route(purchase_orders), methods=["GET"]),
        Route(f"{BASE}/PurchaseOrders/{{key}}", tenant_route(purchase_order), methods=["GET"]),
        Route(f"{BASE}/Invoices", tenant_route(invoices), methods=["GET"]),
        Route(f"{BASE}/Invoices", tenant_route(write_invoices), methods=["PUT", "POST"]),
        Route(f"{BASE}/Invoices/{{key}}", tenant_route(invoice), methods=["GET"]),
        Route(f"{BASE}/Payments", tenant_route(payments), methods=["GET"]),
        Route(f"{BASE}/Payments/{{key}}", tenant_route(payment), methods=["GET"]),
        Route(f"{BASE}/Accounts", tenant_route(accounts), methods=["GET"]),
        Route(f"{BASE}/Accounts/{{key}}", tenant_route(account), methods=["GET"]),
        Route(f"{BASE}/TaxRates", tenant_route(tax_rates), methods=["GET"]),
        Route(f"{BASE}/Organisation", tenant_route(organisation), methods=["GET"]),
    ]


async def _write_invoices(sim: XeroSim, request: Request, org: Org) -> Response:
    """PUT/POST /Invoices, with Idempotency-Key replay around the actual write."""
    raw_body = await request.body()
    key = request.headers.get("idempotency-key")
    if key is None:
        return _do_write(sim, request, org, raw_body)
    if not key or len(key) > IDEMPOTENCY_MAX:
        return responses.api_error(
            10, "ValidationException", f"Idempotency-Key must be 1 to {IDEMPOTENCY_MAX} characters"
        )
    now = sim.clock.time()
    for stale in [k for k, entry in sim.idempotency.items() if entry[1] <= now]:
        del sim.idempotency[stale]
    fingerprint = hashlib.sha256(
        b"|".join(
            [request.method.encode(), str(request.url.query).encode(), org.tenant_id.encode(), raw_body]
        )
    ).hexdigest()
    cached = sim.idempotency.get(key)
    if cached is not None:
        if cached[0] != fingerprint:
            return responses.api_error(
                10,
                "ValidationException",
                "The Idempotency-Key has already been used with a different request",
            )
        sim.stats.incr("idempotent_replays")
        return Response(cached[3], status_code=cached[2], media_type="application/json")
    response = _do_write(sim, request, org, raw_body)
    if response.status_code < 500:
        sim.idempotency[key] = (
            fingerprint,
            now + IDEMPOTENCY_TTL,
            response.status_code,
            bytes(response.body),
        )
    return response


def _do_write(sim: XeroSim, request: Request, org: Org, raw_body: bytes) -> Response:
    try:
        body = loads(raw_body or b"")
    except ValueError:
        return responses.post_data_invalid("The request body is not valid JSON")
    elements = body.get("Invoices") if isinstance(body, dict) and "Invoices" in body else [body]
    if not isinstance(elements, list) or not elements or not all(isinstance(e, dict) for e in elements):
        return responses.post_data_invalid('Invalid Json data: expected {"Invoices": [...]} or one invoice')
    allow_update = request.method == "POST"
    now = sim.clock.now()
    if bool_param(request, "summarizeErrors"):
        checks = [
            apply_element(org, sim.data, e, now, allow_update=allow_update, dry_run=True)[1] for e in elements
        ]
        if any(checks):
            return responses.validation_error(
                [_failed(e, errs) for e, errs in zip(elements, checks, strict=True) if errs]
            )
    out: list[Record] = []
    for element in elements:
        record, errors = apply_element(org, sim.data, element, now, allow_update=allow_update)
        if record is None:
            out.append(_failed(element, errors))
        else:
            out.append({**render(record, "Invoice"), "StatusAttributeString": "OK"})
            sim.stats.incr("invoices_written")
    return responses.envelope(sim.request_id(), now, "Invoices", out)


def _failed(element: Record, errors: list[str]) -> Record:
    """A rejected element echoed back the way Xero does: empty id, HasErrors and its messages."""
    return {
        **element,
        "InvoiceID": element.get("InvoiceID") or EMPTY_GUID,
        "HasErrors": True,
        "StatusAttributeString": "ERROR",
        "ValidationErrors": [{"Message": m} for m in errors],
    }
