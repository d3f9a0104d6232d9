"""Storing and approving invoices on SQLite and PostgreSQL: the good invoices of a file are kept
whatever the bad ones contain, a bounded number of statements does a big file, duplicates inside a
file are refused, and a number shared by two vendors is never approved blindly."""

from __future__ import annotations

import datetime as dt
import json
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from sqlalchemy import event, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from smartap_erp.app.syncs import export_invoice_ids as _invoice_ids
from smartap_erp.db.models import Invoice, InvoiceLine, Vendor
from smartap_erp.domain.enums import InvoiceStatus
from smartap_erp.errors import ConfigurationError
from smartap_erp.invoices.approval import approve_invoices, resolve_references
from smartap_erp.invoices.csvfile import parse_csv
from smartap_erp.invoices.files import parse_json
from smartap_erp.invoices.store import store_invoices

HEADER = "invoice_number,vendor,invoice_date,currency,tax_amount,description,amount,account_code\n"
NOW = dt.datetime(2024, 6, 1, 12, tzinfo=dt.UTC)


async def add_vendors(session: AsyncSession, *names_and_tax_ids: tuple[str, str]) -> list[Vendor]:
    vendors = [
        Vendor(name=name, normalized_name=name.lower(), tax_id=tax_id) for name, tax_id in names_and_tax_ids
    ]
    session.add_all(vendors)
    await session.commit()
    return vendors


