"""Rate-limit slots in the database: processes with their own engines share one budget per ERP key,
claims are atomic, a slot is held until one window after its request finished, and a dead process
cannot close a key for good."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from smartap_erp.db import ratelimits
from smartap_erp.db.models import RateLimitSlot
from smartap_erp.db.ratelimits import DatabaseSlotStore, database_limiters
from smartap_erp.db.session import make_engine
from smartap_erp.domain.enums import ERPSystem
from smartap_erp.errors import ERPQuotaExhaustedError
from smartap_erp.http import HeaderQuota, ManualClock, RateLimiter, RateLimitPolicy, Window, build_client
from smartap_erp.http.slots import Held

KEY = "quickbooks:realm:9130"
T0 = 1_700_000_000.0
THREE_A_MINUTE = RateLimitPolicy(windows=(Window(3, 60.0, "minute"),), concurrency=2)


@pytest.fixture
async def other_engine(engine: AsyncEngine) -> AsyncIterator[AsyncEngine]:
    """A second engine on the same database: what another process would have."""
    second = make_engine(engine.url.render_as_string(hide_password=False))
    yield second
    await second.dispose()


async def test_two_processes_share_one_key(engine: AsyncEngine, other_engine: AsyncEngine) -> None:
    one, two = DatabaseSlotStore(engine), DatabaseSlotStore(other_engine)
    (_, a), (_, b) = (
        await one.try_claim(KEY, THREE_A_MINUTE, T0),
        await two.try_claim(KEY, THREE_A_MINUTE, T0),
    )
    assert a is not None and b is not None
    verdict, none = await one.try_claim(KEY, THREE_A_MINUTE, T0)
    assert (verdict.granted, verdict.wait, verdict.window, none) == (False, None, None, None)  # 2 in flight
    await two.finish(KEY, b, T0 + 0.4)
    _, c = await one.try_claim(KEY, THREE_A_MINUTE, T0 + 0.5)
    await one.finish(KEY, a, T0 + 0.5)
    assert c is not None
    # The minute window is full; the first slot frees up one minute after its request finished.
    verdict, _ = await two.try_claim(KEY, THREE_A_MINUTE, T0 + 1)
    assert (verdict.granted, verdict.window) == (False, THREE_A_MINUTE.windows[0])
    assert verdict.wait == pytest.approx(59.4)
    assert (await two.try_claim(KEY, THREE_A_MINUTE, T0 + 60.4))[1] is not None
    assert (await one.try_claim("quickbooks:realm:other", THREE_A_MINUTE, T0 + 1))[1] is not None


async def test_racing_claims_never_overbook(engine: AsyncEngine, other_engine: AsyncEngine) -> None:
    policy = RateLimitPolicy(windows=(Window(5, 60.0, "minute"),))
    stores = [DatabaseSlotStore(engine), DatabaseSlotStore(other_engine)]
    results = await asyncio.gather(*(stores[n % 2].try_claim(KEY, policy, T0) for n in range(20)))
    assert sum(1 for _, slot in results if slot is not None) == 5


async def test_a_dead_process_slot_goes_stale(engine: AsyncEngine) -> None:
    store = DatabaseSlotStore(engine, stale_after=900.0)
    policy = RateLimitPolicy(windows=(Window(1, 1.0, "second"),), concurrency=1)
    assert (await store.try_claim(KEY, policy, T0))[1] is not None  # never finished: the process died
    assert (await store.try_claim(KEY, policy, T0 + 600))[1] is None
    assert (await store.try_claim(KEY, policy, T0 + 900.5))[1] is None  # stale at +900, held 1 s more
    assert (await store.try_claim(KEY, policy, T0 + 901.5))[1] is not None


async def test_slots_no_window_counts_are_deleted(
    engine: AsyncEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(ratelimits, "PRUNE_EVERY", 1)
    store = DatabaseSlotStore(engine)
    policy = RateLimitPolicy(windows=(Window(100, 10.0, "ten"),))
    for n in range(5):
        _, slot = await store.try_claim(KEY, policy, T0 + n * 10)
        assert slot is not None
        await store.finish(KEY, slot, T0 + n * 10)
    async with engine.connect() as conn:
        left = (await conn.execute(select(func.count()).select_from(RateLimitSlot))).scalar_one()
    assert left == 2  # the last two still count (one window + the 1 s pruning margin)
    assert await store.held(KEY, policy, T0 + 41) == [Held(sent=T0 + 40, done=T0 + 40)]


async def test_limiters_of_one_database_wait_for_each_other(
    engine: AsyncEngine, other_engine: AsyncEngine
) -> None:
    clock = ManualClock(T0)
    policy = RateLimitPolicy(windows=(Window(2, 60.0, "minute"),))
    limiters = [
        RateLimiter(policy, key=KEY, erp=ERPSystem.QUICKBOOKS, clock=clock, sleep=clock.sleep, store=store)
        for store in (DatabaseSlotStore(engine), DatabaseSlotStore(other_engine))
    ]
    await limiters[0].release(await limiters[0].acquire())
    clock.advance(5)
    await limiters[1].release(await limiters[1].acquire())
    await limiters[1].release(await limiters[1].acquire())  # waits for the first slot: 55 s
    assert clock.sleeps == [pytest.approx(55.0)]


async def test_quota_headers_and_daily_limits_are_shared(
    engine: AsyncEngine, other_engine: AsyncEngine
) -> None:
    clock = ManualClock(T0)
    policy = RateLimitPolicy(
        windows=(Window(5000, 86_400.0, "day", when_full="raise"),),
        header_quotas=(HeaderQuota("X-DayLimit-Remaining", "day"),),
    )

    def client(store: DatabaseSlotStore) -> httpx.AsyncClient:
        limiter = RateLimiter(
            policy, key="xero:tenant:T", erp=ERPSystem.XERO, clock=clock, sleep=clock.sleep, store=store
        )
        answer = httpx.Response(200, headers={"X-DayLimit-Remaining": "0"}, json={})
        return build_client(
            "https://api.xero.test/", transport=httpx.MockTransport(lambda r: answer), limiters=[limiter]
        )

    async with client(DatabaseSlotStore(engine)) as one, client(DatabaseSlotStore(other_engine)) as two:
        await one.get("Invoices")  # Xero says the day is spent (by other apps of the tenant)
        with pytest.raises(ERPQuotaExhaustedError, match="day quota of 5000 calls"):
            await two.get("Invoices")


async def test_one_registry_per_database(engine: AsyncEngine, other_engine: AsyncEngine) -> None:
    assert database_limiters(engine) is database_limiters(engine)
    assert database_limiters(engine) is not database_limiters(other_engine)
    assert isinstance(database_limiters(engine).store, DatabaseSlotStore)
