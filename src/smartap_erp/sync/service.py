"""`ERPSyncService`: the seed's facade over the sync engine, one method per operation, by connection id.

Imports (`import_vendors`, `import_purchase_orders`, `sync_connection`) and conflicts run through
`sync.imports`; `export_invoices` through `sync.export`; `sync_payment_statuses` through `sync.payments`.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable, Sequence

from smartap_erp.connectors.base import ERPConnector
from smartap_erp.db.models import ERPConflict
from smartap_erp.domain.enums import ERPEntity
from smartap_erp.errors import ConfigurationError
from smartap_erp.sync.context import SyncContext
from smartap_erp.sync.export import run as export_run
from smartap_erp.sync.export.run import ExportReport
from smartap_erp.sync.imports import conflicts as conflicts
from smartap_erp.sync.imports.purchase_orders import PurchaseOrderImport
from smartap_erp.sync.imports.report import ImportReport
from smartap_erp.sync.imports.run import ImportRun
from smartap_erp.sync.imports.vendors import VendorImport
from smartap_erp.sync.payments import run as payments_run
from smartap_erp.sync.payments.run import PaymentSyncReport

# Dependency order: vendors before the purchase orders that name them (performance.md §Dependency order).
ENTITY_ORDER = (ERPEntity.VENDOR, ERPEntity.PURCHASE_ORDER)


class ERPSyncService:
    def __init__(self, ctx: SyncContext) -> None:
        self.ctx = ctx

    async def import_vendors(
        self,
        connection_id: uuid.UUID,
        since: dt.datetime | None = None,
        limit: int | None = None,
        *,
        full: bool = False,
        triggered_by: str = "system",
    ) -> ImportReport:
        """Vendors changed since the cursor (or `since`, or all if `full`), into SmartAP."""
        run = ImportRun(
            self.ctx,
            connection_id,
            VendorImport(),
            since=since,
            limit=limit,
            full=full,
            triggered_by=triggered_by,
        )
        return await run.run()

    async def import_purchase_orders(
        self,
        connection_id: uuid.UUID,
        since: dt.datetime | None = None,
        limit: int | None = None,
        *,
        full: bool = False,
        triggered_by: str = "system",
    ) -> ImportReport:
        """Purchase orders changed since the cursor; vendors they name but SmartAP lacks come first."""

        async def vendors(erp: ERPConnector) -> None:
            run = ImportRun(
                self.ctx,
                connection_id,
                VendorImport(),
                since=None,
                limit=None,
                full=False,
                triggered_by=f"{triggered_by} (vendors named by purchase orders)",
            )
            await run.run(erp)

        spec = PurchaseOrderImport(connection_id, self.ctx.session_factory, vendors)
        run = ImportRun(
            self.ctx, connection_id, spec, since=since, limit=limit, full=full, triggered_by=triggered_by
        )
        return await run.run()

    async def sync_connection(
        self,
        connection_id: uuid.UUID,
        entities: Iterable[ERPEntity | str] = ENTITY_ORDER,
        *,
        full: bool = False,
        triggered_by: str = "system",
    ) -> dict[ERPEntity, ImportReport]:
        """Incremental import of `entities` (in dependency order); stops at the first failure."""
        wanted = {ERPEntity(e) for e in entities}
        unknown = wanted - set(ENTITY_ORDER)
        if unknown:
            names = ", ".join(sorted(e.value for e in unknown))
            raise ConfigurationError(f"cannot import {names}: only vendor and purchase_order are imported")
        reports: dict[ERPEntity, ImportReport] = {}
        for entity in ENTITY_ORDER:
            if entity not in wanted:
                continue
            method = self.import_vendors if entity is ERPEntity.VENDOR else self.import_purchase_orders
            reports[entity] = await method(connection_id, full=full, triggered_by=triggered_by)
        return reports

    async def handle_sync_conflicts(self, connection_id: uuid.UUID) -> list[ERPConflict]:
        """The connection's open conflicts, oldest first, waiting for `resolve_conflict`."""
        return await conflicts.open_conflicts(self.ctx, connection_id)

    async def resolve_conflict(
        self, conflict_id: uuid.UUID, choice: str, *, resolved_by: str = "system"
    ) -> ERPConflict:
        return await conflicts.resolve_conflict(self.ctx, conflict_id, choice, resolved_by)

    async def export_invoices(
        self,
        connection_id: uuid.UUID,
        invoice_ids: Sequence[uuid.UUID] | None = None,
        *,
        triggered_by: str = "system",
    ) -> ExportReport:
        return await export_run.export_invoices(
            self.ctx, connection_id, invoice_ids, triggered_by=triggered_by
        )

    async def sync_payment_statuses(
        self, connection_id: uuid.UUID, *, triggered_by: str = "system"
    ) -> PaymentSyncReport:
        return await payments_run.sync_payment_statuses(self.ctx, connection_id, triggered_by=triggered_by)
