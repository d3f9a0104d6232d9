"""The manual-review queue: list a connection's open conflicts, and apply a person's choice.

`resolve_conflict(ctx, conflict_id, choice, resolved_by)` takes `"erp"` (write the ERP's version,
kept in the conflict row, over SmartAP's record) or `"smartap"` (keep SmartAP's record and
acknowledge the ERP's version, so the next sync does not raise the same conflict again). It goes
through the same page writers as an import, in one transaction with the conflict's closing and a
sync-log row. `settle_open_conflicts` applies one choice to every open conflict of a connection.
"""

from __future__ import annotations

import datetime as dt
import uuid

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


async def open_conflicts(ctx: SyncContext, connection_id: uuid.UUID) -> list[ERPConflict]:
    async with ctx.session_factory() as session:
        rows = await session.scalars(
            select(ERPConflict)
            .where(ERPConflict.connection_id == connection_id, ERPConflict.status == ConflictStatus.OPEN)
            .order_by(ERPConflict.created_at, ERPConflict.id)
        )
        return list(rows)


async def _apply(
    session: AsyncSession, conflict: ERPConflict, action: Action, now: dt.datetime
) -> PageCounts:
    forced = {conflict.erp_record_id: (action, conflict.smartap_record_id)}
    if conflict.entity_type == ERPEntity.VENDOR:
        vendor = ERPVendor.model_validate(conflict.erp_version)
        return await write_vendor_page(
            session, conflict.connection_id, [vendor], policy=Policy.MANUAL, now=now, forced=forced
        )
    if conflict.entity_type == ERPEntity.PURCHASE_ORDER:
        order = ERPPurchaseOrder.model_validate(conflict.erp_version)
        return await write_po_page(
            session, conflict.connection_id, [order], policy=Policy.MANUAL, now=now, forced=forced
        )
    raise ConfigurationError(f"conflicts on {conflict.entity_type.value} cannot be resolved here")


async def resolve_conflict(
    ctx: SyncContext, conflict_id: uuid.UUID, choice: str, resolved_by: str
) -> ERPConflict:
    """Apply `choice` ("erp" or "smartap") to an open conflict and close it."""
    action = CHOICES.get(choice)
    if action is None:
        raise ConfigurationError(f"choice must be 'erp' or 'smartap', not {choice!r}")
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
            params={"conflict_id": str(conflict_id), "choice": choice},
            triggered_by=resolved_by,
            now=now,
        )
        counts = await _apply(session, conflict, action, now)
        if counts.errors:  # the stored ERP version no longer fits (e.g. its vendor is gone): say why
            raise ConfigurationError(f"conflict {conflict_id} cannot be applied: {counts.errors[0].message}")
        conflict.status, conflict.resolution = (
            ConflictStatus.RESOLVED,
            "erp" if action is Action.APPLY else "smartap",
        )
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
