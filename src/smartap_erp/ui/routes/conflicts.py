"""The conflict review queue (`/ui/conflicts`): records changed both in SmartAP and in the ERP since
they last agreed, newest first, each with SmartAP's and the ERP's values side by side (the fields
that differ marked). An operator resolves one whole (keep SmartAP's record, or take the ERP's) or per
field (a side chosen for each differing field both versions hold; the others take the ERP's), through
`app.conflicts.resolve_conflict`, recorded as resolved by their username. Filters: connection,
entity, resolved ones too; pages of 20 by cursor."""

from __future__ import annotations

import json
from typing import Any, cast
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from smartap_erp.api.errors import status_of
from smartap_erp.app import conflicts, connections
from smartap_erp.app.conflicts import ConflictFilter, ConflictResolution, ConflictView, Side
from smartap_erp.app.users import Role, UserInfo
from smartap_erp.domain.enums import ERPEntity
from smartap_erp.errors import SmartAPError
from smartap_erp.ui.security import CheckedForm, Operator, Viewer
from smartap_erp.ui.templating import render

router = APIRouter(include_in_schema=False)

PAGE = 20
PICK = "pick:"  # form fields `pick:<field>` = smartap | erp
ENTITIES = [ERPEntity.VENDOR.value, ERPEntity.PURCHASE_ORDER.value]


def _shown(value: Any) -> str:
    return "—" if value is None else value if isinstance(value, str) else json.dumps(value)


def rows_of(conflict: ConflictView) -> list[dict[str, Any]]:
    """Each field of either version: both values, whether they differ, and whether a side can be
    chosen for it (it differs and both versions hold it)."""
    ours, theirs = conflict.smartap_version, conflict.erp_version
    return [
        {
            "field": name,
            "smartap": _shown(ours.get(name)),
            "erp": _shown(theirs.get(name)),
            "differs": name in conflict.differs_in,
            "choosable": name in conflict.differs_in and name in ours and name in theirs,
        }
        for name in sorted(set(ours) | set(theirs))
    ]


async def _page(
    request: Request,
    user: UserInfo,
    query: ConflictFilter,
    *,
    notice: str | None = None,
    error: str | None = None,
    status_code: int = 200,
) -> Response:
    ctx = request.app.state.ctx
    found = await conflicts.conflict_page(ctx, query)
    return render(
        request,
        "conflicts/queue.html",
        status_code=status_code,
        items=[(conflict, rows_of(conflict)) for conflict in found.items],
        next_cursor=found.next_cursor,
        query=query,
        connections=await connections.list_connections(ctx),
        entities=ENTITIES,
        notice=notice,
        error=error,
        can_resolve=user.role.allows(Role.OPERATOR),
    )


@router.get("/ui/conflicts")
async def queue(
    request: Request,
    user: Viewer,
    connection: str | None = None,
    entity: str | None = None,
    resolved: str | None = None,
    cursor: str | None = None,
    done: str | None = None,
) -> Response:
    query = ConflictFilter(
        connection=connection or None,
        entity=ERPEntity(entity) if entity in ENTITIES else None,
        include_resolved=bool(resolved),
        limit=PAGE,
        cursor=cursor or None,
    )
    notice = f"Resolved the conflict of {done}." if done else None
    return await _page(request, user, query, notice=notice)


@router.post("/ui/conflicts/{conflict_id}/resolve")
async def resolve(request: Request, conflict_id: str, user: Operator, form: CheckedForm) -> Response:
    keep = form.get("keep")
    if keep in ("smartap", "erp"):
        resolution = ConflictResolution(keep=cast(Side, keep), resolved_by=user.username)
    else:
        picks = {
            str(name).removeprefix(PICK): cast(Side, value)
            for name, value in form.multi_items()
            if str(name).startswith(PICK) and value in ("smartap", "erp")
        }
        if not picks:
            return await _page(
                request,
                user,
                ConflictFilter(limit=PAGE),
                error="Choose a side for at least one field, or keep one side whole.",
                status_code=422,
            )
        resolution = ConflictResolution(fields=picks, resolved_by=user.username)
    try:
        done = await conflicts.resolve_conflict(request.app.state.ctx, conflict_id, resolution)
    except SmartAPError as exc:  # already resolved, a field no side can be chosen for, gone
        return await _page(
            request, user, ConflictFilter(limit=PAGE), error=str(exc), status_code=status_of(exc)
        )
    where = f"{done.entity.value} {done.erp_record_id} on {done.connection}"
    return RedirectResponse("/ui/conflicts?" + urlencode({"done": where}), status_code=303)
