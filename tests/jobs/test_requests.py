"""Joining identical pending requests through erp_sync_requests, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import datetime as dt

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from smartap_erp.jobs import requests
from tests.jobs.dbhelpers import add_connection


async def _never(_: str) -> bool:
    return False


async def test_racing_identical_requests_join_one_workflow(
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    cid = await add_connection(session_factory)
    results = await asyncio.gather(
        *(
            requests.claim(session_factory, cid, "sync:vendor", f"wf-{i}", workflow_exists=_never)
            for i in range(5)
        )
    )
    winners = [wid for wid, fresh in results if fresh]
    assert len(winners) == 1
    assert {wid for wid, _ in results} == set(winners)


async def test_a_started_request_lets_the_next_one_queue_anew(
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    cid = await add_connection(session_factory)
    assert await requests.claim(session_factory, cid, "k", "wf-1", workflow_exists=_never) == ("wf-1", True)
    assert await requests.release(session_factory, "wf-1") == 1
    assert await requests.claim(session_factory, cid, "k", "wf-2", workflow_exists=_never) == ("wf-2", True)
    assert await requests.claim(session_factory, cid, "other", "wf-3", workflow_exists=_never) == (
        "wf-3",
        True,
    )


async def test_a_request_whose_workflow_never_got_queued_is_taken_over(
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    cid = await add_connection(session_factory)
    old = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)
    await requests.claim(session_factory, cid, "k", "wf-lost", workflow_exists=_never, now=old)
    later = old + requests.STALE_AFTER + dt.timedelta(seconds=1)
    assert await requests.claim(session_factory, cid, "k", "wf-new", workflow_exists=_never, now=later) == (
        "wf-new",
        True,
    )


async def test_a_request_whose_workflow_already_ended_is_taken_over_at_once(
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    """A job cancelled while queued never runs the step that deletes its row: the next identical
    request must queue a new job, not join the cancelled one."""
    cid = await add_connection(session_factory)
    now = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)

    async def exists(_: str) -> bool:
        return True

    async def ended(wid: str) -> bool:
        return wid == "wf-cancelled"

    await requests.claim(session_factory, cid, "k", "wf-cancelled", workflow_exists=exists, now=now)
    assert await requests.claim(
        session_factory, cid, "k", "wf-next", workflow_exists=exists, workflow_done=ended, now=now
    ) == ("wf-next", True)
    assert await requests.claim(
        session_factory, cid, "k", "wf-third", workflow_exists=exists, workflow_done=ended, now=now
    ) == ("wf-next", False)
