"""Reconciliation reports over the API (docs/api.md §Reconciliation): `POST
/api/v1/erp/connections/{connection_id}/reconciliation` queues a report for the workers and answers 202
with the job (follow it at `/api/v1/jobs/{job_id}`; its result names the report), `GET
/api/v1/erp/connections/{connection_id}/reconciliation` lists the connection's reports newest first,
and `GET /api/v1/erp/reconciliation/{report_id}` reads one with its per-object figures and differences.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response

from smartap_erp.api.deps import Ctx, ReadKey, WriteKey
from smartap_erp.api.routers.jobs import JobAccepted, Queue, accepted
from smartap_erp.app import reconciliation

router = APIRouter(tags=["reconciliation"])
CONNECTION = "/api/v1/erp/connections/{connection_id}/reconciliation"


@router.post(CONNECTION, status_code=202, summary="Run a reconciliation report (queued)")
async def run_report(
    connection_id: str, ctx: Ctx, queue: Queue, response: Response, _: WriteKey
) -> JobAccepted:
    requested = await reconciliation.request_report(ctx, queue, connection_id, triggered_by="api")
    return accepted(response, requested)


@router.get(CONNECTION, summary="A connection's reconciliation reports, newest first")
async def list_reports(
    connection_id: str,
    ctx: Ctx,
    _: ReadKey,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> list[reconciliation.ReportSummary]:
    return await reconciliation.list_reports(ctx, connection_id, limit=limit)


@router.get("/api/v1/erp/reconciliation/{report_id}", summary="One reconciliation report")
async def get_report(report_id: str, ctx: Ctx, _: ReadKey) -> reconciliation.ReconciliationReport:
    return await reconciliation.get_report(ctx, report_id)
