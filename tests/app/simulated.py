"""An `AppContext` for application-layer tests whose connections can reach in-process simulators:
`SimulatedApp.sync_context()` returns one `SyncContext` that `tests.sync.harness.ErpHarness` registers
its simulators with (transport, clock, sleep), on a ticking clock instead of the wall clock."""

from __future__ import annotations

import datetime as dt
import importlib
from dataclasses import dataclass, field
from typing import Any

from cryptography.fernet import Fernet
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from erpsim.core import SimConfig
from smartap_erp.app.context import AppContext
from smartap_erp.settings import Settings
from smartap_erp.sync.context import SyncContext

T0 = dt.datetime(2024, 6, 3, 12, 0, tzinfo=dt.UTC)


class Ticker:
    """A clock that moves one second per reading."""

    def __init__(self, start: dt.datetime = T0) -> None:
        self.at = start

    def __call__(self) -> dt.datetime:
        self.at += dt.timedelta(seconds=1)
        return self.at


@dataclass
class SimulatedApp(AppContext):
    sync: SyncContext | None = field(default=None)

    def sync_context(self) -> SyncContext:
        assert self.sync is not None
        return self.sync


def simulated_app(
    engine: AsyncEngine, sessions: async_sessionmaker[AsyncSession], key: bytes | None = None
) -> SimulatedApp:
    settings = Settings(
        database_url=engine.url.render_as_string(hide_password=False),
        smartap_encryption_keys=(key or Fernet.generate_key()).decode(),
    )
    app = SimulatedApp(settings, engine, sessions)
    app.sync = SyncContext(sessions, app.vault, settings, now=Ticker())
    return app


def sim_credentials(system: str) -> dict[str, Any]:
    """Credentials that pass `system`'s field checks: its simulator's own."""
    module = importlib.import_module(f"erpsim.{system}")
    return dict(module.create_app(SimConfig()).state.sim.credentials())
