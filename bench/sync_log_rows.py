"""One sync log as a row for a bulk insert, shared by the benchmarks that seed 100,000 of them
(bench/api_latency.py, bench/ui_pages.py): a 30-second run of 100 records, `failed_records` of them
refused when the run did not complete."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from smartap_erp.domain import ERPEntity, SyncDirection, SyncStatus


def sync_log_row(
    *,
    log_id: uuid.UUID,
    connection_id: Any,
    entity: ERPEntity,
    status: SyncStatus,
    at: dt.datetime,
    errors: list[dict[str, str]],
    failed_records: int = 10,
) -> dict[str, Any]:
    ok = status == SyncStatus.COMPLETED
    failed = 0 if ok else failed_records
    return {
        "id": log_id,
        "connection_id": connection_id,
        "entity_type": entity,
        "sync_direction": SyncDirection.EXPORT
        if entity in (ERPEntity.INVOICE, ERPEntity.PAYMENT)
        else SyncDirection.IMPORT,
        "status": status,
        "started_at": at,
        "completed_at": at + dt.timedelta(seconds=30),
        "duration_seconds": 30,
        "total_count": 100,
        "success_count": 100 - failed,
        "error_count": failed,
        "errors": errors,
        "error_message": None if ok else f"{failed_records} records failed",
        "sync_params": {"limit": 100},
        "triggered_by": "schedule",
    }
