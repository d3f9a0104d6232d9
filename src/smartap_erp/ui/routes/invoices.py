"""The invoices screen (`/ui/invoices`): each invoice with where it stands in the ERPs (not synced,
queued, exported, failed, needs review), and per connection the ERP's bill id and what the ERP says
is paid (paid, partially paid, unpaid, with the amount against the total), from
`app.invoice_board`. Filters: connection and state; pages of 50. An operator queues the export again
(to a connection where it failed or is still queued, or to any connection for an approved invoice
not yet exported) or a payment sync (`app.invoice_actions`); both are jobs for the workers, never
run in the request, and the page says when no worker is alive to run them."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import RedirectResponse, Response

from smartap_erp.app import connections, invoice_actions
from smartap_erp.app.invoice_board import BoardFilter, invoice_board
from smartap_erp.app.invoices import SyncState
from smartap_erp.app.syncs import JobQueue, JobRequested
from smartap_erp.app.users import Role
from smartap_erp.ui.security import CheckedForm, Operator, Viewer
from smartap_erp.ui.templating import render

router = APIRouter(include_in_schema=False)

PAGE = 50
STATE_LABELS = {
    SyncState.NOT_SYNCED: "not synced",
    SyncState.QUEUED: "queued",
    SyncState.SYNCED: "exported",
    SyncState.FAILED: "failed",
    SyncState.NEEDS_REVIEW: "needs review",
}
PAYMENT_LABELS = {"paid": "paid", "partial": "partially paid", "unpaid": "unpaid", "voided": "voided"}


def _queue(request: Request) -> JobQueue:
    queue: JobQueue = request.app.state.job_queue
    return queue


@router.get("/ui/invoices")
async def invoice_list(
    request: Request,
    user: Viewer,
    connection: str | None = None,
    state: str | None = None,
    offset: int = 0,
    queued: str | None = None,
    idle: str | None = None,
) -> Response:
    ctx = request.app.state.ctx
    wanted = SyncState(state) if state in set(SyncState) else None
    query = BoardFilter(connection=connection or None, state=wanted, offset=max(offset, 0), limit=PAGE)
    board = await invoice_board(ctx, query)
    here: dict[str, Any] = {"connection": connection or "", "state": wanted.value if wanted else ""}
    return render(
        request,
        "invoices/list.html",
        board=board,
        query=query,
        connections=await connections.list_connections(ctx),
        states=STATE_LABELS,
        payments=PAYMENT_LABELS,
        newer=urlencode({**here, "offset": max(query.offset - PAGE, 0)}) if query.offset else None,
        older=urlencode({**here, "offset": query.offset + PAGE}) if board.has_more else None,
        queued=queued,
        idle=bool(idle),
        can_act=user.role.allows(Role.OPERATOR),
    )


def _queued(jobs: list[JobRequested]) -> RedirectResponse:
    titles = "; ".join(f"{job.title} (job {job.job_id})" for job in jobs)
    query = {"queued": titles, **({"idle": "1"} if not all(job.worker_alive for job in jobs) else {})}
    return RedirectResponse("/ui/invoices?" + urlencode(query), status_code=303)


@router.post("/ui/invoices/{invoice_id}/export")
async def export(request: Request, invoice_id: str, user: Operator, form: CheckedForm) -> Response:
    connection = str(form.get("connection") or "")
    if not connection:
        raise HTTPException(422, "choose the connection to export the invoice to")
    job = await invoice_actions.export(
        request.app.state.ctx,
        _queue(request),
        [invoice_id],
        connection,
        vendor=None,
        by=f"ui {user.username}",
    )
    return _queued([job])


@router.post("/ui/invoices/{invoice_id}/sync-payment")
async def sync_payment(request: Request, invoice_id: str, user: Operator, form: CheckedForm) -> Response:
    jobs = await invoice_actions.sync_payment(
        request.app.state.ctx, _queue(request), invoice_id, vendor=None, by=f"ui {user.username}"
    )
    return _queued(jobs)
