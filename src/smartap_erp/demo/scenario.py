"""The demo's story, step by step, against running simulators: connect each ERP, import its vendors and
purchase orders, load and approve sample invoices, export them as bills, pay some in the ERP, sync the
payment status, and tabulate what happened per ERP (figures read back from the database).

Demo connections are marked (`is_demo`, and `demo_worker_id`, the worker of the demo process that
serves their simulators): their schedules are switched off when the demo stops (`stop_schedules`),
and a worker never runs them once that demo worker's heartbeat is gone (the demo was killed).
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select, update

from smartap_erp.db.connections import create_connection
from smartap_erp.db.models import (
    ERPConflict,
    ERPConnection,
    ERPInvoiceLink,
    ERPPurchaseOrderLink,
    ERPVendorLink,
    Invoice,
    InvoiceLine,
)
from smartap_erp.demo.simulators import NAMES, RunningSimulator
from smartap_erp.domain.enums import ConflictStatus, ConnectionStatus, InvoiceStatus, PaymentStatus
from smartap_erp.domain.money import from_minor_units, to_minor_units
from smartap_erp.sync.context import SyncContext

INVOICES_PER_ERP = 4


@dataclass
class ErpSummary:
    system: str
    vendors: int
    purchase_orders: int
    exported: int
    paid: int
    partially_paid: int
    unpaid: int
    in_review: int
    requests: int
    throttled: int

    def row(self) -> dict[str, Any]:
        return self.__dict__.copy()


async def connect(ctx: SyncContext, sim: RunningSimulator, worker_id: str) -> ERPConnection:
    """One demo connection per ERP; a re-run points the existing one at the fresh simulator."""
    name = f"Demo {NAMES[sim.system]}"
    async with ctx.session_factory() as session:
        existing = await session.scalar(select(ERPConnection).where(ERPConnection.name == name))
        if existing is not None:
            await session.delete(existing)  # its history belongs to a simulator that no longer runs
            await session.flush()
        connection = await create_connection(
            session,
            vault=ctx.vault,
            name=name,
            system_type=sim.system,
            credentials=sim.credentials,
            api_url=sim.base_url,
            tenant_id=sim.credentials.get("tenant_id"),
            company_db=sim.credentials.get("company_db"),
            sync_interval_minutes=15,
            created_by="demo",
        )
        await session.commit()
    async with ctx.connector(connection) as erp:
        info = await erp.test_connection()
    async with ctx.session_factory() as session:
        stored = await session.get(ERPConnection, connection.id)
        assert stored is not None
        stored.status, stored.last_connected_at = ConnectionStatus.ACTIVE, info.checked_at
        stored.is_demo, stored.demo_worker_id = True, worker_id
        await session.commit()
        return stored


async def stop_schedules(ctx: SyncContext) -> int:
    """The demo stops and its simulators with it: no schedule may sync its connections any more."""
    async with ctx.session_factory() as session, session.begin():
        result = await session.execute(
            update(ERPConnection).where(ERPConnection.is_demo.is_(True)).values(auto_sync_enabled=False)
        )
        return int(getattr(result, "rowcount", 0))


async def expense_account(ctx: SyncContext, connection: ERPConnection) -> str:
    """The ERP id of an expense account of the ERP's chart (export resolves ids first)."""
    async with ctx.connector(connection) as erp:
        accounts = await erp.get_accounts()
    expense = [a for a in accounts if a.is_active and "expense" in a.account_type.lower()] or accounts
    return expense[0].external_id


async def sample_invoices(
    ctx: SyncContext, connection: ERPConnection, account: str, today: dt.date
) -> list[uuid.UUID]:
    """A few approved invoices from vendors this connection imported, ready to export."""
    async with ctx.session_factory() as session:
        vendor_ids = (
            await session.scalars(
                select(ERPVendorLink.smartap_vendor_id)
                .where(ERPVendorLink.connection_id == connection.id, ERPVendorLink.is_active)
                .order_by(ERPVendorLink.erp_vendor_id)
                .limit(INVOICES_PER_ERP)
            )
        ).all()
        ids = []
        for number, vendor_id in enumerate(vendor_ids, start=1):
            amount = Decimal(100 * number) + Decimal("0.25")
            invoice = Invoice(
                id=uuid.uuid4(),
                vendor_id=vendor_id,
                invoice_number=f"DEMO-{connection.id.hex[:4]}-{number}",
                invoice_date=today,
                due_date=today + dt.timedelta(days=30),
                currency="USD",
                subtotal_minor=to_minor_units(amount, "USD"),
                tax_minor=0,
                total_minor=to_minor_units(amount, "USD"),
                status=InvoiceStatus.APPROVED,
                approved_at=dt.datetime.now(dt.UTC),
                approved_by="demo",
                lines=[
                    InvoiceLine(
                        line_number=1,
                        description="Office supplies",
                        quantity=Decimal(1),
                        unit_price=amount,
                        amount_minor=to_minor_units(amount, "USD"),
                        account_code=account,
                    )
                ],
            )
            session.add(invoice)
            ids.append(invoice.id)
        await session.commit()
        return ids


async def pay_some(ctx: SyncContext, connection: ERPConnection, sim: RunningSimulator) -> None:
    """In the ERP: pay the first exported bill in full and half of the second."""
    async with ctx.session_factory() as session:
        mappings = (
            await session.execute(
                select(ERPInvoiceLink.erp_invoice_id, Invoice.total_minor)
                .join(Invoice, Invoice.id == ERPInvoiceLink.smartap_invoice_id)
                .where(ERPInvoiceLink.connection_id == connection.id)
                .order_by(Invoice.invoice_number)
            )
        ).all()
    if mappings:
        sim.pay(mappings[0][0])
    if len(mappings) > 1:
        sim.pay(mappings[1][0], str(from_minor_units(mappings[1][1] // 2, "USD")))


async def summarise(ctx: SyncContext, connection: ERPConnection, sim: RunningSimulator) -> ErpSummary:
    async def count(model: Any, *where: Any) -> int:
        async with ctx.session_factory() as session:
            query = (
                select(func.count()).select_from(model).where(model.connection_id == connection.id, *where)
            )
            return int(await session.scalar(query) or 0)

    state = sim.state()
    status = ERPInvoiceLink.payment_status
    return ErpSummary(
        system=NAMES[sim.system],
        vendors=await count(ERPVendorLink),
        purchase_orders=await count(ERPPurchaseOrderLink),
        exported=await count(ERPInvoiceLink),
        paid=await count(ERPInvoiceLink, status == PaymentStatus.PAID),
        partially_paid=await count(ERPInvoiceLink, status == PaymentStatus.PARTIAL),
        unpaid=await count(ERPInvoiceLink, status == PaymentStatus.UNPAID),
        in_review=await count(ERPConflict, ERPConflict.status == ConflictStatus.OPEN),
        requests=int(state["requests"]["total"]),
        throttled=int(state["responses"]["throttled_429"]),
    )