@contextmanager
def counted_statements(engine: AsyncEngine) -> Iterator[list[str]]:
    statements: list[str] = []

    def record(*args: Any) -> None:
        statements.append(args[2])

    event.listen(engine.sync_engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", record)


async def test_bad_rows_never_cost_the_good_ones(session_factory: async_sessionmaker[AsyncSession]) -> None:
    huge = "x" * (130 * 1024)
    parsed = parse_csv(
        HEADER
        + "G-1,Acme,2024-05-01,USD,1.00,Paper,10.00,6000\n"
        + "B-1,Acme,2024-05-01,USD,,Pa\x00per,10.00,6000\n"
        + "B-2,Acme,2024-05-01,USD,,Paper,1e20,6000\n"
        + "B-3,Acme,2024-05-01,USD,,Paper,1e309,6000\n"
        + f"B-4,Acme,2024-05-01,USD,,{huge},10.00,6000\n"
        + "B-5,Acme,2024-05-01,USD,-25.00,Paper,-25.00,6000\n"
        + "G-2,acme,2024-05-02,KWD,,Dates,1.125,6000\n"
    )
    async with session_factory() as session:
        await add_vendors(session, ("Acme", "12-3"))
        report = await store_invoices(session, parsed.invoices)
        await session.commit()
    assert [p.where for p in parsed.problems] == ["row 3", "row 4", "row 5", "row 6", "row 7"]
    assert report.problems == [] and report.rows == 2
    async with session_factory() as session:
        stored = (
            await session.execute(
                select(Invoice.invoice_number, Invoice.total_minor).order_by(Invoice.invoice_number)
            )
        ).all()
    assert [tuple(row) for row in stored] == [("G-1", 1100), ("G-2", 1125)]
    async with session_factory() as session:
        query = select(InvoiceLine).join(Invoice).where(Invoice.invoice_number == "G-1")
        [line] = (await session.scalars(query)).all()
        invoice = await session.scalar(select(Invoice).where(Invoice.invoice_number == "G-1"))
    assert (line.line_number, line.amount_minor, line.quantity, line.account_code) == (1, 1000, 1, "6000")
    assert invoice is not None and invoice.status == InvoiceStatus.PENDING_APPROVAL
    assert (invoice.subtotal_minor, invoice.tax_minor, invoice.created_at.tzinfo) == (1000, 100, dt.UTC)


async def test_the_same_invoice_twice_in_a_file_is_refused_whole(
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    def invoice(vendor: str, amount: str) -> dict[str, Any]:
        return {
            "invoice_number": "D-1",
            "vendor": vendor,
            "invoice_date": "2024-05-01",
            "currency": "USD",
            "lines": [{"amount": amount, "account_code": "6000"}],
        }

    parsed = parse_json(json.dumps([invoice("Acme", "1"), invoice("12-3", "2"), invoice("Beta", "3")]))
    async with session_factory() as session:
        await add_vendors(session, ("Acme", "12-3"), ("Beta", "45-6"))
        report = await store_invoices(session, parsed.invoices)
        await session.commit()
        numbers = (
            await session.scalars(select(Vendor.name).join(Invoice, Invoice.vendor_id == Vendor.id))
        ).all()
    assert numbers == ["Beta"]
    assert [(p.where, p.reason) for p in report.problems] == [
        ("invoice 1", "duplicate in the file"),
        ("invoice 2", "duplicate in the file"),
    ]
    assert (
        "invoice D-1 of Acme appears 2 times in the file (starting at invoice 1, invoice 2)"
        in report.problems[0].message
    )


async def test_a_big_file_costs_a_bounded_number_of_statements(
    engine: AsyncEngine, session_factory: async_sessionmaker[AsyncSession]
) -> None:
    rows = "".join(
        f"N-{i},{'Acme' if i % 2 else '12-3'},2024-05-01,USD,,Paper,{i}.00,6000\n" for i in range(1, 1201)
    )
    parsed = parse_csv(HEADER + rows)
    advanced: list[int] = []
    async with session_factory() as session:
        await add_vendors(session, ("Acme", "12-3"))
        with counted_statements(engine) as statements:
            report = await store_invoices(session, parsed.invoices, progress=advanced.append)
            await session.commit()
    assert len(report.created) == 1200 and not report.problems
    assert sum(advanced) == 1200 and len(advanced) == 3
    assert len(statements) <= 12, statements  # was four statements per invoice


async def test_a_number_two_vendors_share_is_ambiguous(
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    parsed = parse_csv(
        HEADER
        + "NC-2004,Acme,2024-05-01,USD,,Paper,10.00,6000\n"
        + "NC-2004,Beta,2024-05-01,USD,,Chairs,99.00,6000\n"
        + "NC-2005,Beta,2024-05-01,USD,,Desk,5.00,6000\n"
    )
    async with session_factory() as session:
        await add_vendors(session, ("Acme", "12-3"), ("Beta", "45-6"))
        await store_invoices(session, parsed.invoices)
        await session.commit()
        ambiguous = await resolve_references(session, ["NC-2004", "NC-2005"])
        assert ambiguous.invoices[0].invoice_number == "NC-2005"
        [error] = ambiguous.errors
        assert error.startswith("NC-2004 is ambiguous, 2 invoices have this number: Acme (id ")
        assert "; Beta (id " in error and "name one by its id, or add --vendor NAME" in error

        by_vendor = await resolve_references(session, ["NC-2004"], vendor="45-6")
        [beta] = by_vendor.invoices
        assert (beta.vendor, by_vendor.errors) == ("Beta", [])
        by_id = await resolve_references(session, [str(beta.id)])
        assert by_id.invoices == [beta]
        unknown = await resolve_references(session, ["NC-2004"], vendor="Nobody")
        assert unknown.errors == ["no SmartAP vendor is named or has the tax id 'Nobody'"]
        missing = await resolve_references(session, ["NC-9"], vendor="acme")
        assert missing.errors[0].startswith("NC-9: no invoice of vendor 'acme' has this number or id")

        report = await approve_invoices(session, invoices=[beta], approved_by="ann", now=NOW)
        await session.commit()
        assert report.approved == [beta.id]
        statuses = dict((await session.execute(select(Invoice.id, Invoice.status))).all())
    assert sorted(statuses.values()) == sorted(
        [InvoiceStatus.APPROVED, InvoiceStatus.PENDING_APPROVAL, InvoiceStatus.PENDING_APPROVAL]
    )
    assert statuses[beta.id] == InvoiceStatus.APPROVED


async def test_approving_all_is_a_bulk_update_and_reports_what_was_not_pending(
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    rows = "".join(f"A-{i},Acme,2024-05-01,USD,,Paper,1.00,6000\n" for i in range(1, 1102))
    async with session_factory() as session:
        await add_vendors(session, ("Acme", "12-3"))
        await store_invoices(session, parse_csv(HEADER + rows).invoices)
        await session.commit()
        everything = await approve_invoices(session, invoices=None, approved_by="ann", now=NOW)
        await session.commit()
        assert len(set(everything.approved)) == 1101
        again = await resolve_references(session, ["A-7"])
        repeat = await approve_invoices(session, invoices=again.invoices, approved_by="bob", now=NOW)
        await session.commit()
        approved_by = set((await session.scalars(select(Invoice.approved_by))).all())
        approved_at = await session.scalar(select(Invoice.approved_at).limit(1))
    assert repeat.approved == [] and [c.invoice_number for c in repeat.not_pending] == ["A-7"]
    assert approved_by == {"ann"} and approved_at == NOW


async def test_export_by_number_names_the_candidates_and_takes_a_vendor(
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    """`export NC-2004 --connection C` resolves numbers the way `invoices approve` does."""
    parsed = parse_csv(
        HEADER
        + "NC-2004,Acme,2024-05-01,USD,,Paper,10.00,6000\n"
        + "NC-2004,Beta,2024-05-01,USD,,Chairs,99.00,6000\n"
    )
    async with session_factory() as session:
        await add_vendors(session, ("Acme", "12-3"), ("Beta", "45-6"))
        await store_invoices(session, parsed.invoices)
        await session.commit()
        with pytest.raises(ConfigurationError) as caught:
            await _invoice_ids(session, ["NC-2004"], None)
        assert "NC-2004 is ambiguous" in str(caught.value) and "Beta (id " in str(caught.value)
        [beta_id] = await _invoice_ids(session, ["NC-2004"], "Beta")
        beta = await session.get(Invoice, uuid.UUID(beta_id))
        assert beta is not None and beta.subtotal_minor == 9900
