"""`record_event` writes to the outbox in the caller's transaction: stored iff that transaction commits;
unknown types and data that is not JSON-able as it is are refused before anything is written."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from smartap_erp.db.models import ERPEvent
from smartap_erp.events import EVENT_TYPES, EventType, event_type, record_event
from tests.db import factories


async def _count(session_factory: async_sessionmaker[AsyncSession]) -> int:
    async with session_factory() as session:
        return int(await session.scalar(select(func.count()).select_from(ERPEvent)) or 0)


async def test_an_event_is_stored_when_its_transaction_commits(
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    async with session_factory() as session:
        conn = factories.connection()
        session.add(conn)
        await session.flush()
        event = await record_event(
            session, "invoice.exported", connection_id=conn.id, data={"total": "12.50", "currency": "USD"}
        )
        await session.commit()
    async with session_factory() as session:
        stored = await session.get(ERPEvent, event.id)
        assert stored is not None
        assert stored.type == "invoice.exported"
        assert stored.connection_id == conn.id
        assert stored.data == {"total": "12.50", "currency": "USD"}
        assert stored.dispatched_at is None
        assert stored.occurred_at.tzinfo is not None


async def test_an_event_is_gone_when_its_transaction_rolls_back(
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    async with session_factory() as session:
        await record_event(session, "sync.failed", connection_id=None, data={"error": "boom"})
        await session.flush()  # written, but only inside the transaction
        await session.rollback()
    assert await _count(session_factory) == 0


async def test_unknown_types_and_unserialisable_data_are_refused(
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    async with session_factory() as session:
        with pytest.raises(ValueError, match=r"unknown event type 'invoice\.exportd'.*invoice\.exported"):
            await record_event(session, "invoice.exportd", connection_id=None, data={})
        with pytest.raises(ValueError, match="not JSON-able"):
            await record_event(session, "invoice.exported", connection_id=None, data={"total": Decimal("1")})
        now = dt.datetime.now(dt.UTC)
        with pytest.raises(ValueError, match="not JSON-able"):
            await record_event(session, "invoice.exported", connection_id=None, data={"at": now})
        await session.commit()
    assert await _count(session_factory) == 0


def test_the_event_types_are_the_contract() -> None:
    assert "reconciliation.drift" in EVENT_TYPES
    assert len(EVENT_TYPES) == 12
    assert event_type("bill.voided") is EventType.BILL_VOIDED
