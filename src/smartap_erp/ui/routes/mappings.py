"""The field-mapping editor (`/ui/mappings`): choose a connection and an entity, see SmartAP's and the
ERP's fields side by side and the connection's mappings; an operator adds, edits and deletes them.
The rule editor is checked as you type: `static/mappings.js` posts the form to `/ui/mappings/check`
(JSON, `X-CSRF-Token` header), which compiles it as saving would and answers where it is wrong (field,
line, column), and the page marks that place; without JavaScript, Preview and Save answer the same
error on the page. Preview applies the rule being edited (or, with both fields left empty, the stored
mappings) to a few records read now from the ERP (`app.mapping_preview.preview_from_erp`) and shows each
record's input and output, failures marked. Discard leaves the page without storing anything."""

from __future__ import annotations

import hmac
import json
import uuid
from functools import partial
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response
from pydantic import ValidationError
from starlette.datastructures import FormData

from smartap_erp.app import connections, mapping_preview, mappings
from smartap_erp.app.connections import ConnectionView
from smartap_erp.app.mapping_preview import DEFAULT_FETCH, MAX_FETCH, MappingPreview, PreviewRecord
from smartap_erp.app.mappings import MappingCreate, MappingRefusedError, MappingUpdate, RuleInput
from smartap_erp.app.users import Role, UserInfo
from smartap_erp.domain.enums import ERPEntity
from smartap_erp.errors import SmartAPError
from smartap_erp.ui.security import CheckedForm, Operator, Viewer, binding_of, csrf_token_for
from smartap_erp.ui.templating import render

router = APIRouter(include_in_schema=False)

ENTITIES = [entity.value for entity in mappings.ENTITIES]
_FIELDS = ("smartap_field", "erp_field", "rule", "regex", "default", "description")


def _form_values(form: FormData | dict[str, Any]) -> dict[str, Any]:
    values: dict[str, Any] = {name: str(form.get(name) or "") for name in _FIELDS}
    values["required"] = bool(form.get("required"))
    values["mapping_id"] = str(form.get("mapping_id") or "")
    values["limit"] = str(form.get("limit") or DEFAULT_FETCH)
    return values


def _rule(values: dict[str, Any]) -> RuleInput:
    return RuleInput(
        smartap_field=values["smartap_field"].strip(),
        erp_field=values["erp_field"].strip(),
        rule=values["rule"] or None,
        default=values["default"] or None,
        required=values["required"],
        regex=values["regex"] or None,
    )


def _error(exc: MappingRefusedError | ValidationError) -> dict[str, Any]:
    """What the page (and the check endpoint) says about a refused rule."""
    if isinstance(exc, ValidationError):
        first = exc.errors()[0]
        field = ".".join(str(part) for part in first["loc"]) or None
        return {"field": field, "message": f"{field}: {first['msg']}", "line": None, "column": None}
    return {"field": exc.field, "message": str(exc), "line": exc.line, "column": exc.column}


def _entity(value: str | None) -> ERPEntity:
    try:
        entity = ERPEntity(value or ERPEntity.VENDOR.value)
    except ValueError:
        raise HTTPException(404, f"field mappings apply to {', '.join(ENTITIES)}, not {value!r}") from None
    if entity not in mappings.ENTITIES:
        raise HTTPException(404, f"field mappings apply to {', '.join(ENTITIES)}, not {entity.value}")
    return entity


def _chosen(found: list[ConnectionView], wanted: str | None) -> ConnectionView | None:
    if not found:
        return None
    if not wanted:
        return found[0]
    for connection in found:
        if wanted in (str(connection.id), connection.name):
            return connection
    raise HTTPException(404, f"no connection {wanted!r}")


def _value_at(record: dict[str, Any] | None, path: str) -> Any:
    """The value at a mapping path (`address.city`, `line_items[0].description`) of a record."""
    node: Any = record
    for part in path.replace("[", ".[").split("."):
        if not part:
            continue
        if part.startswith("["):
            index = int(part.strip("[]")) if part.strip("[]").isdigit() else -1
            node = node[index] if isinstance(node, list) and 0 <= index < len(node) else None
        else:
            node = node.get(part) if isinstance(node, dict) else None
    return node


def _shown(value: Any) -> str:
    return "—" if value is None else value if isinstance(value, str) else json.dumps(value)


def _changes(record: PreviewRecord, rule: RuleInput | None, entity: ERPEntity) -> list[tuple[str, str, str]]:
    """(field, input, output) to show for one previewed record: the rule's own fields, or each field
    the stored mappings changed."""
    if rule is not None:
        read, written = (
            (rule.smartap_field, rule.erp_field)
            if entity is ERPEntity.INVOICE
            else (rule.erp_field, rule.smartap_field)
        )
        return [(written, _shown(_value_at(record.input, read)), _shown(_value_at(record.result, written)))]
    given = record.input or {}
    return [
        (name, _shown(given.get(name)), _shown(value))
        for name, value in record.result.items()
        if given.get(name) != value
    ]


