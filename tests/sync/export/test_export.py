"""Invoice export against every available simulator, on SQLite and PostgreSQL: only approved invoices,
clear record errors, batches, and exactly one bill whatever step a crash interrupts."""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Sequence

import pytest
from sqlalchemy import select

from erpsim.core.faults import FaultPlan
from smartap_erp.db.connections import read_credentials, replace_credentials
from smartap_erp.db.models import ERPConnection, ERPExportOutbox, ERPFieldMapping, ERPSyncLog, ExportState
from smartap_erp.db.vault import CredentialVault
from smartap_erp.domain import ConnectionStatus, ERPEntity, ERPSystem, InvoiceStatus, SyncStatus
from smartap_erp.errors import ERPAuthError, ERPError
from smartap_erp.sync.export.run import ExportHooks, export_invoices
from smartap_erp.sync.export.store import idempotency_key
from smartap_erp.sync.logs import ConnectionUnavailableError
from tests.sync.export.helpers import (
    Factory,
    add_invoices,
    add_vendor,
    bills_in_erp,
    invoice_statuses,
    mappings,
    start,
)
from tests.sync.harness import available_systems

pytestmark = pytest.mark.parametrize("system", available_systems())


class Crash(Exception):
    """A process dying at a chosen point (raised by a test hook)."""


async def _crash(_: Sequence[uuid.UUID]) -> None:
    raise Crash


async def _outbox(factory: Factory, connection_id: uuid.UUID) -> list[ERPExportOutbox]:
    async with factory() as session:
        rows = await session.scalars(
            select(ERPExportOutbox).where(ERPExportOutbox.connection_id == connection_id)
        )
        return list(rows)


async def test_only_approved_mapped_invoices_export_in_one_batch(
    system: ERPSystem, session_factory: Factory, vault: CredentialVault
) -> None:
    world = await start(system, session_factory, vault)
    before = bills_in_erp(world.harness)
    approved = await add_invoices(world, 6)
    draft = await add_invoices(world, 1, status=InvoiceStatus.DRAFT, prefix="DRAFT")
    stranger = await add_vendor(session_factory, "Unmapped Supplies Ltd", world.currency)
    unmapped = await add_invoices(world, 1, vendor=stranger, prefix="UNMAPPED")
    ids = [i.id for i in approved + draft + unmapped]

    report = await export_invoices(world.ctx, world.connection_id, ids, triggered_by="ap@example.com")

    assert (report.total_count, report.success_count, report.created_count) == (8, 6, 6)
    assert report.status == SyncStatus.PARTIAL
    by_id = {e.record_id: e for e in report.errors}
    assert "is draft; only approved invoices are exported" in by_id[str(draft[0].id)].message
    assert "Unmapped Supplies Ltd" in by_id[str(unmapped[0].id)].message
    assert bills_in_erp(world.harness) == before + 6
    rows = await mappings(session_factory, world.connection_id)
    assert {m.smartap_invoice_id for m in rows} == {i.id for i in approved}
    assert len({m.erp_invoice_id for m in rows}) == 6 and all(m.exported_by == "ap@example.com" for m in rows)
    statuses = await invoice_statuses(session_factory, ids)
    assert [statuses[i.id] for i in approved] == [InvoiceStatus.EXPORTED] * 6
    assert statuses[draft[0].id] == InvoiceStatus.DRAFT and statuses[unmapped[0].id] == InvoiceStatus.APPROVED
    outbox = await _outbox(session_factory, world.connection_id)
    assert {o.state for o in outbox} == {ExportState.CONFIRMED} and len(outbox) == 6
    assert all(
        o.idempotency_key == idempotency_key(world.connection_id, o.smartap_invoice_id) for o in outbox
    )
    async with session_factory() as session:
        log = await session.get(ERPSyncLog, report.log_id)
        assert log is not None
        assert (log.entity_type, log.status, log.error_count, log.success_count) == (
            ERPEntity.INVOICE,
            SyncStatus.PARTIAL,
            2,
            6,
        )

    again = await export_invoices(world.ctx, world.connection_id)  # all pending: nothing left to send
    assert (again.total_count, again.created_count, again.status) == (0, 0, SyncStatus.COMPLETED)
    replay = await export_invoices(world.ctx, world.connection_id, [approved[0].id])
    assert (replay.success_count, replay.already_exported_count, replay.error_count) == (1, 1, 0)
    assert bills_in_erp(world.harness) == before + 6


async def test_unknown_account_or_tax_code_is_a_record_error_and_nothing_is_sent(
    system: ERPSystem, session_factory: Factory, vault: CredentialVault
) -> None:
    world = await start(system, session_factory, vault)
    before = bills_in_erp(world.harness)
    bad_account = await add_invoices(world, 1, account_code="Imaginary Expenses 9999")
    bad_tax = await add_invoices(world, 1, tax_code="NO-SUCH-TAX")
    good = await add_invoices(world, 1, account_code=world.account.external_id)  # by ERP id works too

    report = await export_invoices(
        world.ctx, world.connection_id, [i.id for i in bad_account + bad_tax + good]
    )

    errors = {e.record_id: e for e in report.errors}
    assert errors[str(bad_account[0].id)].field == "line 1.account_code"
    assert "'Imaginary Expenses 9999' matches no ERP account" in errors[str(bad_account[0].id)].message
    assert "'NO-SUCH-TAX' matches no ERP tax code" in errors[str(bad_tax[0].id)].message
    assert report.success_count == 1 and bills_in_erp(world.harness) == before + 1
    assert (
        len(await _outbox(session_factory, world.connection_id)) == 1
    )  # refused ones never reach the outbox


