"""The connections screen (`/ui/connections`) and a connection's page (`/ui/connections/{id}`): each
connection with its status badge (active, error, pending, or paused when its scheduled syncs are
off), its health (what is wrong, the last failed run linked to its sync log), last and next
scheduled sync, and its actions. Operators may test a connection (the company it reaches, or the
ERP's refusal) and sync it now (a job queued for the workers as the API queues it; the page says so
when no worker is alive); admins may pause and resume its scheduled syncs and delete it (after a
confirmation page). Editing lives in `connections_edit`; reconnecting by OAuth belongs to the wizard.

Test and sync answer with the page itself and what happened; the other actions redirect back to the
page they were sent from (`back`) with a `done` code the page turns into its message.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from typing import Literal
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from smartap_erp.app import connection_health, connections, logs, syncs
from smartap_erp.app.connection_health import ConnectionHealth, RecentError
from smartap_erp.app.connections import ConnectionView
from smartap_erp.app.context import AppContext
from smartap_erp.app.users import Role, UserInfo
from smartap_erp.domain.enums import ConnectionStatus, SyncStatus
from smartap_erp.errors import NotFoundError, SmartAPError
from smartap_erp.jobs.heartbeat import no_worker_message
from smartap_erp.settings import Settings
from smartap_erp.sync.error_kinds import ErrorKind
from smartap_erp.ui.security import Admin, CheckedForm, Operator, Viewer
from smartap_erp.ui.templating import render

router = APIRouter(include_in_schema=False)

LAST_RUNS = 10  # runs a connection's page lists
OAUTH_SYSTEMS = frozenset({"quickbooks", "xero"})  # reconnected by the OAuth round trip (the wizard)
_DONE = {
    "paused": "Scheduled syncs of {name} are paused; Sync now still runs one.",
    "resumed": "Scheduled syncs of {name} run again.",
    "saved": "{name} is saved.",
    "saved_credentials": "{name} is saved with its new credentials: test it to make it active again.",
}


@dataclass(frozen=True)
class Notice:
    """What an action did, shown above the page: `tone` ok, warn or error."""

    tone: Literal["ok", "warn", "error"]
    message: str
    link: tuple[str, str] | None = None  # (href, text)


@dataclass(frozen=True)
class Row:
    """One connection as the screen shows it."""

    connection: ConnectionView
    badge: str
    health: ConnectionHealth
    last_error: RecentError | None  # the newest failed or partial run
    current: bool  # that run is the newest run (nothing succeeded since)
    next_at: dt.datetime | None
    next_note: str  # why there is no next sync
    reconnect: str  # where "Reconnect" leads


def badge(connection: ConnectionView) -> str:
    """error (syncs stopped until someone acts), pending (waiting for a first successful test, e.g. a
    setup wizard not finished; said before paused, which it usually also is), paused (scheduled syncs
    off: `auto_sync`, as the API's pause sets it), else active."""
    if connection.status == ConnectionStatus.ERROR:
        return "error"
    if connection.status == ConnectionStatus.PENDING:  # e.g. a setup wizard not finished (auto sync off)
        return "pending"
    if not connection.auto_sync:
        return "paused"
    if connection.status == ConnectionStatus.ACTIVE:
        return "active"
    return "pending"


def next_sync(
    connection: ConnectionView, settings: Settings, now: dt.datetime
) -> tuple[dt.datetime | None, str]:
    """When the scheduler will sync next, or why it will not. The scheduler's tick queues one sync per
    interval slot counted from the epoch (`jobs.schedules.due_jobs`), so the next one is at the start
    of the next slot; a connection in error or paused is skipped, as is everything when
    ERP_SYNC_ENABLED is false."""
    if not settings.erp_sync_enabled:
        return None, "scheduler off (ERP_SYNC_ENABLED=false)"
    if connection.status == ConnectionStatus.ERROR:
        return None, "stopped until the error is fixed"
    if not connection.auto_sync:
        return None, "paused"
    interval = connection.interval_minutes * 60
    slot = int(now.timestamp() // interval) + 1
    return dt.datetime.fromtimestamp(slot * interval, dt.UTC), ""


def reconnect_href(connection: ConnectionView) -> str:
    """OAuth ERPs go through the authorisation round trip again; SAP and NetSuite take new
    credentials on the edit form."""
    if connection.system.value in OAUTH_SYSTEMS:
        return f"/ui/connections/{connection.id}/reconnect"
    return f"/ui/connections/{connection.id}/edit#credentials"


def row(health: ConnectionHealth, settings: Settings, now: dt.datetime) -> Row:
    connection = health.connection
    last_error = health.recent_errors[0] if health.recent_errors else None
    newest = health.last_sync
    current = last_error is not None and newest is not None and newest.id == last_error.sync_log_id
    next_at, next_note = next_sync(connection, settings, now)
    return Row(
        connection=connection,
        badge=badge(connection),
        health=health,
        last_error=last_error,
        current=current,
        next_at=next_at,
        next_note=next_note,
        reconnect=reconnect_href(connection),
    )


def auth_run(health: ConnectionHealth) -> RecentError | None:
    """The run that met the ERP's refusal, when the connection is in error because of one."""
    if health.connection.status != ConnectionStatus.ERROR:
        return None
    return next((run for run in health.recent_errors if run.kind is ErrorKind.AUTH), None)


def _ctx(request: Request) -> AppContext:
    ctx: AppContext = request.app.state.ctx
    return ctx


def _powers(user: UserInfo) -> dict[str, bool]:
    return {"can_operate": user.role.allows(Role.OPERATOR), "can_admin": user.role.allows(Role.ADMIN)}


async def _rows(ctx: AppContext) -> list[Row]:
    now = dt.datetime.now(dt.UTC)
    # Every connection's health in a constant number of statements (app.connection_health).
    return [row(health, ctx.settings, now) for health in await connection_health.connections_health(ctx)]


async def list_page(request: Request, user: UserInfo, notice: Notice | None = None) -> Response:
    rows = await _rows(_ctx(request))
    return render(request, "connections/list.html", rows=rows, notice=notice, **_powers(user))


async def detail_page(request: Request, user: UserInfo, cid: str, notice: Notice | None = None) -> Response:
    ctx = _ctx(request)
    health = await connection_health.connection_health(ctx, cid)
    runs = await logs.list_logs(ctx, logs.LogFilter(connection=str(health.connection.id), limit=LAST_RUNS))
    return render(
        request,
        "connections/detail.html",
        row=row(health, ctx.settings, dt.datetime.now(dt.UTC)),
        auth_run=auth_run(health),
        runs=runs.items,
        more_runs=runs.next_cursor is not None,
        notice=notice,
        failed=(SyncStatus.FAILED, SyncStatus.PARTIAL),
        **_powers(user),
    )


async def _done_notice(ctx: AppContext, done: str | None, cid: str | None, name: str | None) -> Notice | None:
    """The message of a `done` code (an unknown code or connection shows nothing)."""
    if done == "deleted" and name:
        return Notice("ok", f"Connection {name!r} is deleted, with its sync logs, mappings and conflicts.")
    if done not in _DONE or not cid:
        return None
    try:
        found = await connections.find_connection(ctx, cid)
    except NotFoundError:
        return None
    return Notice("ok", _DONE[done].format(name=repr(found.name)))


def _back(form: CheckedForm, cid: str, done: str | None = None) -> str:
    """The page a form was sent from: a connection's page, else the list."""
    query = f"?done={done}&id={cid}" if done else ""
    if form.get("back") == "detail":
        return f"/ui/connections/{cid}{query}"
    return f"/ui/connections{query}"


async def _answer(request: Request, user: UserInfo, form: CheckedForm, cid: str, notice: Notice) -> Response:
    if form.get("back") == "detail":
        return await detail_page(request, user, cid, notice)
    return await list_page(request, user, notice)


@router.get("/ui/connections")
async def connection_list(
    request: Request, user: Viewer, done: str | None = None, id: str | None = None, name: str | None = None
) -> Response:
    return await list_page(request, user, await _done_notice(_ctx(request), done, id, name))


@router.get("/ui/connections/{cid:uuid}")
async def connection_detail(
    request: Request, cid: uuid.UUID, user: Viewer, done: str | None = None
) -> Response:
    notice = await _done_notice(_ctx(request), done, str(cid), None)
    return await detail_page(request, user, str(cid), notice)


@router.post("/ui/connections/{cid:uuid}/test")
async def test(request: Request, cid: uuid.UUID, user: Operator, form: CheckedForm) -> Response:
    """Reach the ERP: the company on success (the connection becomes active), else what went wrong
    (a refused authorisation puts the connection in error, as the API's test does)."""
    ctx = _ctx(request)
    found = await connections.find_connection(ctx, str(cid))  # an unknown connection is a 404 page
    try:
        info = await connections.test_connection(ctx, str(found.id))
    except NotFoundError:
        raise
    except SmartAPError as exc:
        notice = Notice("error", f"Testing {found.name!r} failed: {exc}")
    else:
        where = ", ".join(part for part in (info.country, info.base_currency) if part)
        notice = Notice(
            "ok", f"{found.name!r} reaches {info.company_name}" + (f" ({where})" if where else "") + "."
        )
    return await _answer(request, user, form, str(found.id), notice)


@router.post("/ui/connections/{cid:uuid}/sync")
async def sync_now(request: Request, cid: uuid.UUID, user: Operator, form: CheckedForm) -> Response:
    """Queue an import of vendors then purchase orders for the workers (an identical queued one is
    joined), as `POST /api/v1/erp/connections/{id}/sync/all` does; with no worker alive the job is
    queued all the same and the page says how to start one."""
    ctx = _ctx(request)
    queue: syncs.JobQueue = request.app.state.job_queue
    wanted = syncs.SyncRequest(entities=["vendor", "purchase_order"], triggered_by=f"ui:{user.username}")
    requested = await syncs.request_job(ctx, queue, str(cid), wanted)
    what = "already queued as" if requested.joined else "queued as"
    message = f"{requested.title[:1].upper()}{requested.title[1:]}: {what} job {requested.job_id}."
    if requested.worker_alive:
        notice = Notice("ok", message, ("/ui/dashboard", "Follow it on the dashboard"))
    else:
        notice = Notice("warn", f"{message} It waits: {no_worker_message('it')}.")
    return await _answer(request, user, form, str(requested.connection_id), notice)


async def _auto_sync(request: Request, cid: str, form: CheckedForm, on: bool) -> Response:
    changed = await connections.update_connection(
        _ctx(request), cid, connections.ConnectionUpdate(auto_sync=on)
    )
    return RedirectResponse(_back(form, str(changed.id), "resumed" if on else "paused"), status_code=303)


@router.post("/ui/connections/{cid:uuid}/pause")
async def pause(request: Request, cid: uuid.UUID, user: Admin, form: CheckedForm) -> Response:
    return await _auto_sync(request, str(cid), form, False)


@router.post("/ui/connections/{cid:uuid}/resume")
async def resume(request: Request, cid: uuid.UUID, user: Admin, form: CheckedForm) -> Response:
    return await _auto_sync(request, str(cid), form, True)


@router.get("/ui/connections/{cid:uuid}/delete")
async def delete_page(request: Request, cid: uuid.UUID, user: Admin) -> Response:
    """What deleting removes, and the button that does it."""
    health = await connection_health.connection_health(_ctx(request), str(cid))
    return render(request, "connections/delete.html", health=health)


@router.post("/ui/connections/{cid:uuid}/delete")
async def delete(request: Request, cid: uuid.UUID, user: Admin, form: CheckedForm) -> Response:
    removed = await connections.remove_connection(_ctx(request), str(cid))
    query = urlencode({"done": "deleted", "name": removed.name})
    return RedirectResponse(f"/ui/connections?{query}", status_code=303)
