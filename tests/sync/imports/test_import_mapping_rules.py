"""Import field mappings in a real vendor import (SQLite and PostgreSQL, one simulator): a rule that
divides by zero or overflows fails its record only, and a stored mapping outside the field
catalogue stops the run with a message naming it (issue 12, items 6 and 8)."""

from __future__ import annotations

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from smartap_erp.db.models import ERPFieldMapping, ERPSyncLog
from smartap_erp.db.vault import CredentialVault, KeyRing
from smartap_erp.domain import ERPEntity, ERPSystem, SyncStatus
from smartap_erp.mappings.apply import MappingRuleError
from smartap_erp.sync.context import SyncContext
from smartap_erp.sync.service import ERPSyncService
from tests.sync.harness import ErpHarness, available_systems

Factory = async_sessionmaker[AsyncSession]
SYSTEM = ERPSystem.QUICKBOOKS if ERPSystem.QUICKBOOKS in available_systems() else available_systems()[0]


@pytest.fixture
def ctx(session_factory: Factory) -> SyncContext:
    return SyncContext(session_factory, CredentialVault(KeyRing([Fernet.generate_key()], "test")))


async def _add_mapping(ctx: SyncContext, harness: ErpHarness, **fields: object) -> None:
    async with ctx.session_factory() as session, session.begin():
        session.add(
            ERPFieldMapping(connection_id=harness.connection.id, entity_type=ERPEntity.VENDOR, **fields)
        )


async def test_a_rule_that_divides_by_zero_or_overflows_fails_only_its_record(ctx: SyncContext) -> None:
    harness = await ErpHarness.start(SYSTEM, ctx, vendors=6, purchase_orders=0, bills=0)
    async with ctx.connector(harness.connection) as erp:
        first, second = (await erp.import_vendors(limit=2)).data[:2]
    zero, big = first.external_id, second.external_id
    rule = (
        f'record.external_id == "{zero}" ? string(100 / (size(value) - size(value))) : '
        f'record.external_id == "{big}" ? string(9223372036854775807 + size(value)) : value'
    )
    await _add_mapping(ctx, harness, smartap_field="name", erp_field="name", transformation_rule=rule)
    report = await ERPSyncService(ctx).import_vendors(harness.connection.id)
    assert report.status == SyncStatus.PARTIAL and report.error_count == 2
    assert report.created_count == report.total_count - 2 >= 4
    async with ctx.session_factory() as session:
        log = await session.scalar(select(ERPSyncLog).where(ERPSyncLog.id == report.log_id))
    assert log is not None
    reasons = {e["record_id"]: e["message"] for e in log.errors}
    assert "division by zero" in reasons[zero] and "overflow" in reasons[big]


async def test_a_stored_mapping_outside_the_catalogue_is_refused_at_load(ctx: SyncContext) -> None:
    harness = await ErpHarness.start(SYSTEM, ctx, vendors=2, purchase_orders=0, bills=0)
    await _add_mapping(ctx, harness, smartap_field="bogus_field", erp_field="name")
    with pytest.raises(MappingRuleError, match=r"smartap_field: .*'bogus_field' is not a vendor field"):
        await ERPSyncService(ctx).import_vendors(harness.connection.id)
