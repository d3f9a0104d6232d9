"""Editing a connection (`/ui/connections/{id}/edit`, admins): its name, API root, schedule (interval,
scheduled syncs on or off), conflict policy per entity, and its credentials. A credential is never
shown, not even a field that is not secret: each field says whether a value is stored, and a value
typed replaces that field only (`update_connection(merge_credentials=True)`); fields left empty keep
theirs. For SAP Business One and NetSuite these fields are how a connection is reconnected; QuickBooks
and Xero get new tokens through the OAuth round trip (`/ui/connections/{id}/reconnect`).

A refused form comes back with what is wrong next to each field, the values typed kept except the
credentials (typed again, so no credential is ever written into a page).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import AnyHttpUrl, Secret, TypeAdapter, ValidationError
from pydantic import JsonValue as Json
from starlette.datastructures import FormData

from smartap_erp.app import connections, providers
from smartap_erp.app.connections import MAX_INTERVAL, MIN_INTERVAL, NAME_LENGTH, ConnectionDetail
from smartap_erp.app.context import AppContext
from smartap_erp.domain.enums import ERPEntity
from smartap_erp.errors import ConfigurationError, ConflictError, CredentialDecryptionError, NotFoundError
from smartap_erp.sync.imports.planning import DEFAULT_POLICY, Policy
from smartap_erp.ui.routes.connections import OAUTH_SYSTEMS
from smartap_erp.ui.security import Admin, CheckedForm
from smartap_erp.ui.templating import render

router = APIRouter(include_in_schema=False)

_HTTP_URL = TypeAdapter(AnyHttpUrl)
POLICY_ENTITIES = ((ERPEntity.VENDOR, "Vendors"), (ERPEntity.PURCHASE_ORDER, "Purchase orders"))
CREDENTIAL_PREFIX = "credential_"


@dataclass
class EditForm:
    """What the form shows: the values (stored or typed), and what is wrong with each field."""

    name: str
    api_url: str
    interval_minutes: str
    auto_sync: bool
    policies: dict[str, str]
    errors: dict[str, str] = field(default_factory=dict)
    problem: str | None = None  # what is wrong with the whole form (credentials, a stale update)


def stored_form(connection: ConnectionDetail) -> EditForm:
    return EditForm(
        name=connection.name,
        api_url=connection.api_url or "",
        interval_minutes=str(connection.interval_minutes),
        auto_sync=connection.auto_sync,
        policies={
            entity.value: connection.conflict_policies.get(entity.value, DEFAULT_POLICY.value)
            for entity, _ in POLICY_ENTITIES
        },
    )


def typed_form(form: FormData) -> EditForm:
    def text(name: str) -> str:
        value = form.get(name)
        return value.strip() if isinstance(value, str) else ""

    return EditForm(
        name=text("name"),
        api_url=text("api_url"),
        interval_minutes=text("interval_minutes"),
        auto_sync=form.get("auto_sync") == "on",
        policies={entity.value: text(f"policy_{entity.value}") for entity, _ in POLICY_ENTITIES},
    )


def checked_update(
    typed: EditForm, stored: ConnectionDetail, credentials: dict[str, str]
) -> connections.ConnectionUpdate | None:
    """The update the form asks for, or None with `typed.errors` saying what is wrong per field."""
    errors = typed.errors
    if not typed.name or len(typed.name) > NAME_LENGTH:
        errors["name"] = f"a name is required, at most {NAME_LENGTH} characters"
    url: str | None = None
    if typed.api_url:
        try:
            _HTTP_URL.validate_python(typed.api_url)
            url = typed.api_url
        except ValidationError:
            errors["api_url"] = "an http:// or https:// URL with a host, e.g. https://erp.example.com/api"
    elif stored.api_url:
        errors["api_url"] = (
            "a connection's API root cannot be removed (nor through the API or CLI): "
            "type the ERP's own API root instead"
        )
    digits = typed.interval_minutes
    interval = int(digits) if digits.isdecimal() and len(digits) <= 6 else 0
    if not MIN_INTERVAL <= interval <= MAX_INTERVAL:
        errors["interval_minutes"] = f"whole minutes from {MIN_INTERVAL} to {MAX_INTERVAL} (one week)"
    choices = {policy.value for policy in Policy}
    for entity, value in typed.policies.items():
        if value not in choices:
            errors[f"policy_{entity}"] = f"one of {', '.join(sorted(choices))}"
    if errors:
        return None
    secrets: dict[str, Secret[Json]] = {name: Secret(value) for name, value in credentials.items()}
    return connections.ConnectionUpdate.model_validate(
        {
            "name": typed.name,
            "api_url": url if url != stored.api_url else None,
            "auto_sync": typed.auto_sync,
            "interval_minutes": interval,
            "conflict_policies": typed.policies,
            "credentials": secrets or None,
        }
    )


def typed_credentials(form: FormData, fields: list[providers.CredentialFieldInfo]) -> dict[str, str]:
    """The credential fields a value was typed into (an empty one keeps what is stored)."""
    typed = {}
    for spec in fields:
        value = form.get(CREDENTIAL_PREFIX + spec.name)
        if isinstance(value, str) and value.strip():
            typed[spec.name] = value.strip()
    return typed


async def _stored(ctx: AppContext, cid: str) -> tuple[ConnectionDetail, str | None]:
    """The connection with the names of its stored credential fields; when the configured keys
    cannot read them, none is marked set and the problem is said."""
    try:
        return await connections.get_connection(ctx, cid), None
    except CredentialDecryptionError as exc:
        found = await connections.find_connection(ctx, cid)
        problem = f"{exc}: type every credential to store them again"
        return ConnectionDetail(**found.model_dump(), credentials_set=[]), problem


def _page(request: Request, connection: ConnectionDetail, form: EditForm, status_code: int = 200) -> Response:
    provider = providers.get_provider(connection.system.value)
    return render(
        request,
        "connections/edit.html",
        status_code=status_code,
        connection=connection,
        provider=provider,
        form=form,
        oauth=connection.system.value in OAUTH_SYSTEMS,
        policies=[policy.value for policy in Policy],
        policy_entities=[(entity.value, label) for entity, label in POLICY_ENTITIES],
        prefix=CREDENTIAL_PREFIX,
        interval_bounds=(MIN_INTERVAL, MAX_INTERVAL),
    )


def _ctx(request: Request) -> AppContext:
    ctx: AppContext = request.app.state.ctx
    return ctx


@router.get("/ui/connections/{cid:uuid}/edit")
async def edit_page(request: Request, cid: uuid.UUID, user: Admin) -> Response:
    connection, problem = await _stored(_ctx(request), str(cid))
    form = stored_form(connection)
    form.problem = problem
    return _page(request, connection, form)


@router.post("/ui/connections/{cid:uuid}/edit")
async def edit(request: Request, cid: uuid.UUID, user: Admin, form: CheckedForm) -> Response:
    ctx = _ctx(request)
    connection, _ = await _stored(ctx, str(cid))
    provider = providers.get_provider(connection.system.value)
    typed = typed_form(form)
    credentials = typed_credentials(form, list(provider.credential_fields))
    update = checked_update(typed, connection, credentials)
    if update is None:
        return _page(request, connection, typed, 422)
    try:
        await connections.update_connection(ctx, str(connection.id), update, merge_credentials=True)
    except NotFoundError:
        raise
    except ConflictError as exc:  # the name is taken, or the credentials changed meanwhile
        if "named" in str(exc):
            typed.errors["name"] = "another connection has this name; choose another"
        else:
            typed.problem = str(exc)
        return _page(request, connection, typed, 409)
    except ConfigurationError as exc:  # the provider's checks of the credentials, which name the fields
        typed.problem = f"{exc} (type the credentials again: they are never sent back to the page)"
        return _page(request, connection, typed, 422)
    done = "saved_credentials" if credentials else "saved"
    return RedirectResponse(f"/ui/connections/{connection.id}?done={done}", status_code=303)
