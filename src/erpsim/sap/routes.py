"""The Service Layer's HTTP surface: `/b1s/v1/…` and `/b1s/v2/…`, sessions checked on every call.

Login / Logout (sap.md §Login and session cookies), the `CompanyService_GetCompanyInfo` / `_GetAdminInfo`
service actions (company name, localisation, currency), every entity set of `schema.ENTITY_SETS` as a
collection, a `$count` segment and a keyed entity (`PurchaseInvoices(7)`, `BusinessPartners('V10000')`), and
creates of `PurchaseOrders` and `PurchaseInvoices`, and `$batch` (batch.py: its parts run through these same
routes). Paths are case-sensitive: anything else under `/b1s/vN/`
(including `/login` in lower case) falls through to one handler that answers 401 / code 301 without a session
and 404 "Resource not found" with one (sap.md §Login and session cookies, [S5]). Each handler is bound to the
simulator, which owns the sessions and companies.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from erpsim.core.jsonutil import SimJSONResponse, loads
from erpsim.sap import periods
from erpsim.sap.batch import BatchRunner, batch_route
from erpsim.sap.cancel import cancel_routes
from erpsim.sap.documents import DocumentError, build_document
from erpsim.sap.envelope import NOT_FOUND_CODE, NOT_FOUND_MESSAGE, error, metadata_url, session_error
from erpsim.sap.odata import ODataError
from erpsim.sap.reads import base_url, count_collection, entity_response, parse_key, read_collection
from erpsim.sap.schema import ENTITY_SETS, EntitySet

if TYPE_CHECKING:
    from erpsim.sap.company import Company
    from erpsim.sap.sessions import Session
    from erpsim.sap.sim import SapSim

Handler = Callable[[Request], Awaitable[Response]]
VERSIONS = ("v1", "v2")
CREATABLE = ("PurchaseOrders", "PurchaseInvoices")
LOGIN_FAILED = (-304, "Fail to get DB Credentials from SLD")  # secondary sources; no primary catalogue


async def _json_body(request: Request) -> dict[str, Any]:
    try:
        body = loads(await request.body() or b"")
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise ODataError("The request body is not valid JSON") from None
    if not isinstance(body, dict):
        raise ODataError("The request body must be a JSON object")
    return body


def build_routes(sim: SapSim) -> list[BaseRoute]:
    routes: list[BaseRoute] = []
    runner = BatchRunner(sim, routes)  # its parts go through these same routes (batch.py)
    for version in VERSIONS:
        prefix = f"/b1s/{version}"
        routes += [
            Route(f"{prefix}/Login", _login(sim, version), methods=["POST"]),
            Route(f"{prefix}/Logout", _logout(sim, version), methods=["POST"]),
            Route(f"{prefix}/CompanyService_GetCompanyInfo", _company_info(sim, version), methods=["POST"]),
            Route(f"{prefix}/CompanyService_GetAdminInfo", _admin_info(sim, version), methods=["POST"]),
        ]
        for entity in ENTITY_SETS.values():
            routes += [
                Route(f"{prefix}/{entity.name}", _collection(sim, version, entity), methods=["GET"]),
                Route(f"{prefix}/{entity.name}/$count", _count(sim, version, entity), methods=["GET"]),
                Route(f"{prefix}/{entity.name}({{key}})", _single(sim, version, entity), methods=["GET"]),
            ]
            if entity.name in CREATABLE:
                routes.append(
                    Route(f"{prefix}/{entity.name}", _create(sim, version, entity), methods=["POST"])
                )
        routes += cancel_routes(sim, version, _guard)  # Cancel actions (cancel.py)
        routes += periods.routes(sim, version, _guard)  # posting periods (periods.py)
        routes.append(batch_route(sim, version, runner, _guard))  # $batch (batch.py)
        routes.append(
            Route(
                prefix + "/{rest:path}",
                _unknown(sim, version),
                methods=["GET", "POST", "PATCH", "PUT", "DELETE"],
            )
        )
    return routes


def _guard(
    sim: SapSim, version: str, handler: Callable[[Request, Session, Company], Awaitable[Response]]
) -> Handler:
    """Check the session, then run `handler`; map query and business errors to the SL envelope."""

    async def endpoint(request: Request) -> Response:
        session = sim.sessions.resolve(request.cookies.get("B1SESSION"), request.cookies.get("ROUTEID"))
        if session is None:
            return session_error(version)
        try:
            return await handler(request, session, sim.companies[session.company_db])
        except ODataError as exc:
            return error(version, 400, -1, str(exc))
        except DocumentError as exc:
            return error(version, 400, exc.code, str(exc))

    return endpoint


def _login(sim: SapSim, version: str) -> Handler:
    async def login(request: Request) -> Response:
        try:
            body = await _json_body(request)
        except ODataError as exc:
            return error(version, 400, -1, str(exc))
        company_db, user, password = (body.get(k) for k in ("CompanyDB", "UserName", "Password"))
        if not all(isinstance(v, str) and v for v in (company_db, user, password)):
            return error(version, 400, -1, "CompanyDB, UserName and Password are mandatory")
        if company_db not in sim.companies or (user, password) != sim.user_credentials():
            return error(version, 401, *LOGIN_FAILED)
        session = sim.sessions.login(str(company_db), str(user))
        sim.stats.incr("tokens_issued")
        payload = {
            "SessionId": session.session_id,
            "Version": "1000190",
            "SessionTimeout": session.timeout_minutes,
        }
        key = "odata.metadata" if version == "v1" else "@odata.context"
        response = SimJSONResponse(
            {key: metadata_url(base_url(request), version, "B1Sessions/@Element"), **payload}
        )
        # B1SESSION without Path (the real cookie is `B1SESSION=<guid>;HttpOnly;`), ROUTEID on /b1s.
        response.headers.append("set-cookie", f"B1SESSION={session.session_id}; HttpOnly")
        response.headers.append("set-cookie", f"ROUTEID={session.route_id}; path=/b1s")
        return response

    return login


def _logout(sim: SapSim, version: str) -> Handler:
    async def logout(request: Request, session: Session, company: Company) -> Response:
        sim.sessions.logout(session.session_id)
        return Response(status_code=204)

    return _guard(sim, version, logout)


def _service_result(request: Request, version: str, fragment: str, body: dict[str, Any]) -> Response:
    key = "odata.metadata" if version == "v1" else "@odata.context"
    return SimJSONResponse({key: metadata_url(base_url(request), version, fragment), **body})


def _company_info(sim: SapSim, version: str) -> Handler:
    """CompanyService_GetCompanyInfo: the company name and DB version of the session's company."""

    async def info(request: Request, session: Session, company: Company) -> Response:
        return _service_result(
            request,
            version,
            "SAPB1.CompanyInfo",
            {"CompanyName": company.name, "Version": 1000190, "EnableBranches": "tNO"},
        )

    return _guard(sim, version, info)


