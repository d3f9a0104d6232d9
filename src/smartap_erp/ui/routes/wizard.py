"""The setup wizard (`/ui/connections/new`, admin only): choose the ERP and name the connection ->
authenticate (QuickBooks and Xero: the OAuth round trip of `oauth_ui`; SAP and NetSuite: a form of
the provider's credential fields, each checked with its message beside it) -> test (the company) ->
sync settings (automatic sync, interval, conflict policy per imported entity) -> field mappings
(optional: a link to the mapping editor) -> done. Before authentication the wizard's state is the
ERP, name and API URL in the query string (nothing secret); from then on it is the connection itself,
stored `pending` with automatic syncs off (`app.setup`), and every step's URL names it by its random
id, so Back and Forward show what was entered (secrets only as "stored") and an abandoned wizard
leaves a pending connection the scheduler never syncs, which "Cancel setup" deletes.
"""

from __future__ import annotations

import uuid
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import RedirectResponse, Response
from starlette.datastructures import FormData

from smartap_erp.app import connections, oauth, providers, setup
from smartap_erp.app.connections import MAX_INTERVAL, MIN_INTERVAL, ConnectionCreate, ConnectionUpdate
from smartap_erp.app.providers import ProviderInfo
from smartap_erp.domain.enums import ERPEntity, ERPSystem
from smartap_erp.errors import ConfigurationError, ConflictError, NotFoundError, SmartAPError
from smartap_erp.sync.imports.planning import DEFAULT_POLICY, Policy
from smartap_erp.ui.routes.oauth_ui import callback_url, remember_new_flow
from smartap_erp.ui.security import Admin, CheckedForm
from smartap_erp.ui.templating import render

router = APIRouter(include_in_schema=False)

STEPS = [
    ("choose", "Choose the ERP"),
    ("authenticate", "Sign in"),
    ("test", "Test"),
    ("configure", "Sync settings"),
    ("mappings", "Field mappings"),
    ("done", "Done"),
]
# The entities an import brings in, each with its own conflict policy (app.connections.PolicyEntity).
POLICY_ENTITIES = [(ERPEntity.VENDOR, "Vendors"), (ERPEntity.PURCHASE_ORDER, "Purchase orders")]
POLICY_LABELS = {
    Policy.MANUAL: "Ask me (conflict review queue)",
    Policy.ERP_WINS: "The ERP's version wins",
    Policy.SMARTAP_WINS: "SmartAP's version wins",
    Policy.NEWEST_WINS: "The newest change wins",
}


def _page(request: Request, template: str, step: str, status_code: int = 200, **context: Any) -> Response:
    return render(request, f"wizard/{template}", status_code, steps=STEPS, step=step, **context)


def _choose(
    request: Request,
    found: list[ProviderInfo],
    values: dict[str, str],
    errors: dict[str, str],
    connection: connections.ConnectionView | None,
    status_code: int = 200,
) -> Response:
    """Step 1: the ERPs (only its own once the connection exists), the name and the API URL."""
    context = {"providers": found, "values": values, "errors": errors, "connection": connection}
    return _page(request, "choose.html", "choose", status_code, **context)


def _base_problems(name: str, api_url: str) -> dict[str, str]:
    problems = {}
    if not name:
        problems["name"] = "Name is required"
    elif len(name) > connections.NAME_LENGTH:
        problems["name"] = f"Name must be at most {connections.NAME_LENGTH} characters"
    if api_url and not (api_url.startswith(("http://", "https://")) and " " not in api_url):
        problems["api_url"] = "API URL must start with http:// or https://"
    return problems


async def _name_taken(request: Request, name: str, other_than: uuid.UUID | None = None) -> bool:
    try:
        found = await connections.find_connection(request.app.state.ctx, name)
    except NotFoundError:
        return False
    return found.id != other_than


def _provider(system: str) -> ProviderInfo:
    try:
        return providers.get_provider(system)
    except ConfigurationError:
        raise HTTPException(404, f"no ERP {system!r}: choose one of the list") from None


def _text(form: FormData, name: str) -> str:
    value = form.get(name)
    return value.strip() if isinstance(value, str) else ""


