"""Shared set-up of the export and payment tests: one simulator behind a stored connection, SmartAP
vendors mapped to the simulator's vendors, approved invoices on an expense account of that ERP,
and the per-simulator names of the few `/_sim/mutate` ops and entity counters the tests need.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from smartap_erp.db.models import ERPInvoiceLink, ERPVendorLink, Invoice, InvoiceLine, Vendor
from smartap_erp.db.vault import CredentialVault
from smartap_erp.domain import ERPAccount, ERPSystem, ERPVendor, InvoiceStatus
from smartap_erp.domain.money import to_minor_units
from smartap_erp.sync.context import SyncContext
from tests.sync.harness import ErpHarness

Factory = async_sessionmaker[AsyncSession]
BILL_ENTITY = {
    ERPSystem.QUICKBOOKS: "Bill",
    ERPSystem.XERO: "Bill",
    ERPSystem.SAP: "PurchaseInvoices",
    ERPSystem.NETSUITE: "vendorBill",
}


def pay(harness: ErpHarness, bill_id: str, amount: Decimal) -> dict[str, Any]:
    """Pay `amount` of a bill in the ERP, as a person would (each simulator names the op its way)."""
    system, text = harness.system, str(amount)
    if system is ERPSystem.SAP:
        return harness.mutate("pay_invoice", doc_entry=int(bill_id), amount=text)
    if system is ERPSystem.XERO:
        return harness.mutate("pay_bill", invoice_id=bill_id, amount=text)
    return harness.mutate("pay_bill", bill_id=bill_id, amount=text)


def bills_in_erp(harness: ErpHarness) -> int:
    return int(harness.state()["entities"][BILL_ENTITY[harness.system]])


@dataclass
class World:
    ctx: SyncContext
    harness: ErpHarness
    vendor: Vendor
    erp_vendor: ERPVendor
    account: ERPAccount
    currency: str

    @property
    def connection_id(self) -> uuid.UUID:
        return self.harness.connection.id


async def start(system: ERPSystem, factory: Factory, vault: CredentialVault, **sim: Any) -> World:
    ctx = SyncContext(factory, vault)
    harness = await ErpHarness.start(system, ctx, **sim)
    ctx.now = harness.clock.now  # our clock and the ERP's agree, as in production (within the overlap)
    async with ctx.connector(harness.connection) as erp:
        info = await erp.test_connection()
        vendors = [v async for page in erp.iter_vendors() for v in page if v.is_active]
        accounts = await erp.get_accounts()
    account = next(a for a in accounts if a.is_active and "xpense" in a.account_type.lower())
    erp_vendor = vendors[0]
    currency = erp_vendor.currency or info.base_currency or "USD"
    vendor = await add_vendor(factory, erp_vendor.name, currency)
    await map_vendor(factory, harness.connection.id, vendor.id, erp_vendor.external_id)
    return World(ctx, harness, vendor, erp_vendor, account, currency)


async def add_vendor(factory: Factory, name: str, currency: str) -> Vendor:
    async with factory() as session, session.begin():
        vendor = Vendor(id=uuid.uuid4(), name=name, normalized_name=name.lower(), currency=currency)
        session.add(vendor)
    return vendor


async def map_vendor(factory: Factory, connection_id: uuid.UUID, vendor_id: uuid.UUID, erp_id: str) -> None:
    async with factory() as session, session.begin():
        session.add(
            ERPVendorLink(connection_id=connection_id, smartap_vendor_id=vendor_id, erp_vendor_id=erp_id)
        )


async def add_invoices(
    world: World,
    count: int,
    *,
    status: InvoiceStatus = InvoiceStatus.APPROVED,
    vendor: Vendor | None = None,
    account_code: str | None = None,
    tax_code: str | None = None,
    prefix: str = "INV",
    net: Decimal | None = None,
    tax: Decimal = Decimal(0),
    number: str | None = None,
) -> list[Invoice]:
    """`count` invoices of one expense line each, `net` (default 100.00 + n) plus invoice-level
    `tax`, on the ERP's expense account by name."""
    made = []
    async with world.ctx.session_factory() as session, session.begin():
        for n in range(count):
            amount = Decimal("100.00") + n if net is None else net
            minor = to_minor_units(amount, world.currency)
            tax_minor = to_minor_units(tax, world.currency)
            invoice = Invoice(
                id=uuid.uuid4(),
                vendor_id=(vendor or world.vendor).id,
                invoice_number=number or f"{prefix}-{uuid.uuid4().hex[:8]}",
                invoice_date=dt.date(2024, 6, 1),
                due_date=dt.date(2024, 7, 1),
                currency=world.currency,
                subtotal_minor=minor,
                tax_minor=tax_minor,
                total_minor=minor + tax_minor,
                status=status,
                memo="office supplies",
                lines=[
                    InvoiceLine(
                        line_number=1,
                        description="Paper",
                        quantity=Decimal(1),
                        unit_price=amount,
                        amount_minor=minor,
                        account_code=account_code or world.account.name,
                        tax_code=tax_code,
                    )
                ],
            )
            session.add(invoice)
            made.append(invoice)
    return made


async def mappings(factory: Factory, connection_id: uuid.UUID) -> list[ERPInvoiceLink]:
    async with factory() as session:
        rows = await session.scalars(
            select(ERPInvoiceLink).where(ERPInvoiceLink.connection_id == connection_id)
        )
        return list(rows)


async def invoice_statuses(factory: Factory, ids: list[uuid.UUID]) -> dict[uuid.UUID, InvoiceStatus]:
    async with factory() as session:
        rows = await session.execute(select(Invoice.id, Invoice.status).where(Invoice.id.in_(ids)))
        return {key: value for key, value in rows}
