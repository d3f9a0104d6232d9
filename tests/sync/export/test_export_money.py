"""Exporting never alters money (issue 12, items 1, 3 and 16), against every simulator, on SQLite and
PostgreSQL: the invoice's tax reaches the ERP and the bill total there is the invoice's; tax the ERP
cannot take is refused before any call; a bill whose ERP total differs goes to review, is never
linked as if right and never created twice; a non-positive invoice is never a bill; reference data
is read once per run, not once per batch."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import pytest
from sqlalchemy import select

from smartap_erp.db.models import ERPExportOutbox, ERPSyncLog, Invoice
from smartap_erp.db.vault import CredentialVault
from smartap_erp.domain import ERPSystem, ERPTaxCode, InvoiceStatus
from smartap_erp.sync.export.run import export_invoices
from tests.sync.export.helpers import (
    Factory,
    World,
    add_invoices,
    bills_in_erp,
    invoice_statuses,
    mappings,
    start,
)
from tests.sync.harness import available_systems

pytestmark = pytest.mark.parametrize("system", available_systems())
RATES_ERPS = (ERPSystem.QUICKBOOKS, ERPSystem.SAP)  # they compute bill tax from the codes' rates


async def _taxed_invoice(
    world: World, net: Decimal, tax: Decimal, tax_code: str | None, *, number: str | None = None
) -> Invoice:
    """One approved invoice: one expense line of `net` (with `tax_code`) and invoice-level `tax`."""
    (invoice,) = await add_invoices(world, 1, net=net, tax=tax, tax_code=tax_code, number=number)
    return invoice


async def _purchase_tax_code(world: World) -> ERPTaxCode:
    """An active tax code with a positive purchase rate (QuickBooks: one made as a non-US admin would)."""
    if world.harness.system is ERPSystem.QUICKBOOKS:
        world.harness.mutate("add_purchase_tax_code", name="VAT 5", rate="5")
    async with world.ctx.connector(world.harness.connection) as erp:
        codes = await erp.get_tax_codes()
    return next(c for c in codes if c.is_active and c.rate and c.rate > 0)


def _at_rate(net: Decimal, rate: Decimal) -> Decimal:
    return (net * rate / 100).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


async def _erp_total(world: World, bill_id: str) -> Decimal:
    async with world.ctx.connector(world.harness.connection) as erp:
        return (await erp.sync_payment_status(bill_id)).total_amount


async def test_invoice_tax_reaches_the_erp_and_its_total_is_the_invoices(
    system: ERPSystem, session_factory: Factory, vault: CredentialVault
) -> None:
    world = await start(system, session_factory, vault)
    code = await _purchase_tax_code(world)
    net = Decimal("500.00")
    assert code.rate is not None
    # ERPs taking the amount get one that no rate gives; the others the amount their rate gives.
    tax = _at_rate(net, code.rate) if system in RATES_ERPS else Decimal("5.00")
    invoice = await _taxed_invoice(world, net, tax, code.code)

    report = await export_invoices(world.ctx, world.connection_id, [invoice.id])

    assert (report.success_count, report.error_count) == (1, 0), report.errors
    bill_id = report.bills[invoice.id]
    assert await _erp_total(world, bill_id) == net + tax
    assert (await invoice_statuses(session_factory, [invoice.id]))[invoice.id] == InvoiceStatus.EXPORTED


async def test_tax_the_erp_cannot_take_is_refused_before_any_call(
    system: ERPSystem, session_factory: Factory, vault: CredentialVault
) -> None:
    world = await start(system, session_factory, vault)
    before = bills_in_erp(world.harness)
    no_code = await _taxed_invoice(world, Decimal("500.00"), Decimal("5.00"), None, number="NC-1002")
    invoices = [no_code]
    if system in RATES_ERPS:  # a rate that gives another tax than the invoice's
        code = await _purchase_tax_code(world)
        invoices.append(await _taxed_invoice(world, Decimal("500.00"), Decimal("0.01"), code.code))

    report = await export_invoices(world.ctx, world.connection_id, [i.id for i in invoices])

    errors = {e.record_id: e for e in report.errors}
    first = errors[str(no_code.id)]
    assert (first.code, first.field) == ("tax_not_exportable", "tax_amount")
    assert "invoice has tax 5.00" in first.message and "no line carries a tax code" in first.message
    if system in RATES_ERPS:
        second = errors[str(invoices[1].id)].message
        assert "computes the tax from the line tax codes" in second and "0.01" in second
    assert report.success_count == 0 and bills_in_erp(world.harness) == before
    async with session_factory() as session:
        outbox = await session.scalars(
            select(ERPExportOutbox).where(ERPExportOutbox.connection_id == world.connection_id)
        )
        assert list(outbox) == []  # refused before any call: never even pending


async def test_non_positive_invoice_is_never_a_bill(
    system: ERPSystem, session_factory: Factory, vault: CredentialVault
) -> None:
    world = await start(system, session_factory, vault)
    before = bills_in_erp(world.harness)
    credit = await _taxed_invoice(world, Decimal("-50.00"), Decimal("0"), None)
    empty = await _taxed_invoice(world, Decimal("0.00"), Decimal("0"), None)

    report = await export_invoices(world.ctx, world.connection_id, [credit.id, empty.id])

    errors = {e.record_id: e for e in report.errors}
    assert errors[str(credit.id)].code == "non_positive_total"
    assert (
        "total -50.00" in errors[str(credit.id)].message and "not positive" in errors[str(credit.id)].message
    )
    assert errors[str(empty.id)].code == "non_positive_total"
    assert report.success_count == 0 and bills_in_erp(world.harness) == before


def _change_rate(world: World, code: ERPTaxCode, percent: str) -> None:
    """A person changes the tax rate in the ERP (after our reference data was read)."""
    sim: Any = world.harness.sim
    if world.harness.system is ERPSystem.QUICKBOOKS:
        tax_code = sim.store.records["TaxCode"][code.external_id]
        rate_id = tax_code["PurchaseTaxRateList"]["TaxRateDetail"][0]["TaxRateRef"]["value"]
        sim.store.records["TaxRate"][rate_id]["RateValue"] = Decimal(percent)
    else:
        company = sim.companies[sim.credentials()["company_db"]]
        record = company.get("SalesTaxCodes", code.external_id) or company.get("VatGroups", code.external_id)
        if "Rate" in record:
            record["Rate"] = Decimal(percent)
        else:
            record["VatGroups_Lines"][-1]["Rate"] = Decimal(percent)


async def test_erp_total_that_differs_goes_to_review_and_is_never_created_twice(
    system: ERPSystem, session_factory: Factory, vault: CredentialVault
) -> None:
    if system not in RATES_ERPS:
        pytest.skip("Xero and NetSuite take the tax amount itself: their total cannot drift from a rate")
    world = await start(system, session_factory, vault)
    code = await _purchase_tax_code(world)
    assert code.rate is not None
    net = Decimal("500.00")
    warm = await _taxed_invoice(world, net, _at_rate(net, code.rate), code.code)
    assert (await export_invoices(world.ctx, world.connection_id, [warm.id])).success_count == 1
    _change_rate(world, code, str(code.rate + 1))  # the cached rate is now stale, within its minutes
    invoice = await _taxed_invoice(world, net, _at_rate(net, code.rate), code.code, number="NC-1002")
    before = bills_in_erp(world.harness)

    report = await export_invoices(world.ctx, world.connection_id, [invoice.id])

    assert report.success_count == 0 and list(report.review) == [invoice.id]
    (error,) = report.errors
    expected = net + _at_rate(net, code.rate + 1)
    assert (error.code, error.field) == ("total_mismatch", "total")
    assert (
        f"bill totals {expected}" in error.message
        and f"invoice totals {net + _at_rate(net, code.rate)}" in error.message
    )
    bill_id = report.review[invoice.id]
    assert bills_in_erp(world.harness) == before + 1
    assert (await invoice_statuses(session_factory, [invoice.id]))[invoice.id] == InvoiceStatus.NEEDS_REVIEW
    linked = {m.smartap_invoice_id for m in await mappings(session_factory, world.connection_id)}
    assert invoice.id not in linked  # never payment-tracked as if it were right
    async with session_factory() as session:
        outbox = await session.scalar(
            select(ERPExportOutbox).where(ERPExportOutbox.smartap_invoice_id == invoice.id)
        )
        assert (
            outbox is not None
            and outbox.erp_invoice_id == bill_id
            and "needs review" in (outbox.last_error or "")
        )
        log = await session.get(ERPSyncLog, report.log_id)
        assert log is not None and any(e.get("code") == "total_mismatch" for e in log.errors)

    scheduled = await export_invoices(world.ctx, world.connection_id)  # the schedule leaves it alone
    assert invoice.id not in scheduled.bills and invoice.id not in scheduled.review
    again = await export_invoices(world.ctx, world.connection_id, [invoice.id])  # asked for: re-checked
    assert list(again.review) == [invoice.id] and again.review[invoice.id] == bill_id
    assert bills_in_erp(world.harness) == before + 1


async def test_reference_data_is_read_once_per_run_not_once_per_step(
    system: ERPSystem, session_factory: Factory, vault: CredentialVault
) -> None:
    world = await start(system, session_factory, vault)
    reads: list[str] = []
    opened = world.ctx.connector

    def counting(connection: Any) -> Any:
        erp = opened(connection)
        for name in ("get_accounts", "get_tax_codes"):
            original = getattr(erp, name)

            async def read(original: Any = original, name: str = name) -> Any:
                reads.append(name)
                return await original()

            setattr(erp, name, read)
        return erp

    world.ctx.connector = counting  # type: ignore[method-assign]
    for _ in range(3):  # three job steps of one run, each its own export call on the worker's context
        invoice = await _taxed_invoice(world, Decimal("100.00"), Decimal("0"), None)
        assert (await export_invoices(world.ctx, world.connection_id, [invoice.id])).success_count == 1
    assert reads == ["get_accounts"]

    world.harness.clock.advance(6 * 60)  # older than the freshness bound: read again, once
    for _ in range(2):
        invoice = await _taxed_invoice(world, Decimal("100.00"), Decimal("0"), None)
        await export_invoices(world.ctx, world.connection_id, [invoice.id])
    assert reads == ["get_accounts", "get_accounts"]
