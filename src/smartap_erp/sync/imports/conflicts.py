"""The manual-review queue: list a connection's open conflicts, and apply a person's choice.

`resolve_conflict(ctx, conflict_id, choice, resolved_by)` takes `"erp"` (write the ERP's version,
kept in the conflict row, over SmartAP's record) or `"smartap"` (keep SmartAP's record and
acknowledge the ERP's version, so the next sync does not raise the same conflict again).
`resolve_conflict_by_field(ctx, conflict_id, fields, resolved_by)` takes a side per field
({field: "smartap"|"erp"}, unnamed fields keep the ERP's value): the merged record is written over
SmartAP's record like an "erp" choice, then the mapping acknowledges the ERP's own version like a
"smartap" choice, so the next sync neither raises the conflict again nor undoes the SmartAP fields.
Both go through the same page writers as an import, in one transaction with the conflict's closing
and a sync-log row. `settle_open_conflicts` applies one choice to every open conflict of a connection.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from smartap_erp.db.models import ERPConflict, ERPConnection
from smartap_erp.domain.enums import ConflictStatus, ERPEntity, SyncDirection
from smartap_erp.domain.models import ERPPurchaseOrder, ERPVendor
from smartap_erp.errors import ConfigurationError
from smartap_erp.sync.context import SyncContext
from smartap_erp.sync.imports.planning import Action, Policy
from smartap_erp.sync.imports.purchase_orders import write_po_page
from smartap_erp.sync.imports.report import PageCounts
from smartap_erp.sync.imports.vendors import write_vendor_page
from smartap_erp.sync.logs import finish_log, start_log

CHOICES = {"erp": Action.APPLY, "erp_wins": Action.APPLY, "smartap": Action.KEEP, "smartap_wins": Action.KEEP}
SIDES = ("smartap", "erp")
# Fields both versions hold under one name but with another meaning, never taken from SmartAP's side:
# a PO's `vendor_id` is SmartAP's vendor UUID in SmartAP's version and the ERP's vendor id in the ERP's.
NOT_MERGEABLE = {ERPEntity.PURCHASE_ORDER: frozenset({"vendor_id"})}
Apply = Callable[[AsyncSession, ERPConflict, dt.datetime], Awaitable[PageCounts]]


async def open_conflicts(ctx: SyncContext, connection_id: uuid.UUID) -> list[ERPConflict]:
    async with ctx.session_factory() as session:
        rows = await session.scalars(
            select(ERPConflict)
            .where(ERPConflict.connection_id == connection_id, ERPConflict.status == ConflictStatus.OPEN)
            .order_by(ERPConflict.created_at, ERPConflict.id)
        )
        return list(rows)


async def _write(
    session: AsyncSession, conflict: ERPConflict, version: dict[str, Any], action: Action, now: dt.datetime
) -> PageCounts:
    """`version` (an ERP record as stored in a conflict) through its entity's page writer, `action` forced."""
    forced = {conflict.erp_record_id: (action, conflict.smartap_record_id)}
    try:
        if conflict.entity_type == ERPEntity.VENDOR:
            vendor = ERPVendor.model_validate(version)
            return await write_vendor_page(
                session, conflict.connection_id, [vendor], policy=Policy.MANUAL, now=now, forced=forced
            )
        if conflict.entity_type == ERPEntity.PURCHASE_ORDER:
            order = ERPPurchaseOrder.model_validate(version)
            return await write_po_page(
                session, conflict.connection_id, [order], policy=Policy.MANUAL, now=now, forced=forced
            )
    except ValidationError as exc:  # a SmartAP value the ERP's record type cannot hold
        raise ConfigurationError(f"conflict {conflict.id}: the merged record is not valid: {exc}") from None
    raise ConfigurationError(f"conflicts on {conflict.entity_type.value} cannot be resolved here")


def mergeable_fields(conflict: ERPConflict) -> set[str]:
    """The fields a per-field resolution may take from SmartAP's side."""
    shared = set(conflict.smartap_version) & set(conflict.erp_version)
    return shared - NOT_MERGEABLE.get(conflict.entity_type, frozenset())