async def test_field_mappings_apply_on_export(
    system: ERPSystem, session_factory: Factory, vault: CredentialVault
) -> None:
    world = await start(system, session_factory, vault)
    async with session_factory() as session, session.begin():
        session.add(
            ERPFieldMapping(
                connection_id=world.connection_id,
                entity_type=ERPEntity.INVOICE,
                smartap_field="vendor.tax_id",
                erp_field="due_date",  # a field every ERP's bill has (Xero's has no memo)
                is_required=True,
            )
        )
    invoices = await add_invoices(world, 1)
    report = await export_invoices(world.ctx, world.connection_id, [invoices[0].id])
    assert report.success_count == 0
    assert report.errors[0].field == "due_date" and "is required" in report.errors[0].message


async def test_crash_before_the_call_then_retry_makes_one_bill(
    system: ERPSystem, session_factory: Factory, vault: CredentialVault
) -> None:
    world = await start(system, session_factory, vault)
    before = bills_in_erp(world.harness)
    invoices = await add_invoices(world, 2)
    ids = [i.id for i in invoices]
    with pytest.raises(Crash):
        await export_invoices(world.ctx, world.connection_id, ids, hooks=ExportHooks(before_erp_call=_crash))
    outbox = await _outbox(session_factory, world.connection_id)
    assert [o.state for o in outbox] == [ExportState.PENDING] * 2 and bills_in_erp(world.harness) == before

    report = await export_invoices(world.ctx, world.connection_id, ids)
    assert report.success_count == 2 and bills_in_erp(world.harness) == before + 2
    outbox = await _outbox(session_factory, world.connection_id)
    assert [(o.state, o.attempts) for o in outbox] == [(ExportState.CONFIRMED, 2)] * 2
    assert len(await mappings(session_factory, world.connection_id)) == 2


async def test_crash_after_the_erp_committed_then_retry_makes_one_bill(
    system: ERPSystem, session_factory: Factory, vault: CredentialVault
) -> None:
    world = await start(system, session_factory, vault)
    before = bills_in_erp(world.harness)
    invoices = await add_invoices(world, 2)
    ids = [i.id for i in invoices]
    with pytest.raises(Crash):
        await export_invoices(world.ctx, world.connection_id, ids, hooks=ExportHooks(after_erp_call=_crash))
    assert bills_in_erp(world.harness) == before + 2
    assert await mappings(session_factory, world.connection_id) == []
    assert set((await invoice_statuses(session_factory, ids)).values()) == {InvoiceStatus.APPROVED}

    report = await export_invoices(world.ctx, world.connection_id)  # the default selection retries them
    assert report.success_count == 2 and report.error_count == 0
    assert bills_in_erp(world.harness) == before + 2
    rows = await mappings(session_factory, world.connection_id)
    assert len(rows) == 2 and {m.smartap_invoice_id for m in rows} == set(ids)
    assert set((await invoice_statuses(session_factory, ids)).values()) == {InvoiceStatus.EXPORTED}


async def test_lost_response_after_commit_then_retry_makes_one_bill(
    system: ERPSystem, session_factory: Factory, vault: CredentialVault
) -> None:
    world = await start(system, session_factory, vault)
    before = bills_in_erp(world.harness)
    invoices = await add_invoices(world, 1)
    world.harness.sim.set_fault_plan(FaultPlan.parse("commit_then_fail=1; lost_response=504"))
    # The connector may replay by itself (idempotent writes) or give up: either way, retry.
    with contextlib.suppress(ERPError):
        await export_invoices(world.ctx, world.connection_id, [invoices[0].id])
    assert world.harness.state()["faults"]["remaining"].get("commit_then_fail", 0) == 0
    await export_invoices(world.ctx, world.connection_id, [invoices[0].id])
    assert bills_in_erp(world.harness) == before + 1
    assert len(await mappings(session_factory, world.connection_id)) == 1


async def test_connection_in_error_is_refused_and_auth_failure_puts_it_there(
    system: ERPSystem, session_factory: Factory, vault: CredentialVault
) -> None:
    world = await start(system, session_factory, vault)
    invoices = await add_invoices(world, 1)
    async with session_factory() as session, session.begin():
        stored = await session.get(ERPConnection, world.connection_id)
        assert stored is not None
        creds = read_credentials(stored, vault=vault).to_dict()
        secrets = ("access_token", "refresh_token", "password", "token_secret")
        broken = {k: (f"wrong-{v}" if k in secrets else v) for k, v in creds.items()}
        await replace_credentials(
            session,
            vault=vault,
            connection_id=world.connection_id,
            expected_version=stored.credentials_version,
            credentials=broken,
        )
    with pytest.raises(ERPAuthError):
        await export_invoices(world.ctx, world.connection_id, [invoices[0].id])
    async with session_factory() as session:
        stored = await session.get(ERPConnection, world.connection_id)
        assert stored is not None and stored.status == ConnectionStatus.ERROR
        assert stored.connection_error and stored.connection_error.startswith(("reconnect", "grant"))
        log = (
            await session.scalars(select(ERPSyncLog).where(ERPSyncLog.connection_id == world.connection_id))
        ).one()
        assert log.status == SyncStatus.FAILED and log.error_message == stored.connection_error
    with pytest.raises(ConnectionUnavailableError, match="is in error"):
        await export_invoices(world.ctx, world.connection_id, [invoices[0].id])
