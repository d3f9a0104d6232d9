"""The import loop written once for every entity and every ERP: refuse a connection in error, open
the sync log, pick the read window (cursor or full), stream the connector's pages (the next one read
while the current one is written, `prefetch`), apply the field mappings, commit each page in its own
transaction, move the cursor after the last page, and close the log with counts, per-record errors
and the connection's health.

A page the database refuses as a whole (a constraint one record breaks) is retried record by
record, so the bad record is reported with the database's reason and the others are kept; nothing
of a failed record is left half-written. An `ERPAuthError` puts the connection in `error` with a
message a person can act on (`logs.mark_auth_failure`), closes the log and propagates.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import uuid
from collections.abc import AsyncIterable, AsyncIterator, Sequence
from typing import Any, Protocol

from pydantic import BaseModel
from sqlalchemy.exc import DataError, IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from smartap_erp.connectors.base import ERPConnector, LimitedPages
from smartap_erp.connectors.models import RecordPage
from smartap_erp.db.errors import describe_exception
from smartap_erp.db.models import ERPConnection, ERPSyncLog
from smartap_erp.domain.enums import ERPEntity, SyncDirection
from smartap_erp.domain.results import RecordError
from smartap_erp.errors import ERPAuthError
from smartap_erp.mappings.apply import CompiledRule
from smartap_erp.sync.context import SyncContext
from smartap_erp.sync.imports.cursors import ReadWindow, read_window, save_cursor
from smartap_erp.sync.imports.deletions import apply_removals
from smartap_erp.sync.imports.pipeline import write_planned
from smartap_erp.sync.imports.planning import Policy, policy_for
from smartap_erp.sync.imports.prefetch import Prefetched
from smartap_erp.sync.imports.report import ImportReport, PageCounts
from smartap_erp.sync.logs import (
    auth_failure_message,
    finish_log,
    mark_auth_failure,
    start_log,
    usable_connection,
)
from smartap_erp.sync.records import load_rules, map_records

PREFETCH_PAGES = 1  # pages read ahead of the writer: one more page in memory


class EntityImport(Protocol):
    """What differs between entities: how to read pages, and how to write one, in two halves: `plan`
    (read and classify, no write) and `write_plan` (write what was planned), so the next page can be
    planned while this one is written (`pipeline.write_planned`)."""

    entity: ERPEntity

    def pages(self, erp: ERPConnector, since: dt.datetime | None) -> AsyncIterator[RecordPage[Any]]: ...

    async def prepare(self, records: Sequence[Any]) -> Sequence[Any]:
        """Work needed before a page's transaction (e.g. importing vendors that POs name); returns
        what `plan` gets as the page's records (the same records, possibly with what was learnt
        about them: they must iterate as those records, for the one-by-one retry)."""

    async def plan(
        self, session: AsyncSession, connection_id: uuid.UUID, records: Sequence[Any], *, policy: Policy
    ) -> Any: ...

    async def write_plan(
        self, session: AsyncSession, connection_id: uuid.UUID, plan: Any, *, now: dt.datetime
    ) -> PageCounts: ...


def _record_id(record: Any) -> str | None:
    return str(getattr(record, "external_id", "") or "") or None


# Pages written at once on PostgreSQL: 2 was 1.5x faster than 1 for a first import of 20,000 vendors
# (bench/import_ingest.py). SQLite has one writer, and planning beside its write was slower there.
POSTGRES_PAGE_WRITERS = 2


async def _page_writers(ctx: SyncContext) -> int:
    async with ctx.session_factory() as session:
        name = session.get_bind().dialect.name
    return POSTGRES_PAGE_WRITERS if name == "postgresql" else 1


async def commit_page(
    ctx: SyncContext,
    spec: EntityImport,
    connection_id: uuid.UUID,
    records: Sequence[Any],
    policy: Policy,
    plan: Any = None,
) -> PageCounts:
    """One transaction for the page, planned in it unless `plan` (what `spec.plan` decided for the page
    in another transaction) is given; if the database refuses it, one per record to isolate the bad
    one, each planned again."""
    try:
        async with ctx.session_factory() as session, session.begin():
            if plan is None:
                plan = await spec.plan(session, connection_id, records, policy=policy)
            return await spec.write_plan(session, connection_id, plan, now=ctx.now())
    except (IntegrityError, DataError) as exc:
        if len(records) == 1:
            reason = str(exc.orig).strip().splitlines()[0][:300] if exc.orig else type(exc).__name__
            return PageCounts(
                errors=[
                    RecordError(
                        record_id=_record_id(records[0]), message=f"the database refused it: {reason}"
                    )
                ]
            )
    counts = PageCounts()
    for record in records:
        one = await commit_page(ctx, spec, connection_id, [record], policy)
        for name in ("created", "updated", "unchanged", "review", "conflicts", "deactivated"):
            setattr(counts, name, getattr(counts, name) + getattr(one, name))
        counts.errors.extend(one.errors)
    return counts


class ImportRun:
    """One import of one entity for one connection, logged; `erp` reuses an open connector."""

    def __init__(
        self,
        ctx: SyncContext,
        connection_id: uuid.UUID,
        spec: EntityImport,
        *,
        since: dt.datetime | None,
        limit: int | None,
        full: bool,
        triggered_by: str,
        page_writers: int | None = None,
    ) -> None:
        self.ctx, self.connection_id, self.spec = ctx, connection_id, spec
        self.page_writers = page_writers  # None: by the database (`POSTGRES_PAGE_WRITERS`, else 1)
        self.since, self.limit, self.full, self.triggered_by = since, limit, full, triggered_by
        self.report = ImportReport(spec.entity)

    async def run(self, erp: ERPConnector | None = None) -> ImportReport:
        async with self.ctx.session_factory() as session:
            connection = await usable_connection(session, self.connection_id)
            params = {
                "since": self.since.isoformat() if self.since else None,
                "limit": self.limit,
                "full": self.full,
            }
            log = await start_log(
                session,
                connection,
                entity=self.spec.entity,
                direction=SyncDirection.IMPORT,
                params=params,
                triggered_by=self.triggered_by,
                now=self.ctx.now(),
            )
            policy, rules = (
                policy_for(connection, self.spec.entity),
                await load_rules(session, connection.id, self.spec.entity),
            )
            await session.commit()
        self.report.log_id = log.id
        try:
            if erp is not None:
                await self._read(erp, policy, rules)
            else:
                async with self.ctx.connector(connection) as opened:
                    await self._read(opened, policy, rules)
        except ERPAuthError as exc:
            await self._finish(log.id, auth_failure_message(connection.system_type, exc), exc)
            raise
        except Exception as exc:
            await self._finish(log.id, describe_exception(exc)[:1000], exc)  # never SQL or parameters
            raise
        await self._finish(log.id, None, None)
        return self.report

    async def _window(self, erp: ERPConnector) -> ReadWindow:
        if self.since is not None:
            return ReadWindow(self.since, False, "since given by the caller", advances_cursor=False)
        if self.full:
            return ReadWindow(None, True, "full read requested")
        async with self.ctx.session_factory() as fresh:
            return await read_window(
                fresh,
                self.connection_id,
                self.spec.entity,
                erp_now=erp.now(),
                change_window=type(erp).change_window,
            )

    async def _read(self, erp: ERPConnector, policy: Policy, rules: Sequence[CompiledRule]) -> None:
        window = await self._window(erp)
        self.report.full_read, self.report.since = window.full, window.since
        signpost = erp.now()  # taken before reading: changes made during the read are read next time
        # the read stops at `limit` records; a read the limit cut short leaves the cursor where it was
        # the next page is read while this one is written (Prefetched): ERP latency and database overlap
        async with (
            LimitedPages(self.spec.pages(erp, window.since), self.limit) as read,
            Prefetched(read, depth=PREFETCH_PAGES) as ahead,
        ):
            await self._write_pages(ahead, policy, rules)
        if not read.cut:  # records the ERP deleted never come as pages: its removal feed, same window
            await apply_removals(
                self.ctx, erp, self.connection_id, self.spec.entity, window.since, self.report
            )
        if not read.cut and window.advances_cursor:
            async with self.ctx.session_factory() as cursor_session, cursor_session.begin():
                await save_cursor(
                    cursor_session,
                    self.connection_id,
                    self.spec.entity,
                    signpost=signpost,
                    full=window.full,
                    now=self.ctx.now(),
                )

    async def _write_pages(
        self, pages: AsyncIterable[Sequence[Any]], policy: Policy, rules: Sequence[CompiledRule]
    ) -> None:
        """Each page's records mapped, prepared and committed: one after the other, or on PostgreSQL
        planned while earlier pages are written (`pipeline.write_planned`)."""
        spec = self.spec
        writers = self.page_writers or await _page_writers(self.ctx)
        if writers > 1:

            async def plan(records: Sequence[Any]) -> Any:
                async with self.ctx.session_factory() as session:
                    return await spec.plan(session, self.connection_id, records, policy=policy)

            async def commit(records: Sequence[Any], made: Any) -> PageCounts:
                return await commit_page(self.ctx, spec, self.connection_id, records, policy, made)

            prepared = self._prepared(pages, rules)
            await write_planned(prepared, plan, commit, self.report.add, writers=writers)
            return
        async for records in self._prepared(pages, rules):
            self.report.add(await commit_page(self.ctx, spec, self.connection_id, records, policy))

    async def _prepared(
        self, pages: AsyncIterable[Sequence[Any]], rules: Sequence[CompiledRule]
    ) -> AsyncIterator[Sequence[Any]]:
        """Each page's records through the field mappings and `prepare`; records that fail are
        reported, and a page left with none is skipped."""
        async for outcomes in pages:
            records: list[BaseModel] = []
            errors: list[RecordError] = []
            read = [item for item in outcomes if not isinstance(item, RecordError)]
            errors.extend(item for item in outcomes if isinstance(item, RecordError))
            # the page's rules in one sandbox call, off the event loop (a stuck rule waits its deadline)
            for mapped in await asyncio.to_thread(map_records, read, rules) if rules else read:
                (errors if isinstance(mapped, RecordError) else records).append(mapped)
            self.report.errors.extend(errors)
            if records:
                yield await self.spec.prepare(records)

    async def _finish(self, log_id: uuid.UUID, error_message: str | None, failure: Exception | None) -> None:
        report = self.report
        report.error_message = error_message
        async with self.ctx.session_factory() as session, session.begin():
            connection = await session.get(ERPConnection, self.connection_id)
            log = await session.get(ERPSyncLog, log_id)
            assert connection is not None and log is not None
            finish_log(
                log,
                connection,
                total=report.total_count,
                succeeded=report.success_count,
                errors=report.errors,
                now=self.ctx.now(),
                error_message=error_message,
                failure=failure,
            )
            log.sync_params = {**log.sync_params, "result": _summary(report)}
            if isinstance(failure, ERPAuthError):
                mark_auth_failure(connection, failure)
            report.status = log.status


def _summary(report: ImportReport) -> dict[str, Any]:
    return {
        "read": "full" if report.full_read else "incremental",
        "read_since": report.since.isoformat() if report.since else None,
        "created": report.created_count,
        "updated": report.updated_count,
        "unchanged": report.unchanged_count,
        "review": report.review_count,
        "conflicts": report.conflict_count,
        "deactivated": report.deactivated_count,
    }