def merged_version(conflict: ERPConflict, fields: Mapping[str, str]) -> dict[str, Any]:
    """The ERP's version with the fields chosen "smartap" taken from SmartAP's version."""
    wrong = sorted(name for name, side in fields.items() if side not in SIDES)
    if wrong:
        raise ConfigurationError(
            f"each field's side must be 'smartap' or 'erp' (not so for {', '.join(wrong)})"
        )
    unknown = sorted(set(fields) - mergeable_fields(conflict))
    if unknown:
        allowed = ", ".join(sorted(mergeable_fields(conflict)))
        raise ConfigurationError(f"cannot choose a side for {', '.join(unknown)}; fields that can: {allowed}")
    merged = dict(conflict.erp_version)
    merged.update(
        {name: conflict.smartap_version[name] for name, side in fields.items() if side == "smartap"}
    )
    return merged


async def resolve_conflict(
    ctx: SyncContext, conflict_id: uuid.UUID, choice: str, resolved_by: str
) -> ERPConflict:
    """Apply `choice` ("erp" or "smartap") to an open conflict and close it."""
    action = CHOICES.get(choice)
    if action is None:
        raise ConfigurationError(f"choice must be 'erp' or 'smartap', not {choice!r}")

    async def apply(session: AsyncSession, conflict: ERPConflict, now: dt.datetime) -> PageCounts:
        return await _write(session, conflict, conflict.erp_version, action, now)

    resolution = "erp" if action is Action.APPLY else "smartap"
    return await _resolve(ctx, conflict_id, {"choice": choice}, resolution, apply, resolved_by)


async def resolve_conflict_by_field(
    ctx: SyncContext, conflict_id: uuid.UUID, fields: Mapping[str, str], resolved_by: str
) -> ERPConflict:
    """Keep SmartAP's value of the fields named "smartap" and the ERP's of every other field; close the
    conflict with resolution "fields" (the choices are in its sync log's params). No field named
    "smartap" is the same as choosing "erp" whole."""
    if not fields:
        raise ConfigurationError("name at least one field and its side")

    async def apply(session: AsyncSession, conflict: ERPConflict, now: dt.datetime) -> PageCounts:
        merged = merged_version(conflict, fields)
        if merged == conflict.erp_version:
            return await _write(session, conflict, merged, Action.APPLY, now)
        counts = await _write(session, conflict, merged, Action.APPLY, now)  # SmartAP's record: merged
        if counts.errors:
            return counts
        # The mapping then acknowledges the ERP's own version (as "smartap" does): the next sync sees
        # nothing new in the ERP, and the fields kept from SmartAP stay a SmartAP-side change.
        return await _write(session, conflict, conflict.erp_version, Action.KEEP, now)

    chosen = dict(sorted(fields.items()))
    resolution = "fields" if "smartap" in chosen.values() else "erp"
    return await _resolve(
        ctx, conflict_id, {"choice": "fields", "fields": chosen}, resolution, apply, resolved_by
    )


async def _resolve(
    ctx: SyncContext,
    conflict_id: uuid.UUID,
    params: dict[str, Any],
    resolution: str,
    apply: Apply,
    resolved_by: str,
) -> ERPConflict:
    async with ctx.session_factory() as session, session.begin():
        conflict = await session.get(ERPConflict, conflict_id)
        if conflict is None:
            raise ConfigurationError(f"no conflict with id {conflict_id}")
        if conflict.status != ConflictStatus.OPEN:
            raise ConfigurationError(f"conflict {conflict_id} is already {conflict.status.value}")
        connection = await session.get(ERPConnection, conflict.connection_id)
        assert connection is not None
        now = ctx.now()
        log = await start_log(
            session,
            connection,
            entity=conflict.entity_type,
            direction=SyncDirection.IMPORT,
            params={"conflict_id": str(conflict_id), **params},
            triggered_by=resolved_by,
            now=now,
        )
        counts = await apply(session, conflict, now)
        if counts.errors:  # the stored ERP version no longer fits (e.g. its vendor is gone): say why
            raise ConfigurationError(f"conflict {conflict_id} cannot be applied: {counts.errors[0].message}")
        conflict.status, conflict.resolution = ConflictStatus.RESOLVED, resolution
        conflict.resolved_by, conflict.resolved_at = resolved_by, now
        finish_log(log, connection, total=1, succeeded=1, errors=[], now=now)
    return conflict


async def settle_open_conflicts(
    ctx: SyncContext, connection_id: uuid.UUID, choice: str, resolved_by: str
) -> list[uuid.UUID]:
    """Apply one `choice` ("erp" or "smartap") to every open conflict of a connection; the ids settled."""
    settled = []
    for conflict in await open_conflicts(ctx, connection_id):
        await resolve_conflict(ctx, conflict.id, choice, resolved_by)
        settled.append(conflict.id)
    return settled
