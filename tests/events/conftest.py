"""Fixtures for outbound events: an `AppContext` on the test database with a fresh vault key, and a
`Receiver`, an httpx MockTransport that records each request and answers from a script (where real
HTTP adds nothing; tests/events/test_live_receiver.py uses a real loopback server)."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field

import httpx
import pytest
from cryptography.fernet import Fernet
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from smartap_erp.app.context import AppContext
from smartap_erp.settings import Settings

T0 = dt.datetime(2026, 3, 1, 12, tzinfo=dt.UTC)
URL = "https://smartap.example/hooks/erp"


@pytest.fixture
def ctx(engine: AsyncEngine, session_factory: async_sessionmaker[AsyncSession]) -> AppContext:
    settings = Settings(
        database_url=engine.url.render_as_string(hide_password=False),
        smartap_encryption_keys=Fernet.generate_key().decode(),
    )
    return AppContext(settings, engine, session_factory)


Answer = Callable[[httpx.Request], httpx.Response]


@dataclass
class Receiver:
    """Answers 200 unless `script` holds answers (status codes or exceptions), used in order."""

    script: list[int | Exception] = field(default_factory=list)
    requests: list[httpx.Request] = field(default_factory=list)

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        answer = self.script.pop(0) if self.script else 200
        if isinstance(answer, Exception):
            raise answer
        return httpx.Response(answer, text="" if answer < 300 else f"receiver says {answer}")


@pytest.fixture
def receiver() -> Receiver:
    return Receiver()


@pytest.fixture
async def client(receiver: Receiver) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(transport=httpx.MockTransport(receiver)) as opened:
        yield opened
