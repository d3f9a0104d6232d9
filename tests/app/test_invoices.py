"""The invoices application functions on SQLite and PostgreSQL: import (a list, a file) with the result
of every refused row, approval that never guesses between invoices sharing a number, the filtered and
limited list, and the sync status of one invoice across connections (issue 13 item 2)."""

from __future__ import annotations

import datetime as dt
import json
import uuid
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from smartap_erp.app import invoices
from smartap_erp.app.context import AppContext
from smartap_erp.db.models import ERPExportOutbox, ERPInvoiceLink, Invoice, Vendor
from smartap_erp.db.models.erp import ExportState
from smartap_erp.domain.enums import InvoiceStatus, PaymentStatus
from smartap_erp.errors import ConfigurationError, NotFoundError
from smartap_erp.invoices.schema import InvoiceInput
from smartap_erp.settings import Settings
from tests.jobs.dbhelpers import add_connection

NOW = dt.datetime(2026, 3, 1, 12, tzinfo=dt.UTC)
HEADER = "invoice_number,vendor,invoice_date,currency,tax_amount,description,amount,account_code\n"


@pytest.fixture
async def ctx(engine: AsyncEngine, session_factory: async_sessionmaker[AsyncSession]) -> AppContext:
    settings = Settings(database_url=engine.url.render_as_string(hide_password=False))
    async with session_factory() as session:
        for name, tax_id in (("Acme Paper", "12-3456789"), ("Beta Office", "98-7654321")):
            session.add(Vendor(name=name, normalized_name=name.lower(), tax_id=tax_id))
        await session.commit()
    return AppContext(settings, engine, session_factory)


def invoice(number: str, vendor: str = "Acme Paper", amount: str = "10.00", day: int = 1) -> InvoiceInput:
    return InvoiceInput.model_validate(
        {
            "invoice_number": number,
            "vendor": vendor,
            "invoice_date": f"2024-05-0{day}",
            "currency": "USD",
            "lines": [{"description": "Paper", "amount": amount, "account_code": "6000"}],
        }
    )


async def test_a_list_import_stores_the_good_invoices_and_names_each_refused_one(ctx: AppContext) -> None:
    items = [
        invoice("A-1"),
        invoice("X-1", vendor="Nobody Ltd"),
        invoice("A-1"),
        invoice("B-1", "98-7654321"),
    ]

    result = await invoices.import_invoices(ctx, items, with_invoices=True)

    assert result.imported == 1 and result.imported_rows == 1
    assert [(p.where, p.reason) for p in result.problems] == [
        ("invoice 1", "duplicate in the file"),
        ("invoice 2", "vendor"),
        ("invoice 3", "duplicate in the file"),
    ]
    assert "Nobody Ltd" in str(result.problems[1]) and result.reasons == {
        "duplicate in the file": 2,
        "vendor": 1,
    }
    assert result.invoices is not None
    [stored] = result.invoices
    assert (stored.vendor, stored.total.amount, stored.total.currency) == (
        "Beta Office",
        Decimal("10.00"),
        "USD",
    )
    served = json.loads(result.model_dump_json())  # what an API sends: money as exact text, never a float
    assert (
        served["invoices"][0]["total"] == {"amount": "10.00", "currency": "USD"} and served["imported"] == 1
    )

    again = await invoices.import_invoices(ctx, [invoice("B-1", "Beta Office")])
    assert again.imported == 0 and again.problems[0].reason == "already imported"


async def test_a_file_import_reports_rows_and_an_unreadable_file_is_a_configuration_error(
    ctx: AppContext, tmp_path: Path
) -> None:
    path = tmp_path / "mixed.csv"
    path.write_text(
        HEADER
        + "G-1,Acme Paper,2024-05-01,USD,1.00,Paper,10.00,6000\n"
        + "G-1,Acme Paper,2024-05-01,USD,1.00,Toner,5.00,6000\n"
        + "BAD-1,Acme Paper,2024-05-01,XYZ,,Paper,10.00,6000\n"
    )
    advanced: list[int] = []

    parsed = invoices.read_file(path)
    result = await invoices.import_file(ctx, parsed, path.name, progress=advanced.append)

    assert (result.imported, result.imported_rows) == (1, 2)  # one invoice from two rows
    assert [p.where for p in result.problems] == ["row 4"] and "XYZ" in result.problems[0].message
    assert sum(advanced) == len(parsed.invoices)
    (tmp_path / "latin1.csv").write_bytes(
        (HEADER + "C-1,Caf\u00e9,2024-05-01,USD,,x,1,6000\n").encode("latin-1")
    )
    with pytest.raises(ConfigurationError, match="not UTF-8"):
        invoices.read_file(tmp_path / "latin1.csv")