# ---- step 1: choose the ERP ------------------------------------------------------------------
@router.get("/ui/connections/new")  # also registered early by `connection_new` (see there)
async def choose(
    request: Request, user: Admin, system: str = "", name: str = "", api_url: str = ""
) -> Response:
    return _choose(
        request, providers.list_providers(), {"system": system, "name": name, "api_url": api_url}, {}, None
    )


@router.post("/ui/connections/new")
async def chosen(request: Request, user: Admin, form: CheckedForm) -> Response:
    values = {key: _text(form, key) for key in ("system", "name", "api_url")}
    known = {info.system for info in providers.list_providers()}
    errors = _base_problems(values["name"], values["api_url"])
    if values["system"] not in known:
        errors["system"] = "Choose the ERP to connect"
    if "name" not in errors and await _name_taken(request, values["name"]):
        errors["name"] = f"A connection named {values['name']!r} already exists: choose another name"
    if errors:
        return _choose(request, providers.list_providers(), values, errors, None, status_code=422)
    query = urlencode({"name": values["name"], "api_url": values["api_url"]})
    return RedirectResponse(f"/ui/connections/new/{values['system']}?{query}", status_code=303)


# ---- steps of a connection being set up (its id in the path) --------------------------------
async def _connection(request: Request, cid: uuid.UUID) -> connections.ConnectionView:
    try:
        return await connections.find_connection(request.app.state.ctx, str(cid))
    except NotFoundError:
        raise HTTPException(404, "no such connection: it may have been cancelled; start again") from None


@router.get("/ui/connections/new/{cid:uuid}")
async def rechoose(request: Request, cid: uuid.UUID, user: Admin) -> Response:
    """Back to step 1 once the connection exists: its name and API URL change; its ERP does not."""
    connection = await _connection(request, cid)
    values = {"system": connection.system.value, "name": connection.name, "api_url": connection.api_url or ""}
    return _choose(request, [_provider(connection.system.value)], values, {}, connection)


@router.post("/ui/connections/new/{cid:uuid}")
async def renamed(request: Request, cid: uuid.UUID, user: Admin, form: CheckedForm) -> Response:
    connection = await _connection(request, cid)
    name, api_url = _text(form, "name"), _text(form, "api_url")
    errors = _base_problems(name, api_url)
    if "name" not in errors and await _name_taken(request, name, other_than=cid):
        errors["name"] = f"A connection named {name!r} already exists: choose another name"
    if errors:
        values = {"system": connection.system.value, "name": name, "api_url": api_url}
        return _choose(
            request, [_provider(connection.system.value)], values, errors, connection, status_code=422
        )
    change = ConnectionUpdate(name=name, api_url=api_url or None)
    await connections.update_connection(request.app.state.ctx, str(cid), change)
    return RedirectResponse(f"/ui/connections/new/{cid}/credentials", status_code=303)


@router.get("/ui/connections/new/{cid:uuid}/credentials")
async def credentials_again(request: Request, cid: uuid.UUID, user: Admin) -> Response:
    """Back to step 2: what was entered, secrets shown only as stored."""
    connection = await _connection(request, cid)
    entered = await setup.entered(request.app.state.ctx, str(cid))
    info = _provider(connection.system.value)
    return _authenticate(
        request, info, entered.values, connection=connection, stored=set(entered.secrets_set)
    )


@router.post("/ui/connections/new/{cid:uuid}/credentials")
async def credentials_changed(request: Request, cid: uuid.UUID, user: Admin, form: CheckedForm) -> Response:
    ctx = request.app.state.ctx
    connection = await _connection(request, cid)
    info = _provider(connection.system.value)
    entered = await setup.entered(ctx, str(cid))
    stored = set(entered.secrets_set)
    fields = setup.fields_to_enter(info.system)
    given = {spec.name: _text(form, spec.name) for spec in fields}
    # A secret left blank keeps the stored one: checked as present, merged by the update below.
    checked = {name: ("x" if not value and name in stored else value) for name, value in given.items()}
    errors = setup.field_problems(ctx, info.system, checked)
    if errors:
        return _authenticate(
            request, info, given, connection=connection, stored=stored, status_code=422, errors=errors
        )
    change = ConnectionUpdate(credentials=setup.secret_values({k: v for k, v in given.items() if v}))
    await connections.update_connection(ctx, str(cid), change, merge_credentials=True)
    return RedirectResponse(f"/ui/connections/new/{cid}/test", status_code=303)


