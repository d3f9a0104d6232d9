"""`sync.imports.bulk`: one statement per page on PostgreSQL (arrays through unnest), executemany
elsewhere; either way rows read back as the ORM would have stored them. SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal

import pytest
from sqlalchemy import Table, select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from smartap_erp.db.models import ERPVendorLink, Vendor
from smartap_erp.sync.imports.bulk import among, insert_rows, upsert_rows
from tests.jobs.dbhelpers import add_connection

VENDORS: Table = Vendor.__table__  # type: ignore[assignment]
MAPPINGS: Table = ERPVendorLink.__table__  # type: ignore[assignment]
NOW = dt.datetime(2024, 6, 3, 12, 0, tzinfo=dt.UTC)
Factory = async_sessionmaker[AsyncSession]


def _vendor(n: int, **changes: object) -> dict[str, object]:
    return {
        "id": uuid.UUID(int=n),
        "name": f"Vendor {n}",
        "normalized_name": f"vendor {n}",
        "email": None,
        "address": {"city": "Lyon", "postal_code": f"{n:05d}"},
        "tax_id": f"T{n}",
        "is_active": True,
        "created_at": NOW,
        "updated_at": NOW,
        **changes,
    }


async def test_upsert_inserts_then_updates_and_increments(session_factory: Factory) -> None:
    update = ["name", "address", "updated_at"]
    later = NOW + dt.timedelta(hours=1)
    connection_id = await add_connection(session_factory, "bulk")
    async with session_factory() as session, session.begin():
        await upsert_rows(session, VENDORS, ["id"], update, [_vendor(n) for n in range(1, 4)])
        await upsert_rows(
            session, VENDORS, ["id"], update, [_vendor(2, name="Renamed", address=None, updated_at=later)]
        )
        link = {
            "id": uuid.uuid4(),
            "connection_id": connection_id,
            "smartap_vendor_id": uuid.UUID(int=1),
            "erp_vendor_id": "E1",
            "first_synced_at": NOW,
            "last_synced_at": NOW,
            "sync_count": 1,
            "is_active": True,
            "synced_hash": "a" * 64,
            "created_at": NOW,
            "updated_at": NOW,
        }
        keys, refreshed = ["connection_id", "erp_vendor_id"], ["last_synced_at", "synced_hash"]
        for synced_hash in ("a" * 64, "b" * 64):
            row = {**link, "id": uuid.uuid4(), "synced_hash": synced_hash, "last_synced_at": later}
            await upsert_rows(session, MAPPINGS, keys, refreshed, [row], increment=["sync_count"])
    async with session_factory() as session:
        vendors = {v.id.int: v for v in await session.scalars(select(Vendor))}
        mapping = (await session.scalars(select(ERPVendorLink))).one()
    assert sorted(vendors) == [1, 2, 3]
    assert (vendors[1].name, vendors[1].address, vendors[1].updated_at) == (
        "Vendor 1",
        {"city": "Lyon", "postal_code": "00001"},
        NOW,
    )
    assert (vendors[2].name, vendors[2].address, vendors[2].updated_at) == ("Renamed", None, later)
    assert vendors[2].tax_id == "T2" and vendors[2].created_at == NOW  # columns not updated are kept
    assert (mapping.sync_count, mapping.synced_hash, mapping.last_synced_at) == (2, "b" * 64, later)


async def test_insert_rows_and_among(session_factory: Factory) -> None:
    async with session_factory() as session, session.begin():
        await insert_rows(session, VENDORS, [_vendor(n) for n in range(1, 6)])
        await insert_rows(session, VENDORS, [])
    async with session_factory() as session:
        found = await session.scalars(
            select(Vendor.tax_id).where(among(session, Vendor.tax_id, ["T2", "T4", "T9"]))
        )
        assert sorted(found) == ["T2", "T4"]
        ids = await session.scalars(select(Vendor.name).where(among(session, Vendor.id, [uuid.UUID(int=5)])))
        assert list(ids) == ["Vendor 5"]


async def test_a_naive_datetime_is_refused_and_a_duplicate_key_is_an_integrity_error(
    session_factory: Factory,
) -> None:
    async with session_factory() as session:
        with pytest.raises(Exception, match="naive datetime"):
            await insert_rows(session, VENDORS, [_vendor(1, created_at=dt.datetime(2024, 1, 1))])  # noqa: DTZ001
    async with session_factory() as session:
        with pytest.raises(IntegrityError):
            await insert_rows(session, VENDORS, [_vendor(1), _vendor(1)])


async def test_values_are_stored_as_the_orm_stores_them(session_factory: Factory) -> None:
    """Each value goes through its type's processor for the dialect (not the generic type's): a
    datetime on SQLite is the ORM's text, a PO line's quantity keeps all its digits on PostgreSQL."""
    from smartap_erp.db.models import PurchaseOrder, PurchaseOrderLine
    from smartap_erp.domain.enums import PurchaseOrderStatus

    odd = NOW.replace(second=7)  # no microseconds: sqlite3's own adapter would write another text
    async with session_factory() as session, session.begin():
        session.add(Vendor(**_vendor(1, updated_at=odd)))
        await session.flush()
        await insert_rows(session, VENDORS, [_vendor(2, updated_at=odd)])
        order = PurchaseOrder(
            id=uuid.uuid4(),
            vendor_id=uuid.UUID(int=1),
            po_number="PO-1",
            currency="EUR",
            total_minor=100,
            status=PurchaseOrderStatus.OPEN,
        )
        session.add(order)
        await session.flush()
        precise = Decimal("12345678901234.567891")  # 20 digits: more than a float holds
        line = {
            "id": uuid.uuid4(),
            "purchase_order_id": order.id,
            "line_number": 1,
            "description": "x",
            "quantity": precise,
            "unit_price": precise,
            "amount_minor": 1,
        }
        await insert_rows(session, PurchaseOrderLine.__table__, [line])  # type: ignore[arg-type]
    async with session_factory() as session:
        stored = (await session.execute(text("SELECT id, CAST(updated_at AS TEXT) FROM vendors"))).all()
        quantity = await session.scalar(select(PurchaseOrderLine.quantity))
    texts = {row[1] for row in stored}
    assert len(stored) == 2 and len(texts) == 1, texts  # the ORM's row and the bulk row: one format
    if session.get_bind().dialect.name == "postgresql":  # SQLite keeps NUMERIC as a float (8 bytes)
        assert quantity == precise
