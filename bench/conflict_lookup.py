"""Benchmark (not a test): a page's look-up of its records' open conflicts (`planning.open_conflicts`,
70 ERP ids, as a first import of the ingest benchmark raises a page) in a connection holding many open
conflicts, with and without `ix_erp_conflicts_record` (migration 0024; dropped for the second figure).
Conflicts under the review policy stay open until a person settles them, so the table grows with
every sync, and without the index every page's look-up read all of them.

    .venv/bin/python -m bench.conflict_lookup --conflicts 50000 [--db sqlite postgresql]
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import time
import uuid
from typing import Any

from bench.vendor_import import scratch_engine

NOW = dt.datetime(2024, 6, 1, tzinfo=dt.UTC)
PAGES = 20


async def _seed(sessions: Any, conflicts: int) -> uuid.UUID:
    from cryptography.fernet import Fernet
    from sqlalchemy import insert

    from smartap_erp.db.connections import create_connection
    from smartap_erp.db.models import ERPConflict
    from smartap_erp.db.vault import CredentialVault, KeyRing
    from smartap_erp.domain import ERPSystem
    from smartap_erp.domain.enums import ConflictStatus, ERPEntity

    vault = CredentialVault(KeyRing([Fernet.generate_key()], "bench"))
    async with sessions() as session, session.begin():
        connection = await create_connection(
            session, vault=vault, name="bench", system_type=ERPSystem.QUICKBOOKS, credentials={"a": "b"}
        )
        rows = [
            {
                "id": uuid.uuid4(),
                "connection_id": connection.id,
                "entity_type": ERPEntity.VENDOR,
                "erp_record_id": str(n),
                "smartap_version": {},
                "erp_version": {},
                "status": ConflictStatus.OPEN,
                "created_at": NOW,
                "updated_at": NOW,
            }
            for n in range(conflicts)
        ]
        await session.execute(insert(ERPConflict), rows)
        return connection.id


async def _look_ups(sessions: Any, connection_id: uuid.UUID, backend: str, conflicts: int) -> float:
    """Milliseconds per page look-up, averaged over `PAGES` pages of 70 ids spread over the table."""
    from sqlalchemy import text

    from smartap_erp.domain.enums import ERPEntity
    from smartap_erp.sync.imports.planning import open_conflicts

    async with sessions() as session:
        if backend == "postgresql":
            await session.execute(text("ANALYZE erp_conflicts"))
        started = time.perf_counter()
        for page in range(PAGES):
            ids = [str((page * 1000 + k * 14) % conflicts) for k in range(70)]
            found = (
                await session.execute(open_conflicts(session, connection_id, ERPEntity.VENDOR, ids))
            ).all()
            assert len(found) == len(set(ids)), (len(found), len(set(ids)))
        return (time.perf_counter() - started) / PAGES * 1000


async def run(backend: str, conflicts: int) -> tuple[float, float]:
    from sqlalchemy import text

    from smartap_erp.db.models import Base
    from smartap_erp.db.session import make_session_factory

    async with scratch_engine(backend) as engine:
        async with engine.begin() as conn:
            await conn.run_sync(Base.metadata.create_all)
        sessions = make_session_factory(engine)
        connection_id = await _seed(sessions, conflicts)
        indexed = await _look_ups(sessions, connection_id, backend, conflicts)
        async with sessions() as session, session.begin():
            await session.execute(text("DROP INDEX ix_erp_conflicts_record"))
        return indexed, await _look_ups(sessions, connection_id, backend, conflicts)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--conflicts", type=int, default=50_000)
    parser.add_argument("--db", nargs="+", default=["sqlite", "postgresql"])
    args = parser.parse_args()
    print("db | open conflicts | ms a page, with the index | ms a page, without")
    for backend in args.db:
        indexed, scanned = asyncio.run(run(backend, args.conflicts))
        print(f"{backend} | {args.conflicts} | {indexed:.2f} | {scanned:.2f}", flush=True)


if __name__ == "__main__":
    main()
