"""The per-connection run lease (`smartap_erp.jobs.lease`) on SQLite and PostgreSQL, with an injected
clock and sleep: claim, renew, release and expiry rules; claimers racing from separate engines (one
wins, every time); renewal while a run goes on; release at the end, also on failure (issue 12)."""

from __future__ import annotations

import asyncio
import datetime as dt
import uuid

import pytest
from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from smartap_erp.db.models import ERPConnection
from smartap_erp.db.session import make_engine, make_session_factory
from smartap_erp.jobs import lease
from tests.jobs.dbhelpers import add_connection

T0 = dt.datetime(2026, 3, 1, 12, 0, tzinfo=dt.UTC)
MINUTE = dt.timedelta(minutes=1)
Sessions = async_sessionmaker[AsyncSession]


async def _claim(sessions: Sessions, cid: uuid.UUID, holder: str, at: dt.datetime) -> None:
    await lease.claim(sessions, cid, holder, now=at, process=f"{holder}-host/1")


async def test_claim_renew_release_and_expiry(session_factory: Sessions) -> None:
    cid = await add_connection(session_factory)
    await _claim(session_factory, cid, "job A", T0)
    with pytest.raises(lease.ConnectionBusyError) as busy:
        await _claim(session_factory, cid, "job B", T0 + MINUTE)
    assert str(busy.value) == (
        "connection qb is busy: job A on job A-host/1 is running a job on it since 2026-03-01 12:00:00 UTC"
    )

    await _claim(session_factory, cid, "job A", T0 + MINUTE)  # its own lease: renewed, same start
    held = await lease.current(session_factory, cid)
    assert held is not None and (held.acquired_at, held.expires_at) == (T0, T0 + 3 * MINUTE)
    assert await lease.renew(session_factory, cid, "job A", now=T0 + 2 * MINUTE)
    assert not await lease.renew(session_factory, cid, "job B", now=T0 + 2 * MINUTE)

    expiry = T0 + 2 * MINUTE + lease.LEASE_FOR
    with pytest.raises(lease.ConnectionBusyError):
        await _claim(session_factory, cid, "job B", expiry - dt.timedelta(seconds=1))
    await _claim(session_factory, cid, "job B", expiry)  # A stopped renewing: dead, B takes over
    held = await lease.current(session_factory, cid)
    assert held is not None and (held.holder, held.acquired_at) == ("job B", expiry)

    assert not await lease.renew(session_factory, cid, "job A", now=expiry)  # A lost it for good
    assert not await lease.release(session_factory, cid, "job A")  # and cannot free B's
    assert (await lease.current(session_factory, cid)) is not None
    assert await lease.release(session_factory, cid, "job B")
    assert await lease.current(session_factory, cid) is None
    await _claim(session_factory, cid, "job A", expiry)  # free again: anyone may claim it


async def test_leases_are_per_connection_and_go_with_their_connection(session_factory: Sessions) -> None:
    books, xero = (
        await add_connection(session_factory, "books"),
        await add_connection(session_factory, "xero"),
    )
    await _claim(session_factory, books, "job A", T0)
    await _claim(session_factory, xero, "job B", T0)  # another connection: not busy
    async with session_factory() as session, session.begin():
        await session.execute(delete(ERPConnection).where(ERPConnection.id == books))
    assert await lease.current(session_factory, books) is None
    assert await lease.current(session_factory, xero) is not None


@pytest.mark.parametrize("start", ["free", "expired"])
async def test_claimers_racing_from_separate_engines_leave_exactly_one_holder(
    engine: AsyncEngine, session_factory: Sessions, start: str
) -> None:
    url = engine.url.render_as_string(hide_password=False)
    engines = [make_engine(url) for _ in range(4)]
    try:
        for round_ in range(5):
            cid = await add_connection(session_factory, f"qb{round_}")
            if start == "expired":
                await _claim(session_factory, cid, "dead job", T0 - 2 * lease.LEASE_FOR)
            holders = [f"job {n}" for n in range(len(engines))]
            results = await asyncio.gather(
                *(_claim(make_session_factory(e), cid, h, T0) for e, h in zip(engines, holders, strict=True)),
                return_exceptions=True,
            )
            winners = [h for h, r in zip(holders, results, strict=True) if r is None]
            assert len(winners) == 1, results
            losers = [r for r in results if r is not None]
            assert all(isinstance(r, lease.ConnectionBusyError) for r in losers), losers
            assert all(f"busy: {winners[0]} on " in str(r) for r in losers), losers
            held = await lease.current(session_factory, cid)
            assert held is not None and held.holder == winners[0]
    finally:
        for e in engines:
            await e.dispose()


class Ticks:
    """An injected sleep: each call reports itself and waits until the test lets it go."""

    def __init__(self) -> None:
        self.asked: asyncio.Queue[float] = asyncio.Queue()
        self._go: asyncio.Queue[None] = asyncio.Queue()

    async def sleep(self, seconds: float) -> None:
        self.asked.put_nowait(seconds)
        await self._go.get()

    async def tick(self) -> None:
        """Let the sleeper go and wait until it has renewed and sleeps again."""
        self._go.put_nowait(None)
        await self.asked.get()


async def test_a_run_renews_its_lease_while_it_goes_on_and_releases_it_at_the_end(
    session_factory: Sessions,
) -> None:
    cid = await add_connection(session_factory)
    now = [T0]
    ticks = Ticks()
    async with lease.holding(session_factory, cid, "me", clock=lambda: now[0], sleep=ticks.sleep):
        assert await ticks.asked.get() == lease.RENEW_EVERY.total_seconds()
        for _ in range(10):  # 10 renewals: far past the first expiry
            now[0] += lease.RENEW_EVERY
            await ticks.tick()
        held = await lease.current(session_factory, cid)
        assert held is not None and held.expires_at == now[0] + lease.LEASE_FOR
        with pytest.raises(lease.ConnectionBusyError):
            await _claim(session_factory, cid, "job B", now[0] + lease.LEASE_FOR - dt.timedelta(seconds=1))
    assert await lease.current(session_factory, cid) is None


async def test_a_failed_run_releases_its_lease_and_a_busy_one_claims_nothing(
    session_factory: Sessions,
) -> None:
    cid = await add_connection(session_factory)
    with pytest.raises(RuntimeError, match="boom"):
        async with lease.holding(session_factory, cid, "me", clock=lambda: T0):
            raise RuntimeError("boom")
    assert await lease.current(session_factory, cid) is None

    await _claim(session_factory, cid, "job A", T0)
    ran = False
    with pytest.raises(lease.ConnectionBusyError):
        async with lease.holding(session_factory, cid, "me", clock=lambda: T0):
            ran = True
    assert not ran
    held = await lease.current(session_factory, cid)
    assert held is not None and held.holder == "job A"  # the refused run did not free A's lease
