"""A reconciled connection for the reconciliation tests: a simulator with its vendors and purchase
orders imported in full, three invoices exported as bills and their payment status synced, so
SmartAP and the ERP agree; plus the ERP-side edits the tests make."""

from __future__ import annotations

import uuid
from decimal import Decimal

from smartap_erp.db.vault import CredentialVault
from smartap_erp.domain import ERPSystem
from smartap_erp.sync.export.run import export_invoices
from smartap_erp.sync.payments.run import sync_payment_statuses
from smartap_erp.sync.service import ERPSyncService
from tests.sync.export.helpers import Factory, World, add_invoices, mappings, start


async def reconciled(system: ERPSystem, factory: Factory, vault: CredentialVault) -> tuple[World, list[str]]:
    """The world and the ERP ids of the three exported bills."""
    world = await start(system, factory, vault, vendors=8, purchase_orders=4, bills=3)
    service = ERPSyncService(world.ctx)
    await service.import_vendors(world.connection_id, full=True)
    await service.import_purchase_orders(world.connection_id, full=True)
    invoices = await add_invoices(world, 3)
    await export_invoices(world.ctx, world.connection_id, [i.id for i in invoices])
    world.harness.clock.advance(60)
    await sync_payment_statuses(world.ctx, world.connection_id)
    bills = [m.erp_invoice_id for m in await mappings(factory, world.connection_id)]
    return world, sorted(bills)


def change_bill_amount(world: World, bill_id: str, total: Decimal) -> None:
    """What a person editing the bill's amount in the ERP does: each simulator's `edit_bill_total` op."""
    system, text = world.harness.system, str(total)
    if system is ERPSystem.SAP:
        world.harness.mutate("edit_bill_total", doc_entry=int(bill_id), total=text)
    elif system is ERPSystem.XERO:
        world.harness.mutate("edit_bill_total", invoice_id=bill_id, total=text)
    else:
        world.harness.mutate("edit_bill_total", bill_id=bill_id, total=text)


def requests_sent(world: World) -> int:
    return int(world.harness.state()["requests"]["total"])


def new_id() -> uuid.UUID:
    return uuid.uuid4()
