"""What a job step does, behind one small interface: `SyncOperations` (import one entity, export a
batch of invoices, sync payment statuses), implemented by `ServiceOperations` on the sync engine's
`ERPSyncService`. Every method returns a small JSON-able summary (counts and status), never records:
DBOS stores step outputs in its system database.

`JobEnvironment` opens, per event loop, the engine and `SyncContext` the steps use; workflows receive
only ids and cursors, and credentials are read from the vault inside the step. Its vault re-reads the
key list before each job and whenever a ciphertext matches no key it holds, so a `keys rotate` done
while a worker runs does not break that worker.
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

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from smartap_erp.connectors.base import ERPConnector
from smartap_erp.credentials import ConnectorCredentials
from smartap_erp.db.models import ERPConnection, Invoice
from smartap_erp.db.session import engine_from_settings, make_session_factory
from smartap_erp.db.vault import CredentialVault, KeyRing, load_keyring
from smartap_erp.domain.enums import ERPEntity
from smartap_erp.domain.results import RecordError
from smartap_erp.errors import ConfigurationError, CredentialDecryptionError
from smartap_erp.jobs.config import JobOptions
from smartap_erp.settings import Settings, load_settings
from smartap_erp.sync.context import SyncContext
from smartap_erp.sync.export.run import ExportReport
from smartap_erp.sync.imports.report import ImportReport
from smartap_erp.sync.payments.run import PaymentSyncReport
from smartap_erp.sync.service import ERPSyncService

Summary = dict[str, Any]  # JSON values only: DBOS stores it (workflows add up its counts)
Report = ImportReport | ExportReport | PaymentSyncReport


class SyncOperations(Protocol):
    async def import_entity(
        self,
        connection_id: uuid.UUID,
        entity: str,
        since: dt.datetime | None,
        limit: int | None,
        by: str,
        *,
        full: bool = False,
    ) -> Summary: ...

    async def export_invoices(
        self, connection_id: uuid.UUID, invoice_ids: Sequence[uuid.UUID] | None, by: str
    ) -> Summary: ...

    async def sync_payment_statuses(self, connection_id: uuid.UUID, by: str) -> Summary: ...


COUNTS = (
    "total_count",
    "success_count",
    "error_count",
    "created_count",
    "updated_count",
    "review_count",
    "conflict_count",
)
MAX_ERRORS = 10  # record errors carried in a summary; the sync log keeps them all


def summarise(result: Report) -> Summary:
    """Counts, status, log id, stop reason and first record errors of an engine's report (the
    counts a report has: `review_count` is an import's, `created_count` an import's or export's)."""
    summary: Summary = {"status": str(result.status)}
    for name in COUNTS:
        value = getattr(result, name, None)
        if value is not None:
            summary[name] = int(value)
    for name in ("log_id", "error_message"):
        value = getattr(result, name, None)
        if value is not None:
            summary[name] = str(value)
    if result.errors:
        summary["errors"] = [_one_line(error) for error in result.errors[:MAX_ERRORS]]
    return summary


def _one_line(error: RecordError) -> str:
    """ "RECORD: message" for a record error, or the message alone if it names its record."""
    message = error.message[:300]
    record = error.record_id
    if not record or message.startswith("invoice ") or record in message:
        return message
    return f"{record}: {message}"


