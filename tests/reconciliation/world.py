"""A reconciled connection for the reconciliation tests: a simulator with its vendors and purchase
orders imported in full, three invoices exported as bills and their payment status synced, so
SmartAP and the ERP agree; plus the ERP-side edits the tests make."""

from __future__ import annotations

import uuid
from decimal import Decimal

from erpsim.quickbooks.edits import edit_bill_total as qbo_edit
from erpsim.xero.edits import edit_bill_total as xero_edit
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
    """What a person editing the bill's amount in the ERP does (the simulators' own edit)."""
    sim = world.harness.sim
    if world.harness.system is ERPSystem.QUICKBOOKS:
        qbo_edit(sim.store, bill_id, total)
    elif world.harness.system is ERPSystem.XERO:
        org = next(iter(sim.orgs.values()))
        xero_edit(org, bill_id, total, world.harness.clock.now)
    else:
        raise AssertionError(f"no bill edit for {world.harness.system}")


def requests_sent(world: World) -> int:
    return int(world.harness.state()["requests"]["total"])


def new_id() -> uuid.UUID:
    return uuid.uuid4()
