"""The sync-log application functions on SQLite and PostgreSQL (issue 13 item 2): filters by connection,
entity, direction, status, start-time range and text (in error messages, who triggered a run and its
record errors, with `%` and `_` taken literally), pages by cursor that logs written meanwhile do not
shift, by offset, and the detail of one log with its per-record errors."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from smartap_erp.app import connections, logs
from smartap_erp.app.logs import LogFilter
from smartap_erp.db.models import ERPConnection
from smartap_erp.domain import ERPEntity, RecordError, SyncDirection, SyncStatus
from smartap_erp.errors import NotFoundError
from smartap_erp.sync.logs import finish_log, start_log
from tests.app.simulated import T0, SimulatedApp, sim_credentials, simulated_app


@pytest.fixture
def ctx(engine: AsyncEngine, session_factory: async_sessionmaker[AsyncSession]) -> SimulatedApp:
    return simulated_app(engine, session_factory)


async def _connection(ctx: SimulatedApp, name: str) -> uuid.UUID:
    request = connections.ConnectionCreate.model_validate(
        {"system": "xero", "name": name, "credentials": sim_credentials("xero")}
    )
    return (await connections.create_connection(ctx, request)).id


async def _log(
    ctx: SimulatedApp,
    connection_id: uuid.UUID,
    minute: int,
    entity: ERPEntity = ERPEntity.VENDOR,
    *,
    errors: tuple[RecordError, ...] = (),
    stopped: str | None = None,
    by: str = "system",
) -> uuid.UUID:
    direction = SyncDirection.EXPORT if entity is ERPEntity.INVOICE else SyncDirection.IMPORT
    at = T0 + dt.timedelta(minutes=minute)
    async with ctx.sessions() as session:
        connection = await session.get(ERPConnection, connection_id)
        assert connection is not None
        log = await start_log(
            session,
            connection,
            entity=entity,
            direction=direction,
            now=at,
            triggered_by=by,
            params={"n": minute},
        )
        finish_log(
            log,
            connection,
            total=3,
            succeeded=0 if stopped else 3 - len(errors),
            errors=list(errors),
            now=at + dt.timedelta(seconds=4),
            error_message=stopped,
        )
        await session.commit()
        return log.id


async def test_filters(ctx: SimulatedApp) -> None:
    books, other = await _connection(ctx, "Books"), await _connection(ctx, "Other")
    vendors = await _log(ctx, books, 0)
    bad = RecordError(record_id="INV-9", field="vendor", message="vendor 100% not mapped")
    invoices = await _log(ctx, books, 1, ERPEntity.INVOICE, errors=(bad,), by="ap@example.com")
    stopped = await _log(ctx, other, 2, stopped="Xero unreachable")
    await _log(ctx, other, 3, ERPEntity.PURCHASE_ORDER)

    async def ids(**query: object) -> list[uuid.UUID]:
        return [entry.id for entry in (await logs.list_logs(ctx, LogFilter.model_validate(query))).items]

    assert len(await ids()) == 4
    assert await ids(connection="Books") == [invoices, vendors]
    assert await ids(entity="invoice") == [invoices] == await ids(direction="export")
    assert await ids(status="failed") == [stopped] and await ids(status="partial") == [invoices]
    window = {"started_from": T0 + dt.timedelta(minutes=1), "started_before": T0 + dt.timedelta(minutes=3)}
    assert await ids(**window) == [stopped, invoices]
    assert await ids(text="UNREACHABLE") == [stopped]  # the run's message, any case
    assert await ids(text="AP@EXAMPLE") == [invoices]  # who triggered it
    assert await ids(text="inv-9") == [invoices] == await ids(text="100% not")  # its record errors
    assert await ids(text="1_0") == [] and await ids(text="%") == [invoices]  # wildcards are literal
    assert await ids(connection="Books", entity="vendor", status="completed") == [vendors]
    with pytest.raises(ValidationError, match="started_from"):
        LogFilter.model_validate({"started_from": "2024-06-03T12:00:00"})  # naive: ambiguous


async def test_pages_by_cursor_and_by_offset(ctx: SimulatedApp) -> None:
    books = await _connection(ctx, "Books")
    written = [await _log(ctx, books, minute) for minute in range(5)]
    newest_first = written[::-1]

    first = await logs.list_logs(ctx, LogFilter(limit=2))
    assert [e.id for e in first.items] == newest_first[:2] and first.next_cursor is not None
    await _log(ctx, books, 10)  # written while paging: it does not shift the next page
    second = await logs.list_logs(ctx, LogFilter(limit=2, cursor=first.next_cursor))
    assert [e.id for e in second.items] == newest_first[2:4]
    assert second.next_cursor is not None
    last = await logs.list_logs(ctx, LogFilter(limit=2, cursor=second.next_cursor))
    assert [e.id for e in last.items] == newest_first[4:] and last.next_cursor is None

    by_offset = await logs.list_logs(ctx, LogFilter(limit=2, offset=1))
    assert [e.id for e in by_offset.items] == newest_first[:2]  # the new log is first now
    assert by_offset.items[0].record_errors is None  # only when asked

    with pytest.raises(logs.InvalidCursorError, match="start again without it"):
        await logs.list_logs(ctx, LogFilter(cursor="not-a-cursor"))
    with pytest.raises(ValidationError, match="offset or by cursor"):
        LogFilter(offset=1, cursor=first.next_cursor)


async def test_detail_of_one_log(ctx: SimulatedApp) -> None:
    books = await _connection(ctx, "Books")
    errors = (
        RecordError(record_id="INV-9", field="vendor", message="vendor not mapped"),
        RecordError(record_id="INV-10", message="closed period", code="6000"),
    )
    log_id = await _log(ctx, books, 0, ERPEntity.INVOICE, errors=errors)

    detail = await logs.get_log(ctx, str(log_id))

    assert (detail.connection, detail.status, detail.error_count) == ("Books", SyncStatus.PARTIAL, 2)
    assert [e.model_dump() for e in detail.record_errors] == [e.model_dump() for e in errors]
    assert detail.params == {"n": 0} and detail.duration_seconds == 4
    assert detail.started_at == T0 and detail.completed_at == T0 + dt.timedelta(seconds=4)
    listed = await logs.list_logs(ctx, LogFilter(with_record_errors=True))
    assert listed.items[0].record_errors == detail.record_errors
    with pytest.raises(NotFoundError, match="no sync log with id"):
        await logs.get_log(ctx, uuid.uuid4())
    with pytest.raises(NotFoundError, match="is not a sync log id"):
        await logs.get_log(ctx, "nope")