async def test_approval_refuses_a_shared_number_until_a_vendor_or_id_picks_one(ctx: AppContext) -> None:
    await invoices.import_invoices(ctx, [invoice("NC-1"), invoice("NC-1", "Beta Office"), invoice("B-7")])

    with pytest.raises(invoices.InvoiceReferenceError) as caught:
        await invoices.approve(ctx, invoices.ApprovalRequest(references=["NC-1", "NOPE"], approved_by="ann"))
    assert len(caught.value.problems) == 2
    assert caught.value.problems[0].startswith(
        "NC-1 is ambiguous, 2 invoices have this number: Acme Paper (id "
    )
    assert caught.value.problems[1].startswith("NOPE: no invoice has this number")
    assert isinstance(caught.value, NotFoundError)
    pending = await invoices.list_invoices(ctx, invoices.InvoiceFilter(status=InvoiceStatus.PENDING_APPROVAL))
    assert pending.total == 3  # nothing was approved

    picked = await invoices.approve(
        ctx,
        invoices.ApprovalRequest(references=["NC-1"], vendor="beta office", approved_by="ann"),
        with_invoices=True,
        now=NOW,
    )
    assert [(i.vendor, i.status) for i in picked.invoices or []] == [("Beta Office", InvoiceStatus.APPROVED)]
    again = await invoices.approve(
        ctx, invoices.ApprovalRequest(references=[str(picked.approved[0])], approved_by="b")
    )
    assert again.approved == [] and [c.status for c in again.not_pending] == [InvoiceStatus.APPROVED]

    rest = await invoices.approve(ctx, invoices.ApprovalRequest(approved_by="ann"), now=NOW)
    assert len(rest.approved) == 2
    async with ctx.sessions() as session:
        stored = await session.get(Invoice, rest.approved[0])
        assert stored is not None and stored.approved_by == "ann" and stored.approved_at == NOW
    with pytest.raises(ConfigurationError, match="vendor narrows invoice numbers"):
        await invoices.approve(ctx, invoices.ApprovalRequest(vendor="Acme Paper", approved_by="ann"))


async def test_the_list_filters_limits_and_counts(ctx: AppContext) -> None:
    await invoices.import_invoices(
        ctx, [invoice(f"L-{d}", day=d) for d in (1, 2, 3)] + [invoice("B-1", "Beta Office")]
    )

    newest = await invoices.list_invoices(ctx, invoices.InvoiceFilter(vendor="Acme Paper", limit=2))
    assert [i.invoice_number for i in newest.invoices] == ["L-3", "L-2"] and newest.total == 3
    everything = await invoices.list_invoices(ctx, invoices.InvoiceFilter())
    assert everything.total == 4 and len(everything.invoices) == 4
    approved = await invoices.list_invoices(ctx, invoices.InvoiceFilter(status=InvoiceStatus.APPROVED))
    assert approved.invoices == [] and approved.total == 0
    with pytest.raises(NotFoundError, match="no SmartAP vendor is named or has the tax id 'Gamma'"):
        await invoices.list_invoices(ctx, invoices.InvoiceFilter(vendor="Gamma"))


async def test_status_follows_an_invoice_from_not_synced_to_paid_or_failed(ctx: AppContext) -> None:
    result = await invoices.import_invoices(ctx, [invoice("S-1", amount="100.00"), invoice("S-2")])
    first, second = result.invoice_ids
    qb = await add_connection(ctx.sessions, "qb")
    xero = await add_connection(ctx.sessions, "xero")

    fresh = await invoices.invoice_status(ctx, "S-1")
    assert (fresh.state, fresh.exports, fresh.invoice.id) == (invoices.SyncState.NOT_SYNCED, [], first)

    async with ctx.sessions() as session:
        session.add(ERPExportOutbox(connection_id=qb, smartap_invoice_id=first, idempotency_key="k1"))
        session.add(
            ERPExportOutbox(
                connection_id=xero,
                smartap_invoice_id=second,
                idempotency_key="k2",
                state=ExportState.FAILED,
                last_error="account 6000 is archived",
            )
        )
        await session.commit()
    queued = await invoices.invoice_status(ctx, str(first))
    assert queued.state is invoices.SyncState.QUEUED and queued.exports[0].connection == "qb"
    failed = await invoices.invoice_status(ctx, "S-2", vendor="Acme Paper")
    assert failed.state is invoices.SyncState.FAILED and failed.exports[0].error == "account 6000 is archived"

    async with ctx.sessions() as session:
        session.add(
            ERPInvoiceLink(
                connection_id=qb,
                smartap_invoice_id=first,
                erp_invoice_id="BILL-77",
                erp_invoice_number="S-1",
                exported_at=NOW,
                payment_status=PaymentStatus.PARTIAL,
                payment_amount=4050,
                payment_currency="USD",
                payment_synced_at=NOW,
            )
        )
        await session.commit()
    synced = await invoices.invoice_status(ctx, "S-1")
    [export] = synced.exports
    assert synced.state is invoices.SyncState.SYNCED and (export.bill_id, export.error) == ("BILL-77", None)
    assert export.paid == invoices.Money(amount=Decimal("40.50"), currency="USD")
    assert export.payment_status is PaymentStatus.PARTIAL and export.exported_at == NOW

    async with ctx.sessions() as session:
        stored = await session.get(Invoice, first)
        assert stored is not None
        stored.status = InvoiceStatus.NEEDS_REVIEW
        await session.commit()
    assert (await invoices.invoice_status(ctx, "S-1")).state is invoices.SyncState.NEEDS_REVIEW
    with pytest.raises(invoices.InvoiceReferenceError, match="no invoice has this number"):
        await invoices.invoice_status(ctx, str(uuid.uuid4()))
