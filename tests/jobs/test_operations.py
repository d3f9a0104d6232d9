"""What a job step stores: `summarise` turns the engine's typed reports (import, export, payments)
into a small JSON summary, and an entity the engine does not import is refused before any work."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import pytest

from smartap_erp.db.session import make_engine, make_session_factory
from smartap_erp.db.vault import CredentialVault, load_keyring
from smartap_erp.domain.enums import ERPEntity, SyncStatus
from smartap_erp.domain.results import RecordError
from smartap_erp.errors import ConfigurationError
from smartap_erp.jobs.operations import MAX_ERRORS, ServiceOperations, summarise
from smartap_erp.settings import Settings
from smartap_erp.sync.context import SyncContext
from smartap_erp.sync.export.run import ExportReport
from smartap_erp.sync.imports.report import ImportReport
from smartap_erp.sync.payments.run import PaymentSyncReport


def test_an_import_report_is_summarised_with_its_counts_and_first_errors() -> None:
    log_id = uuid.uuid4()
    report = ImportReport(ERPEntity.VENDOR, status=SyncStatus.PARTIAL, created_count=3, review_count=1)
    report.errors = [RecordError(record_id=f"v{i}", message="name missing") for i in range(12)]
    report.log_id = log_id
    summary = summarise(report)
    assert summary == {
        "status": "partial",
        "total_count": 16,
        "success_count": 4,
        "error_count": 12,
        "created_count": 3,
        "updated_count": 0,
        "review_count": 1,
        "conflict_count": 0,
        "log_id": str(log_id),
        "errors": [f"v{i}: name missing" for i in range(MAX_ERRORS)],
    }
    assert json.loads(json.dumps(summary)) == summary  # what DBOS stores


def test_export_and_payment_reports_keep_only_the_counts_they_have() -> None:
    connection, log_id = uuid.uuid4(), uuid.uuid4()
    export = ExportReport(connection, log_id, total_count=2, success_count=1, created_count=1)
    export.errors = [RecordError(record_id="B-7", message="invoice B-7: vendor unknown")]
    assert summarise(export) == {
        "status": "completed",
        "total_count": 2,
        "success_count": 1,
        "error_count": 1,
        "created_count": 1,
        "log_id": str(log_id),
        "errors": ["invoice B-7: vendor unknown"],  # a message naming its record is kept as is
    }
    payments = PaymentSyncReport(connection, log_id, total_count=5, success_count=5, updated_count=2)
    assert summarise(payments) == {
        "status": "completed",
        "total_count": 5,
        "success_count": 5,
        "error_count": 0,
        "updated_count": 2,
        "log_id": str(log_id),
    }


async def test_an_entity_the_engine_does_not_import_is_refused(tmp_path: Path) -> None:
    settings = Settings(database_url=f"sqlite+aiosqlite:///{tmp_path / 'app.db'}")
    engine = make_engine(settings.database_url)
    try:
        ctx = SyncContext(make_session_factory(engine), CredentialVault(load_keyring(settings)), settings)
        with pytest.raises(ConfigurationError, match="cannot import invoice"):
            await ServiceOperations(ctx).import_entity(uuid.uuid4(), "invoice", None, None, "test")
    finally:
        await engine.dispose()
