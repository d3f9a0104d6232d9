"""Each imported page looks up the open conflicts of its records (`planning.open_conflicts`): it finds
exactly those (open, this connection, this entity), and it finds them by record through
`ix_erp_conflicts_record` (migration 0024) instead of reading every conflict of the connection, which
grow with every sync. SQLite and PostgreSQL, each database's own plan of the very statement."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from sqlalchemy import insert, text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from smartap_erp.db.models import ERPConflict
from smartap_erp.domain.enums import ConflictStatus, ERPEntity
from smartap_erp.sync.imports.planning import open_conflicts
from tests.jobs.dbhelpers import add_connection

NOW = dt.datetime(2024, 6, 3, 12, 0, tzinfo=dt.UTC)
Factory = async_sessionmaker[AsyncSession]


def _conflict(connection_id: uuid.UUID, erp_id: str, **fields: Any) -> dict[str, Any]:
    return {
        "id": uuid.uuid4(),
        "connection_id": connection_id,
        "entity_type": ERPEntity.VENDOR,
        "erp_record_id": erp_id,
        "smartap_version": {},
        "erp_version": {},
        "status": ConflictStatus.OPEN,
        "created_at": NOW,
        "updated_at": NOW,
        **fields,
    }


async def _seed(session_factory: Factory) -> tuple[uuid.UUID, dict[str, uuid.UUID]]:
    mine, other = (
        await add_connection(session_factory, "mine"),
        await add_connection(session_factory, "other"),
    )
    rows = [_conflict(mine, f"V{n}") for n in range(300)]  # many conflicts of the connection
    rows += [
        _conflict(mine, "A"),
        _conflict(mine, "B", status=ConflictStatus.RESOLVED),
        _conflict(mine, "C", entity_type=ERPEntity.PURCHASE_ORDER),
        _conflict(other, "A"),
    ]
    async with session_factory() as session, session.begin():
        await session.execute(insert(ERPConflict), rows)
    return mine, {row["erp_record_id"]: row["id"] for row in rows[:301]}


async def test_finds_the_open_conflicts_of_the_records_only(session_factory: Factory) -> None:
    mine, ids = await _seed(session_factory)
    async with session_factory() as session:
        query = open_conflicts(session, mine, ERPEntity.VENDOR, ["A", "B", "C", "V7", "missing"])
        found = {row.erp_record_id: row.id for row in await session.execute(query)}
    assert found == {"A": ids["A"], "V7": ids["V7"]}


async def test_the_lookup_goes_through_the_record_index(backend: str, session_factory: Factory) -> None:
    mine, _ = await _seed(session_factory)
    async with session_factory() as session:
        if backend == "postgresql":
            await session.execute(text("ANALYZE erp_conflicts"))
            await session.execute(text("SET LOCAL enable_seqscan = off"))  # 300 rows fit in a few pages
        query = open_conflicts(session, mine, ERPEntity.VENDOR, ["A", "V7"])
        sql = query.compile(dialect=session.get_bind().dialect, compile_kwargs={"literal_binds": True})
        prefix = "EXPLAIN QUERY PLAN " if backend == "sqlite" else "EXPLAIN "
        plan = (await session.execute(text(prefix + str(sql)))).all()
    described = " ".join(str(part) for row in plan for part in row)
    assert "ix_erp_conflicts_record" in described, described
