"""A stand-in for the sync engine in worker subprocesses (`SMARTAP_JOBS_OPERATIONS=tests.jobs.fakes:build`):
each call first decrypts the connection's credentials through the worker's vault (as the real engine
does), then appends {op, connection, pid, workflow (the DBOS workflow id, None inline), start, end} to the
JSON-lines file `SMARTAP_FAKE_LOG`;
`SMARTAP_FAKE_FAIL=N` makes the first N calls of this process fail transiently, `SMARTAP_FAKE_AUTH=1`
makes every call fail authentication, `SMARTAP_FAKE_RECORD_ERROR=1` makes every call report one
failed record.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import time
import uuid
from collections.abc import Sequence
from typing import Any

from dbos import DBOS

from smartap_erp.db.models import ERPConnection
from smartap_erp.domain.enums import ERPSystem
from smartap_erp.errors import ERPAuthError, ERPTransientError
from smartap_erp.sync.context import SyncContext


class FakeOperations:
    def __init__(self, ctx: SyncContext) -> None:
        self.ctx = ctx
        self.failures_left = int(os.environ.get("SMARTAP_FAKE_FAIL", "0"))

    async def _record(self, op: str, connection_id: uuid.UUID, start: float) -> dict[str, Any]:
        async with self.ctx.session_factory() as session:
            connection = await session.get(ERPConnection, connection_id)
        assert connection is not None
        self.ctx.vault.decrypt(connection.credentials, owner=f"connection {connection.name}")
        if os.environ.get("SMARTAP_FAKE_AUTH") == "1":
            raise ERPAuthError("token revoked", erp=ERPSystem.QUICKBOOKS, status=401)
        if self.failures_left > 0:
            self.failures_left -= 1
            raise ERPTransientError("ERP busy", erp=ERPSystem.QUICKBOOKS, status=503)
        entry = {"op": op, "connection": str(connection_id), "pid": os.getpid(), "start": start}
        entry["workflow"] = DBOS.workflow_id
        entry["end"] = time.time()
        _append(entry)
        if os.environ.get("SMARTAP_FAKE_RECORD_ERROR") == "1":
            return {
                "status": "partial",
                "total_count": 2,
                "success_count": 1,
                "error_count": 1,
                "errors": ["R-2: the ERP refused it: amount must be positive"],
                "review_count": 1,
            }
        return {"status": "completed", "total_count": 1, "success_count": 1, "error_count": 0}

    async def import_entity(
        self,
        connection_id: uuid.UUID,
        entity: str,
        since: dt.datetime | None,
        limit: int | None,
        by: str,
        *,
        full: bool = False,
    ) -> dict[str, Any]:
        op = f"import:{entity}:{limit}" + (":full" if full else "")
        return await self._record(op, connection_id, time.time())

    async def export_invoices(
        self, connection_id: uuid.UUID, invoice_ids: Sequence[uuid.UUID] | None, by: str
    ) -> dict[str, Any]:
        return await self._record(f"export:{len(invoice_ids or [])}", connection_id, time.time())

    async def sync_payment_statuses(self, connection_id: uuid.UUID, by: str) -> dict[str, Any]:
        return await self._record("payments", connection_id, time.time())


def _append(entry: dict[str, Any]) -> None:
    with open(os.environ["SMARTAP_FAKE_LOG"], "a") as log:
        log.write(json.dumps(entry) + "\n")


def build(ctx: SyncContext) -> FakeOperations:
    return FakeOperations(ctx)