@router.get("/ui/connections/new/{cid:uuid}/test")
async def test_page(request: Request, cid: uuid.UUID, user: Admin) -> Response:
    connection = await _connection(request, cid)
    return _page(request, "test.html", "test", connection=connection, info=None, error=None)


@router.post("/ui/connections/new/{cid:uuid}/test")
async def run_test(request: Request, cid: uuid.UUID, user: Admin, form: CheckedForm) -> Response:
    try:
        info = await setup.check(request.app.state.ctx, str(cid))
    except SmartAPError as exc:
        connection = await _connection(request, cid)
        return _page(request, "test.html", "test", 502, connection=connection, info=None, error=str(exc))
    connection = await _connection(request, cid)
    return _page(request, "test.html", "test", connection=connection, info=info, error=None)


def _configure_values(connection: connections.ConnectionView) -> dict[str, Any]:
    fresh = setup.in_setup(connection)
    return {
        "auto_sync": True if fresh else connection.auto_sync,
        "interval_minutes": str(connection.interval_minutes),
        **{
            entity.value: connection.conflict_policies.get(entity.value, DEFAULT_POLICY.value)
            for entity, _ in POLICY_ENTITIES
        },
    }


def _configure(
    request: Request,
    connection: connections.ConnectionView,
    values: dict[str, Any],
    *,
    status_code: int = 200,
    errors: dict[str, str] | None = None,
    error: str | None = None,
) -> Response:
    return _page(
        request,
        "configure.html",
        "configure",
        status_code,
        connection=connection,
        values=values,
        errors=errors or {},
        error=error,
        entities=POLICY_ENTITIES,
        policies=list(POLICY_LABELS.items()),
        limits=(MIN_INTERVAL, MAX_INTERVAL),
    )


@router.get("/ui/connections/new/{cid:uuid}/configure")
async def configure(request: Request, cid: uuid.UUID, user: Admin) -> Response:
    connection = await _connection(request, cid)
    return _configure(request, connection, _configure_values(connection))


@router.post("/ui/connections/new/{cid:uuid}/configure")
async def configured(request: Request, cid: uuid.UUID, user: Admin, form: CheckedForm) -> Response:
    connection = await _connection(request, cid)
    values: dict[str, Any] = {
        "auto_sync": form.get("auto_sync") == "on",
        "interval_minutes": _text(form, "interval_minutes"),
    }
    errors: dict[str, str] = {}
    policies: dict[connections.PolicyEntity, Policy] = {}
    for entity, label in POLICY_ENTITIES:
        values[entity.value] = chosen = _text(form, entity.value)
        if chosen not in {p.value for p in Policy}:
            errors[entity.value] = f"Choose what happens when {label.lower()} conflict"
        else:
            policies[entity] = Policy(chosen)  # type: ignore[index]  # entity is a PolicyEntity
    interval = values["interval_minutes"]
    if not interval.isdigit() or not MIN_INTERVAL <= int(interval) <= MAX_INTERVAL:
        errors["interval_minutes"] = (
            f"Interval must be a whole number of minutes from {MIN_INTERVAL} to {MAX_INTERVAL}"
        )
    if errors:
        return _configure(request, connection, values, status_code=422, errors=errors)
    try:
        await setup.finish(
            request.app.state.ctx,
            str(cid),
            auto_sync=values["auto_sync"],
            interval_minutes=int(interval),
            policies=policies,
        )
    except SmartAPError as exc:
        connection = await _connection(request, cid)
        return _configure(request, connection, values, status_code=502, error=str(exc))
    return RedirectResponse(f"/ui/connections/new/{cid}/mappings", status_code=303)


@router.get("/ui/connections/new/{cid:uuid}/mappings")
async def mappings_step(request: Request, cid: uuid.UUID, user: Admin) -> Response:
    connection = await _connection(request, cid)
    return _page(request, "mappings.html", "mappings", connection=connection)


