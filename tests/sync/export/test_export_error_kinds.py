"""Export runs record their error kind: invoices refused record by record (not approved, vendor not
mapped) log `validation` with a kind on each logged record error, and a run stopped by the ERP's
refusal of the tokens logs `auth`, on the QuickBooks and Xero simulators."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from smartap_erp.db.connections import read_credentials
from smartap_erp.db.models import ERPConnection, ERPSyncLog
from smartap_erp.db.vault import CredentialVault
from smartap_erp.domain import ERPSystem, InvoiceStatus
from smartap_erp.errors import ERPAuthError
from smartap_erp.sync.export.run import export_invoices
from tests.sync.export.helpers import Factory, add_invoices, add_vendor, start

pytestmark = pytest.mark.parametrize("system", [ERPSystem.QUICKBOOKS, ERPSystem.XERO])


async def test_refused_records_are_validation(
    system: ERPSystem, session_factory: Factory, vault: CredentialVault
) -> None:
    world = await start(system, session_factory, vault)
    good = await add_invoices(world, 1)
    draft = await add_invoices(world, 1, status=InvoiceStatus.DRAFT, prefix="DRAFT")
    stranger = await add_vendor(session_factory, "Unmapped Supplies Ltd", world.currency)
    unmapped = await add_invoices(world, 1, vendor=stranger, prefix="UNMAPPED")

    report = await export_invoices(world.ctx, world.connection_id, [i.id for i in good + draft + unmapped])

    async with session_factory() as session:
        log = await session.get(ERPSyncLog, report.log_id)
        assert log is not None
        assert (log.error_kind, log.error_count, log.success_count) == ("validation", 2, 1)
        assert [e["kind"] for e in log.errors] == ["validation", "validation"]


async def test_refused_tokens_are_auth(
    system: ERPSystem, session_factory: Factory, vault: CredentialVault
) -> None:
    world = await start(system, session_factory, vault)
    invoices = await add_invoices(world, 1)
    async with session_factory() as session:
        connection = await session.get(ERPConnection, world.connection_id)
        assert connection is not None
        credentials = read_credentials(connection, vault=vault).to_dict()
        credentials.update(access_token="expired-token", refresh_token="revoked-token")
        connection.credentials = vault.encrypt(credentials)
        await session.commit()

    with pytest.raises(ERPAuthError):
        await export_invoices(world.ctx, world.connection_id, [invoices[0].id])

    async with session_factory() as session:
        kinds = await session.scalars(
            select(ERPSyncLog.error_kind).where(ERPSyncLog.connection_id == world.connection_id)
        )
        assert list(kinds) == ["auth"]
