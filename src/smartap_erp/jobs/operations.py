"""What a job step does, behind one small interface: `SyncOperations` (import one entity, export a
batch of invoices, sync payment statuses), implemented by `ServiceOperations` on the sync engine's
`ERPSyncService`. Every method returns a small JSON-able summary (counts and status), never records:
DBOS stores step outputs in its system database.

`JobEnvironment` opens, per event loop, the engine and `SyncContext` the steps use; workflows receive
only ids and cursors, and credentials are read from the vault inside the step.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import importlib
import os
import signal
import uuid
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from smartap_erp.connectors.base import ERPConnector
from smartap_erp.db.models import ERPConnection
from smartap_erp.db.session import engine_from_settings, make_session_factory
from smartap_erp.db.vault import CredentialVault, load_keyring
from smartap_erp.jobs.config import JobOptions
from smartap_erp.settings import Settings
from smartap_erp.sync.context import SyncContext

Summary = dict[str, Any]
ENTITY_METHODS = {"vendor": "import_vendors", "purchase_order": "import_purchase_orders"}


class SyncOperations(Protocol):
    async def import_entity(
        self, connection_id: uuid.UUID, entity: str, since: dt.datetime | None, limit: int | None, by: str
    ) -> Summary: ...

    async def export_invoices(
        self, connection_id: uuid.UUID, invoice_ids: Sequence[uuid.UUID] | None, by: str
    ) -> Summary: ...

    async def sync_payment_statuses(self, connection_id: uuid.UUID, by: str) -> Summary: ...


def summarise(result: Any) -> Summary:
    """Counts and status of a SyncResult or a report, whatever its exact class."""
    if isinstance(result, dict):
        return {k: v for k, v in result.items() if isinstance(v, str | int | float | bool | type(None))}
    summary: Summary = {}
    for name in ("status", "total_count", "success_count", "error_count", "created_count", "updated_count"):
        value = getattr(result, name, None)
        if value is not None:
            summary[name] = str(value) if name == "status" else int(value)
    return summary


class ServiceOperations:
    """`SyncOperations` on the sync engine (smartap_erp.sync.service, imported on first use)."""

    def __init__(self, ctx: SyncContext) -> None:
        from smartap_erp.sync.service import ERPSyncService  # lands with the sync engine (issue 8)

        self._service = ERPSyncService(ctx)

    async def import_entity(
        self, connection_id: uuid.UUID, entity: str, since: dt.datetime | None, limit: int | None, by: str
    ) -> Summary:
        method = getattr(self._service, ENTITY_METHODS[entity])
        return summarise(await method(connection_id, since=since, limit=limit, triggered_by=by))

    async def export_invoices(
        self, connection_id: uuid.UUID, invoice_ids: Sequence[uuid.UUID] | None, by: str
    ) -> Summary:
        ids = list(invoice_ids) if invoice_ids is not None else None
        return summarise(await self._service.export_invoices(connection_id, ids, triggered_by=by))

    async def sync_payment_statuses(self, connection_id: uuid.UUID, by: str) -> Summary:
        return summarise(await self._service.sync_payment_statuses(connection_id, triggered_by=by))


@dataclass
class HookedSyncContext(SyncContext):
    """A SyncContext whose connectors SIGKILL the process after the Nth call of one method (test hook
    `SMARTAP_JOBS_TEST_KILL_AT=METHOD:N`, e.g. `export_invoices:1` or `iter_vendors:3` pages)."""

    kill_at: str = ""
    _calls: dict[str, int] = field(default_factory=dict)

    def connector(self, connection: ERPConnection) -> ERPConnector:
        erp = super().connector(connection)
        method, _, count = self.kill_at.partition(":")
        original = getattr(erp, method)
        limit = int(count or 1)

        def tick() -> None:
            self._calls[method] = self._calls.get(method, 0) + 1
            if self._calls[method] >= limit:
                os.kill(os.getpid(), signal.SIGKILL)

        if method.startswith("iter_"):

            async def pages(*args: Any, **kwargs: Any) -> AsyncIterator[Any]:
                async for page in original(*args, **kwargs):
                    yield page
                    tick()

            setattr(erp, method, pages)
        else:

            async def call(*args: Any, **kwargs: Any) -> Any:
                result = await original(*args, **kwargs)
                tick()
                return result

            setattr(erp, method, call)
        return erp


@dataclass
class _LoopState:
    engine: AsyncEngine
    ctx: SyncContext
    operations: SyncOperations


class JobEnvironment:
    """Per process: settings and options; per event loop: the engine, SyncContext and operations."""

    def __init__(self, settings: Settings, options: JobOptions) -> None:
        self.settings = settings
        self.options = options
        self._states: dict[int, _LoopState] = {}
        self._vault: CredentialVault | None = None

    def _state(self) -> _LoopState:
        key = id(asyncio.get_running_loop())
        state = self._states.get(key)
        if state is None:
            engine = engine_from_settings(self.settings)
            if self._vault is None:
                self._vault = CredentialVault(load_keyring(self.settings))
            ctx = self._context(make_session_factory(engine), self._vault)
            state = _LoopState(engine, ctx, self._operations(ctx))
            self._states[key] = state
        return state

    def _context(self, sessions: async_sessionmaker[AsyncSession], vault: CredentialVault) -> SyncContext:
        if self.options.kill_at:
            return HookedSyncContext(sessions, vault, self.settings, kill_at=self.options.kill_at)
        return SyncContext(sessions, vault, self.settings)

    def _operations(self, ctx: SyncContext) -> SyncOperations:
        if self.options.operations:
            module, _, name = self.options.operations.partition(":")
            factory: Callable[[SyncContext], SyncOperations] = getattr(importlib.import_module(module), name)
            return factory(ctx)
        return ServiceOperations(ctx)

    @property
    def sessions(self) -> async_sessionmaker[AsyncSession]:
        return self._state().ctx.session_factory

    @property
    def operations(self) -> SyncOperations:
        return self._state().operations

    async def close(self) -> None:
        for state in self._states.values():
            await state.engine.dispose()
        self._states.clear()


_environment: JobEnvironment | None = None


def install(environment: JobEnvironment) -> None:
    global _environment
    _environment = environment


def environment() -> JobEnvironment:
    if _environment is None:
        raise RuntimeError("no JobEnvironment installed: workflows run inside `smartap-erp worker`")
    return _environment
