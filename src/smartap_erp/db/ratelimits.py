"""Rate-limit slots in the database, so every process of one ERP key (API server, workers, CLI) shares
one budget.

`DatabaseSlotStore` is the `SlotStore` of `smartap_erp.http.slots` on SQLAlchemy (SQLite and
PostgreSQL alike). A claim is one short transaction: update the key's row in `erp_rate_limit_keys`
first (that takes its row lock on PostgreSQL, the write lock on SQLite, so claims on one key are
serialised across processes and no two can both see the last free slot), read the key's held slots,
decide with `evaluate` and insert the new slot, then commit. Finishing a slot is one update of its
`done_at`. Slots that no window counts any more are deleted now and then by the claims themselves.
Clocks: slots carry the limiter clock's Unix seconds, so processes on different hosts need synced
clocks (NTP); skew between hosts loosens the bound by that much. `database_limiters` gives the one
`LimiterRegistry` per engine that `open_connector` hands to every connector.
"""

from __future__ import annotations

import weakref

from sqlalchemy import Row, and_, delete, insert, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession, async_sessionmaker

from smartap_erp.db.models.ratelimit import RateLimitKey, RateLimitSlot
from smartap_erp.http.ratelimit import LimiterRegistry, RateLimitPolicy
from smartap_erp.http.slots import STALE_AFTER, EntryFn, Held, Verdict, evaluate, horizon

Key, Slot = RateLimitKey, RateLimitSlot
PRUNE_EVERY = 50  # claims per store between deletions of slots no window counts any more


class DatabaseSlotStore:
    """Slots of every key in `erp_rate_limit_slots`, shared by all processes using the database."""

    shared = True

    def __init__(self, engine: AsyncEngine, *, stale_after: float = STALE_AFTER) -> None:
        self.engine = engine
        self.stale_after = stale_after
        self._claims = 0

    async def try_claim(self, key: str, policy: RateLimitPolicy, now: float) -> tuple[Verdict, int | None]:
        async with self.engine.connect() as conn:
            await _lock(conn, key)
            verdict = evaluate(policy, await self._held(conn, key, policy, now), now, self.stale_after)
            if not verdict.granted:
                await conn.rollback()
                return verdict, None
            inserted = await conn.execute(insert(Slot).values(key=key, sent_at=now).returning(Slot.id))
            slot = int(inserted.scalar_one())
            self._claims += 1
            if self._claims % PRUNE_EVERY == 0:
                await self._prune(conn, key, policy, now)
            await conn.commit()
        return verdict, slot

    async def finish(self, key: str, slot: int, now: float) -> None:
        async with self.engine.begin() as conn:
            await conn.execute(update(Slot).where(Slot.id == slot).values(done_at=now))

    async def record(self, key: str, policy: RateLimitPolicy, entry_for: EntryFn, now: float) -> None:
        async with self.engine.begin() as conn:
            await _lock(conn, key)
            entry = entry_for(await self._held(conn, key, policy, now))
            if entry is not None:
                await conn.execute(
                    insert(Slot).values(
                        key=key,
                        sent_at=entry.sent,
                        done_at=entry.done,
                        window_name=entry.window,
                        weight=entry.weight,
                    )
                )

    async def held(self, key: str, policy: RateLimitPolicy, now: float) -> list[Held]:
        """The slots `key` holds at `now` (for tests and diagnostics)."""
        async with self.engine.connect() as conn:
            return await self._held(conn, key, policy, now)

    async def _held(self, conn: AsyncConnection, key: str, policy: RateLimitPolicy, now: float) -> list[Held]:
        since = now - horizon(policy)
        rows = await conn.execute(
            select(Slot.sent_at, Slot.done_at, Slot.window_name, Slot.weight).where(
                Slot.key == key, or_(Slot.done_at.is_(None), Slot.done_at >= since)
            )
        )
        return [_held(row) for row in rows]

    async def _prune(self, conn: AsyncConnection, key: str, policy: RateLimitPolicy, now: float) -> None:
        since = now - horizon(policy) - 1.0
        finished = and_(Slot.done_at.is_not(None), Slot.done_at < since)
        abandoned = and_(Slot.done_at.is_(None), Slot.sent_at < since - self.stale_after)
        await conn.execute(delete(Slot).where(Slot.key == key, or_(finished, abandoned)))


async def _lock(conn: AsyncConnection, key: str) -> None:
    """Update the key's row first thing in the transaction: claims on one key queue up behind it."""
    bump = update(Key).where(Key.key == key).values(claims=Key.claims + 1)
    if (await conn.execute(bump)).rowcount:
        return
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    await conn.execute(dialect.insert(Key).values(key=key, claims=0).on_conflict_do_nothing())
    await conn.execute(bump)


def _held(row: Row[float, float | None, str | None, int]) -> Held:
    return Held(sent=row.sent_at, done=row.done_at, window=row.window_name, weight=row.weight)


_registries: weakref.WeakKeyDictionary[AsyncEngine, LimiterRegistry] = weakref.WeakKeyDictionary()


def database_limiters(source: AsyncEngine | async_sessionmaker[AsyncSession]) -> LimiterRegistry:
    """The registry whose limiters keep their slots in this database (one per engine)."""
    engine = source if isinstance(source, AsyncEngine) else source.kw["bind"]
    if engine not in _registries:
        _registries[engine] = LimiterRegistry(DatabaseSlotStore(engine))
    return _registries[engine]