class ServiceOperations:
    """`SyncOperations` on the sync engine's `ERPSyncService`."""

    def __init__(self, ctx: SyncContext) -> None:
        self._service = ERPSyncService(ctx)

    async def import_entity(
        self,
        connection_id: uuid.UUID,
        entity: str,
        since: dt.datetime | None,
        limit: int | None,
        by: str,
        *,
        full: bool = False,
    ) -> Summary:
        kind = ERPEntity(entity)
        if kind is ERPEntity.VENDOR:
            method = self._service.import_vendors
        elif kind is ERPEntity.PURCHASE_ORDER:
            method = self._service.import_purchase_orders
        else:
            raise ConfigurationError(f"cannot import {entity}: only vendor and purchase_order are imported")
        return summarise(await method(connection_id, since=since, limit=limit, full=full, triggered_by=by))

    async def export_invoices(
        self, connection_id: uuid.UUID, invoice_ids: Sequence[uuid.UUID] | None, by: str
    ) -> Summary:
        ids = list(invoice_ids) if invoice_ids is not None else None
        report = await self._service.export_invoices(connection_id, ids, triggered_by=by)
        summary = summarise(report)
        if summary.get("errors"):
            summary["errors"] = await self._by_number(list(report.errors)[:MAX_ERRORS])
        return summary

    async def _by_number(self, errors: Sequence[RecordError]) -> list[str]:
        """Export errors named by invoice number, as people know them (the engine keys them by id)."""
        ids = [uuid.UUID(str(e.record_id)) for e in errors if _is_uuid(e.record_id)]
        async with self._service.ctx.session_factory() as session:
            rows = await session.execute(
                select(Invoice.id, Invoice.invoice_number).where(Invoice.id.in_(ids))
            )
            numbers = {str(invoice_id): number for invoice_id, number in rows}
        named = []
        for error in errors:
            line = error.message[:300]
            number = numbers.get(str(error.record_id))
            if not line.startswith("invoice "):
                line = f"invoice {number}: {line}" if number else _one_line(error)
            named.append(line)
        return named

    async def sync_payment_statuses(self, connection_id: uuid.UUID, by: str) -> Summary:
        return summarise(await self._service.sync_payment_statuses(connection_id, triggered_by=by))


def _is_uuid(value: str | None) -> bool:
    try:
        uuid.UUID(str(value))
    except ValueError:
        return False
    return True


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


class ReloadingVault(CredentialVault):
    """A vault that re-reads its keys (`reload`, and once more whenever a ciphertext matches none of
    the keys it holds): the key file, or `SMARTAP_ENCRYPTION_KEYS` from the environment and `.env`."""

    def __init__(self, load: Callable[[], KeyRing]) -> None:
        self._load = load
        super().__init__(load())

    def reload(self) -> None:
        CredentialVault.__init__(self, self._load())

    def decrypt(self, ciphertext: bytes, *, owner: str = "credentials") -> ConnectorCredentials:
        try:
            return super().decrypt(ciphertext, owner=owner)
        except CredentialDecryptionError:
            self.reload()
            return super().decrypt(ciphertext, owner=owner)

    def rotate(self, ciphertext: bytes, *, owner: str = "credentials") -> bytes:
        try:
            return super().rotate(ciphertext, owner=owner)
        except CredentialDecryptionError:
            self.reload()
            return super().rotate(ciphertext, owner=owner)


def fresh_keyring(settings: Settings) -> KeyRing:
    """The keys as they are now: the variable re-read from the environment and `.env` (a running
    process keeps its start-up settings otherwise), or the key file re-read."""
    try:
        keys = load_settings().smartap_encryption_keys
    except ConfigurationError:
        keys = None  # an unreadable .env now
    if keys is None:  # keep the keys we started with (given explicitly, or none: the key file)
        keys = settings.smartap_encryption_keys
    return load_keyring(settings.model_copy(update={"smartap_encryption_keys": keys}))


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
        self._vault: ReloadingVault | None = None

    def _state(self) -> _LoopState:
        key = id(asyncio.get_running_loop())
        state = self._states.get(key)
        if state is None:
            engine = engine_from_settings(self.settings)
            if self._vault is None:
                self._vault = ReloadingVault(lambda: fresh_keyring(self.settings))
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

    def refresh_keys(self) -> None:
        """Re-read the key list (called before each job)."""
        if self._vault is not None:
            self._vault.reload()

    @property
    def sessions(self) -> async_sessionmaker[AsyncSession]:
        return self._state().ctx.session_factory

    @property
    def operations(self) -> SyncOperations:
        return self._state().operations

    @property
    def sync_context(self) -> SyncContext:
        """This loop's `SyncContext` (a reconciliation report reads through it, `jobs.reconcile`)."""
        return self._state().ctx

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