@router.get("/ui/connections/new/{cid:uuid}/done")
async def done(request: Request, cid: uuid.UUID, user: Admin) -> Response:
    connection = await _connection(request, cid)
    return _page(request, "done.html", "done", connection=connection, policies=dict(POLICY_LABELS))


@router.post("/ui/connections/new/{cid:uuid}/cancel")
async def cancel(request: Request, cid: uuid.UUID, user: Admin, form: CheckedForm) -> Response:
    try:
        await setup.discard(request.app.state.ctx, str(cid))
    except NotFoundError:
        pass  # already gone: what cancelling wants
    except ConflictError as exc:
        raise HTTPException(409, str(exc)) from None
    return RedirectResponse("/ui/connections", status_code=303)


# ---- step 2 of a new connection: credentials form or OAuth start (the ERP in the path) -----
def _authenticate(
    request: Request,
    info: ProviderInfo,
    values: dict[str, str],
    *,
    connection: connections.ConnectionView | None = None,
    stored: set[str] | None = None,
    status_code: int = 200,
    **context: Any,
) -> Response:
    """Step 2: the OAuth start form of a new QuickBooks/Xero connection, else the credential form
    (`context`: name and api_url of a new connection, errors by field, error)."""
    if connection is not None:
        context.update(name=connection.name, api_url=connection.api_url or "")
    oauth_start = info.oauth is not None and connection is None
    return _page(
        request,
        "oauth.html" if oauth_start else "credentials.html",
        "authenticate",
        status_code,
        provider=info,
        fields=setup.fields_to_enter(info.system),
        values=values,
        stored=stored or set(),
        from_settings=setup.filled_by_settings(request.app.state.ctx, info.system),
        connection=connection,
        **{"errors": {}, "error": None, **context},
    )


@router.get("/ui/connections/new/{system}")
async def authenticate(
    request: Request, system: str, user: Admin, name: str = "", api_url: str = ""
) -> Response:
    info = _provider(system)
    if _base_problems(name.strip(), api_url.strip()):  # came without step 1: do it first
        query = urlencode({"system": system, "name": name, "api_url": api_url})
        return RedirectResponse(f"/ui/connections/new?{query}", status_code=303)
    return _authenticate(request, info, {}, name=name.strip(), api_url=api_url.strip())


@router.post("/ui/connections/new/{system}")
async def authenticated(request: Request, system: str, user: Admin, form: CheckedForm) -> Response:
    ctx = request.app.state.ctx
    info = _provider(system)
    name, api_url = _text(form, "name"), _text(form, "api_url")
    if _base_problems(name, api_url):
        raise HTTPException(422, "the connection's name or API URL is not valid: go back to the first step")
    fields = setup.fields_to_enter(system)
    given = {spec.name: _text(form, spec.name) for spec in fields}
    shown = {spec.name: ("" if spec.secret else given[spec.name]) for spec in fields}  # never echo secrets
    errors = setup.field_problems(ctx, system, given)
    if errors:
        return _authenticate(request, info, shown, name=name, api_url=api_url, status_code=422, errors=errors)
    entered = {key: value for key, value in given.items() if value}
    try:
        if info.oauth is not None:
            started = await oauth.start(
                ctx,
                name,
                system=system,
                redirect_uri=callback_url(request),
                api_url=api_url or None,
                client=entered,
                new=True,
            )
            response = RedirectResponse(started.authorize_url, status_code=303)
            remember_new_flow(request, response, name)
            return response
        created = await connections.create_connection(
            ctx,
            ConnectionCreate(
                system=ERPSystem(system),
                name=name,
                credentials=setup.secret_values(dict(entered)),
                api_url=api_url or None,
                auto_sync=False,  # switched on by the wizard's last step, never before
            ),
        )
    except SmartAPError as exc:
        status = 409 if isinstance(exc, ConflictError) else 422
        return _authenticate(
            request, info, shown, name=name, api_url=api_url, status_code=status, error=str(exc)
        )
    return RedirectResponse(f"/ui/connections/new/{created.id}/test", status_code=303)
