"""The unique constraints of the seed's mappings, and aware-UTC datetimes, hold on both databases."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError, StatementError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from smartap_erp.db.models import ERPConnection, ERPInvoiceLink, ERPVendorLink, Vendor
from tests.db import factories

Factory = async_sessionmaker[AsyncSession]


async def _insert(factory: Factory, *rows: Any) -> None:
    async with factory() as session:
        session.add_all(rows)
        await session.commit()


async def _rejected(factory: Factory, *rows: Any) -> bool:
    try:
        await _insert(factory, *rows)
    except IntegrityError:
        return True
    return False


async def test_vendor_mapping_unique_constraints(session_factory: Factory) -> None:
    conn, other_conn = factories.connection("QBO"), factories.connection("Xero")
    acme, globex = factories.vendor("Acme"), factories.vendor("Globex")
    await _insert(session_factory, conn, other_conn, acme, globex)  # no FKs between these
    await _insert(
        session_factory,
        ERPVendorLink(connection_id=conn.id, smartap_vendor_id=acme.id, erp_vendor_id="56"),
    )

    # (connection, smartap vendor) is unique: the seed's constraint.
    assert await _rejected(
        session_factory,
        ERPVendorLink(connection_id=conn.id, smartap_vendor_id=acme.id, erp_vendor_id="57"),
    )
    # (connection, ERP vendor) is unique too: one ERP vendor cannot stand for two SmartAP vendors.
    assert await _rejected(
        session_factory,
        ERPVendorLink(connection_id=conn.id, smartap_vendor_id=globex.id, erp_vendor_id="56"),
    )
    # The same pair on another connection is fine.
    await _insert(
        session_factory,
        ERPVendorLink(connection_id=other_conn.id, smartap_vendor_id=acme.id, erp_vendor_id="56"),
    )
    async with session_factory() as session:
        assert await session.scalar(select(func.count()).select_from(ERPVendorLink)) == 2


async def test_invoice_mapping_unique_constraints(session_factory: Factory) -> None:
    conn, acme = factories.connection(), factories.vendor()
    first, second = factories.invoice(acme.id, "INV-1"), factories.invoice(acme.id, "INV-2")
    await _insert(session_factory, conn, acme)
    await _insert(session_factory, first, second)
    await _insert(
        session_factory,
        ERPInvoiceLink(
            connection_id=conn.id, smartap_invoice_id=first.id, erp_invoice_id="145", payment_amount=0
        ),
    )

    assert await _rejected(
        session_factory,
        ERPInvoiceLink(connection_id=conn.id, smartap_invoice_id=first.id, erp_invoice_id="146"),
    )
    assert await _rejected(
        session_factory,
        ERPInvoiceLink(connection_id=conn.id, smartap_invoice_id=second.id, erp_invoice_id="145"),
    )
    # A vendor cannot have two invoices with one number (duplicate-invoice guard).
    assert await _rejected(session_factory, factories.invoice(acme.id, "INV-1"))


async def test_datetimes_come_back_aware_utc(session_factory: Factory) -> None:
    conn = factories.connection()
    conn.last_sync_at = dt.datetime(2026, 3, 1, 12, 30, tzinfo=dt.timezone(dt.timedelta(hours=-5)))
    await _insert(session_factory, conn)
    async with session_factory() as session:
        stored = await session.get(ERPConnection, conn.id)
        assert stored is not None
        assert stored.last_sync_at == dt.datetime(2026, 3, 1, 17, 30, tzinfo=dt.UTC)
        assert stored.last_sync_at.tzinfo == dt.UTC
        assert stored.created_at.tzinfo == dt.UTC


async def test_naive_datetime_refused(session_factory: Factory) -> None:
    conn = factories.connection()
    conn.last_sync_at = dt.datetime(2026, 3, 1, 12, 30)  # noqa: DTZ001 - the point of the test
    with pytest.raises(StatementError, match="naive datetime"):
        await _insert(session_factory, conn)


async def test_unknown_enum_value_refused(session_factory: Factory) -> None:
    with pytest.raises((StatementError, LookupError), match="bogus"):
        await _insert(
            session_factory,
            Vendor(name="x", normalized_name="x"),
            ERPConnection(name="n", system_type="bogus", credentials=b"x"),
        )