def _admin_info(sim: SapSim, version: str) -> Handler:
    """CompanyService_GetAdminInfo: localisation and currencies of the session's company."""

    async def info(request: Request, session: Session, company: Company) -> Response:
        return _service_result(
            request,
            version,
            "SAPB1.AdminInfo",
            {
                "Country": company.country,
                "LocalCurrency": company.currency,
                "SystemCurrency": company.currency,
                "DisplayCurrencyontheRight": "tNO",
            },
        )

    return _guard(sim, version, info)


def _collection(sim: SapSim, version: str, entity: EntitySet) -> Handler:
    async def collection(request: Request, session: Session, company: Company) -> Response:
        return read_collection(request, version, entity, company.records(entity.name))

    return _guard(sim, version, collection)


def _count(sim: SapSim, version: str, entity: EntitySet) -> Handler:
    async def count(request: Request, session: Session, company: Company) -> Response:
        return count_collection(request, entity, company.records(entity.name))

    return _guard(sim, version, count)


def _single(sim: SapSim, version: str, entity: EntitySet) -> Handler:
    async def single(request: Request, session: Session, company: Company) -> Response:
        item = company.get(entity.name, parse_key(request.path_params["key"], entity))
        if item is None:
            return error(version, 404, NOT_FOUND_CODE, NOT_FOUND_MESSAGE)
        return entity_response(request, version, entity, item)

    return _guard(sim, version, single)


def _create(sim: SapSim, version: str, entity: EntitySet) -> Handler:
    async def create(request: Request, session: Session, company: Company) -> Response:
        body = await _json_body(request)
        periods.check_posting(company, str(body.get("DocDate") or company.today()))  # locked periods
        document = build_document(company, entity.name, body)
        location = f"{base_url(request)}/b1s/{version}/{entity.name}({document['DocEntry']})"
        if "return-no-content" in request.headers.get("prefer", ""):
            return Response(status_code=204, headers={"Location": location})
        return entity_response(request, version, entity, document, 201, {"Location": location})

    return _guard(sim, version, create)


def _unknown(sim: SapSim, version: str) -> Handler:
    async def unknown(request: Request, session: Session, company: Company) -> Response:
        segment = request.path_params["rest"].split("/")[0].split("(")[0]
        return error(version, 404, -1, f"Resource not found for the segment '{segment}'.")

    return _guard(sim, version, unknown)