async def _page(
    request: Request,
    user: UserInfo,
    *,
    connection: str | None,
    entity: ERPEntity,
    values: dict[str, Any] | None = None,
    error: dict[str, Any] | None = None,
    preview: MappingPreview | None = None,
    preview_rule: RuleInput | None = None,
    preview_error: str | None = None,
    notice: str | None = None,
    status_code: int = 200,
) -> Response:
    ctx = request.app.state.ctx
    found = await connections.list_connections(ctx)
    chosen = _chosen(found, connection)
    catalogue = stored = None
    if chosen is not None:
        catalogue = await mappings.field_catalogue(ctx, str(chosen.id), entity)
        stored = await mappings.list_mappings(ctx, str(chosen.id), entity=entity)
    rows = None
    if preview is not None:
        rows = [(record, _changes(record, preview_rule, entity)) for record in preview.records]
    return render(
        request,
        "mappings/editor.html",
        status_code=status_code,
        connections=found,
        chosen=chosen,
        entity=entity.value,
        entities=ENTITIES,
        catalogue=catalogue,
        stored=stored,
        values=values or _form_values({}),
        error=error,
        preview=preview,
        preview_rows=rows,
        preview_error=preview_error,
        notice=notice,
        can_edit=user.role.allows(Role.OPERATOR),
        max_fetch=MAX_FETCH,
        fetched=entity in mapping_preview.FETCHED,
    )


@router.get("/ui/mappings")
async def editor(
    request: Request,
    user: Viewer,
    connection: str | None = None,
    entity: str | None = None,
    edit: str | None = None,
    saved: str | None = None,
    deleted: str | None = None,
) -> Response:
    chosen_entity = _entity(entity)
    values = None
    if edit and connection:
        stored = await mappings.list_mappings(request.app.state.ctx, connection, entity=chosen_entity)
        mapping = next((m for m in stored if str(m.id) == edit), None)
        if mapping is None:
            raise HTTPException(404, f"no {chosen_entity.value} mapping {edit!r} on this connection")
        values = _form_values({**mapping.model_dump(), "mapping_id": str(mapping.id)})
    notice = f"Saved the mapping of {saved}." if saved else "Deleted the mapping." if deleted else None
    return await _page(
        request, user, connection=connection, entity=chosen_entity, values=values, notice=notice
    )


def _target(form: FormData) -> tuple[str, ERPEntity]:
    connection = str(form.get("connection") or "")
    if not connection:
        raise HTTPException(422, "choose a connection first")
    return connection, _entity(str(form.get("entity") or ""))


@router.post("/ui/mappings/preview")
async def preview(request: Request, user: Operator, form: CheckedForm) -> Response:
    connection, entity = _target(form)
    values = _form_values(form)
    again = partial(_page, request, user, connection=connection, entity=entity, values=values)
    stored_only = not values["smartap_field"] and not values["erp_field"] and not values["rule"]
    try:
        rule = None if stored_only else _rule(values)
        limit = int(values["limit"]) if values["limit"].isdigit() else DEFAULT_FETCH
        done = await mapping_preview.preview_from_erp(
            request.app.state.ctx, connection, entity, rule=rule, limit=limit
        )
    except (MappingRefusedError, ValidationError) as exc:
        return await again(error=_error(exc), status_code=422)
    except SmartAPError as exc:  # the ERP failed, or this entity is not read from the ERP
        return await again(preview_error=str(exc))
    return await again(preview=done, preview_rule=rule)


@router.post("/ui/mappings/save")
async def save(request: Request, user: Operator, form: CheckedForm) -> Response:
    connection, entity = _target(form)
    values = _form_values(form)
    ctx = request.app.state.ctx
    try:
        rule = _rule(values)
        description = values["description"] or None
        if values["mapping_id"]:
            changes = MappingUpdate(**rule.model_dump(), description=description)
            await mappings.update_mapping(ctx, values["mapping_id"], changes, connection=connection)
        else:
            created = MappingCreate(**rule.model_dump(), entity=entity, description=description)
            await mappings.add_mapping(ctx, connection, created)
    except (MappingRefusedError, ValidationError) as exc:
        again = partial(_page, request, user, connection=connection, entity=entity, values=values)
        return await again(error=_error(exc), status_code=422)
    query = urlencode({"connection": connection, "entity": entity.value, "saved": rule.smartap_field})
    return RedirectResponse(f"/ui/mappings?{query}", status_code=303)


@router.post("/ui/mappings/{mapping_id}/delete")
async def delete(request: Request, mapping_id: uuid.UUID, user: Operator, form: CheckedForm) -> Response:
    connection, entity = _target(form)
    await mappings.remove_mapping(request.app.state.ctx, mapping_id, connection=connection)
    return RedirectResponse(
        "/ui/mappings?" + urlencode({"connection": connection, "entity": entity.value, "deleted": 1}),
        status_code=303,
    )


@router.post("/ui/mappings/check")
async def check(request: Request, user: Operator) -> JSONResponse:
    """The rule being typed, compiled and checked as saving would (nothing evaluated or stored):
    `{"ok": true}` or `{"ok": false, "field", "message", "line", "column"}`."""
    binding = binding_of(request)
    sent = request.headers.get("x-csrf-token", "")
    if binding is None or not hmac.compare_digest(sent, csrf_token_for(binding)):
        raise HTTPException(403, "the request's security token is missing or stale: reload the page")
    try:
        body = await request.json()
    except ValueError:
        raise HTTPException(422, "the body is not JSON") from None
    if not isinstance(body, dict) or not body.get("connection"):
        raise HTTPException(422, "name the connection and entity")
    entity = _entity(str(body.get("entity") or ""))
    try:
        await mappings.check_rule(
            request.app.state.ctx, str(body["connection"]), entity, _rule(_form_values(body))
        )
    except (MappingRefusedError, ValidationError) as exc:
        return JSONResponse({"ok": False, **_error(exc)})
    return JSONResponse({"ok": True})
