"""The reconciliation screen (`/ui/reconciliation`): the reports of a connection (or of all), newest
first, and one report (`/ui/reconciliation/{id}`): per object SmartAP's and the ERP's count and totals
side by side with the number of differences, then the differences themselves. An operator starts a
report for a connection; it is queued as a job for the workers (never run in the request) and the page
says when no worker is alive. Everything comes from `app.reconciliation`."""

from __future__ import annotations

from urllib.parse import urlencode

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import RedirectResponse, Response

from smartap_erp.app import connections, reconciliation
from smartap_erp.app.syncs import JobQueue
from smartap_erp.app.users import Role
from smartap_erp.ui.security import CheckedForm, Operator, Viewer
from smartap_erp.ui.templating import render

router = APIRouter(include_in_schema=False)
OBJECT_LABELS = {
    "vendors": "Vendors",
    "purchase_orders": "Purchase orders",
    "bills": "Bills",
    "payments": "Payments",
}
KIND_LABELS = {
    "missing_in_smartap": "missing in SmartAP",
    "missing_in_erp": "missing in the ERP",
    "amount_differs": "amount differs",
    "status_differs": "status differs",
}


@router.get("/ui/reconciliation")
async def report_list(
    request: Request,
    user: Viewer,
    connection: str | None = None,
    queued: str | None = None,
    idle: str | None = None,
) -> Response:
    ctx = request.app.state.ctx
    return render(
        request,
        "reconciliation/list.html",
        reports=await reconciliation.list_reports(ctx, connection or None),
        connections=await connections.list_connections(ctx),
        connection=connection or "",
        queued=queued,
        idle=bool(idle),
        can_act=user.role.allows(Role.OPERATOR),
    )


@router.get("/ui/reconciliation/{report_id}")
async def report_page(request: Request, report_id: str, user: Viewer) -> Response:
    report = await reconciliation.get_report(request.app.state.ctx, report_id)
    return render(
        request, "reconciliation/report.html", report=report, objects=OBJECT_LABELS, kinds=KIND_LABELS
    )


@router.post("/ui/reconciliation/run")
async def run(request: Request, user: Operator, form: CheckedForm) -> Response:
    connection = str(form.get("connection") or "")
    if not connection:
        raise HTTPException(422, "choose the connection to reconcile")
    queue: JobQueue = request.app.state.job_queue
    job = await reconciliation.request_report(
        request.app.state.ctx, queue, connection, triggered_by=f"ui {user.username}"
    )
    query = {"connection": connection, "queued": f"{job.title} (job {job.job_id})"}
    if not job.worker_alive:
        query["idle"] = "1"
    return RedirectResponse("/ui/reconciliation?" + urlencode(query), status_code=303)
