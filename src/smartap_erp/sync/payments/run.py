"""Payment-status sync (issue 8, item 5): how much of each exported, not fully paid bill the ERP says
is paid, written to `erp_invoice_mappings` (payment_status, payment_amount in minor units,
payment_currency, payment_synced_at) with the SmartAP invoice following (exported, partially_paid,
paid). A bill the ERP voided, cancelled or deleted is recorded as voided and its invoice goes to review
with the reason (`voids.py`): seen as a void status, in the connector's removal feed (asked once per run
for the same window), or as "not found" when read alone.

The read goes through the connector's change feed (`iter_payment_changes`) where the ERP has one:
one paged read of the bills changed since the oldest moment any open bill's status is known from
(its `payment_synced_at`), minus an overlap for clock skew: a bounded number of requests, whatever
the number of open bills. Bills read and unchanged get `payment_synced_at` = the run's signpost
(captured before reading), so the next read starts from there; the signpost is also stored as the
connection's `payment` cursor in `erp_sync_cursors` (the last complete read). A bill whose status
was never known (export found it rather than created it) and not listed by the feed (every open bill
is asked for, so a feed that reads by id, SAP's, lists it) and every bill of an ERP without a feed
are read one by one (`sync_payment_status`). One
`erp_sync_logs` row per run (entity payment, direction import); an `ERPAuthError` puts the
connection in `error`; other ERP failures close the log and propagate, so the job layer retries.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field

from smartap_erp.connectors.base import ERPConnector
from smartap_erp.connectors.removals import ERPRemoval, RemovalKind
from smartap_erp.connectors.responses import record_error_from
from smartap_erp.db.models import ERPConnection
from smartap_erp.domain.enums import ERPEntity, ERPSystem, PaymentStatus, SyncDirection, SyncStatus
from smartap_erp.domain.models import ERPPaymentStatus
from smartap_erp.domain.money import MoneyError, to_minor_units
from smartap_erp.domain.results import RecordError
from smartap_erp.errors import ERPError, ERPNotFoundError, ERPRecordError
from smartap_erp.events import engine as raised
from smartap_erp.sync.context import SyncContext
from smartap_erp.sync.export.common import IN_CHUNK, chunks, close_log
from smartap_erp.sync.imports.deletions import read_removals
from smartap_erp.sync.logs import outcome_status, start_log, usable_connection
from smartap_erp.sync.payments import store, voids

# re-read margin for clock skew between us and the ERP (erp-facts.md §Watermarks)
OVERLAP = dt.timedelta(minutes=5)
PER_BILL_BATCH = 10  # per-bill reads started together when there is no feed (the limiter bounds them)


@dataclass
class PaymentSyncReport:
    connection_id: uuid.UUID
    log_id: uuid.UUID
    status: SyncStatus = SyncStatus.COMPLETED
    total_count: int = 0  # open bills checked
    success_count: int = 0
    updated_count: int = 0  # bills whose payment status or amount changed
    unchanged_count: int = 0
    used_change_feed: bool = False
    since: dt.datetime | None = None
    read_one_by_one: int = 0
    errors: list[RecordError] = field(default_factory=list)

    @property
    def error_count(self) -> int:
        return len(self.errors)


@dataclass
class _Reading:
    statuses: dict[str, ERPPaymentStatus] = field(default_factory=dict)  # bill id -> status read
    errors: dict[str, RecordError] = field(default_factory=dict)
    removals: dict[str, ERPRemoval] = field(default_factory=dict)  # bill id -> voided / deleted


async def sync_payment_statuses(
    ctx: SyncContext, connection_id: uuid.UUID, *, triggered_by: str = "system"
) -> PaymentSyncReport:
    """Read and store the payment status of the connection's open bills (see the module docstring)."""
    signpost = ctx.now()
    async with ctx.session_factory() as session, session.begin():
        connection = await usable_connection(session, connection_id)
        bills = await store.open_bills(session, connection_id)
        cursor = await store.cursor_time(session, connection_id)
        log = await start_log(
            session,
            connection,
            entity=ERPEntity.PAYMENT,
            direction=SyncDirection.IMPORT,
            params={"open_bills": len(bills), "cursor": cursor.isoformat() if cursor else None},
            triggered_by=triggered_by,
            now=signpost,
        )
    report = PaymentSyncReport(connection_id=connection_id, log_id=log.id, total_count=len(bills))
    try:
        reading = await _read(ctx, connection, bills, report) if bills else _Reading()
    except ERPError as exc:
        await close_log(
            ctx.session_factory, log.id, total=len(bills), succeeded=0, errors=[], now=ctx.now(), failure=exc
        )
        report.status = SyncStatus.FAILED
        raise
    await _write(ctx, connection.system_type, connection_id, bills, reading, signpost, report)
    await close_log(
        ctx.session_factory,
        log.id,
        total=report.total_count,
        succeeded=report.success_count,
        errors=report.errors,
        now=ctx.now(),
    )
    report.status = outcome_status(report.total_count, report.error_count)
    return report


def _since(bills: Sequence[store.OpenBill]) -> dt.datetime | None:
    """Where the feed must start: the oldest moment an open bill's status is known from, less the
    overlap. Each bill's `payment_synced_at` is a finer cursor than the connection's: a bill exported
    while a run was reading keeps its own, older, time and is not skipped by the next run."""
    known = [b.synced_at for b in bills if b.synced_at is not None]
    return min(known) - OVERLAP if known else None


async def _read(
    ctx: SyncContext, connection: ERPConnection, bills: Sequence[store.OpenBill], report: PaymentSyncReport
) -> _Reading:
    reading = _Reading()
    known = {b.bill_id for b in bills if b.synced_at is not None}
    wanted = {b.bill_id for b in bills}
    async with ctx.connector(connection) as erp:
        since = _since(bills)
        # deleted bills never come back from a status read: the removal feed, same window, first
        reading.removals = await read_removals(erp, ERPEntity.INVOICE, since, wanted)
        # every open bill is asked for: a feed that reads by id (SAP) reads the unknown ones too
        feed = erp.iter_payment_changes(since, wanted) if since is not None else None
        if feed is not None:
            report.used_change_feed, report.since = True, since
            async for page in feed:
                for item in page.outcomes:
                    key = item.record_id if isinstance(item, RecordError) else item.external_invoice_id
                    if key not in wanted:
                        continue  # another bill of the ERP (not ours, or already paid)
                    if isinstance(item, RecordError):
                        reading.errors[key] = item
                    else:
                        reading.statuses[key] = item
            # a bill never read and not in the feed: its state is unknown, read it alone
            listed = reading.statuses.keys() | reading.errors.keys()
            one_by_one = [b.bill_id for b in bills if b.bill_id not in known and b.bill_id not in listed]
        else:
            one_by_one = [b.bill_id for b in bills]
        one_by_one = [bill_id for bill_id in one_by_one if bill_id not in reading.removals]
        report.read_one_by_one = len(one_by_one)
        await _read_each(erp, one_by_one, reading)
    return reading


async def _read_each(erp: ERPConnector, bill_ids: Sequence[str], reading: _Reading) -> None:
    async def one(bill_id: str) -> None:
        try:
            reading.statuses[bill_id] = await erp.sync_payment_status(bill_id)
        except ERPNotFoundError:  # a bill deleted in the ERP (QuickBooks 610, NetSuite 404)
            reading.removals[bill_id] = ERPRemoval(
                entity=ERPEntity.INVOICE, external_id=bill_id, kind=RemovalKind.DELETED
            )
        except ERPRecordError as exc:
            reading.errors[bill_id] = record_error_from(exc, bill_id)

    for part in chunks(bill_ids, PER_BILL_BATCH):
        await asyncio.gather(*(one(bill_id) for bill_id in part))


def _change(bill: store.OpenBill, status: ERPPaymentStatus) -> store.StatusChange | None:
    """The change `status` makes to `bill`, None if none; MoneyError if its amount is not exact."""
    amount = to_minor_units(status.amount_paid, status.currency)
    if (status.status, amount, status.currency) == (bill.status, bill.amount, bill.currency):
        return None
    return store.StatusChange(bill, status.status, amount, status.currency)


async def _write(
    ctx: SyncContext,
    system: ERPSystem,
    connection_id: uuid.UUID,
    bills: Sequence[store.OpenBill],
    reading: _Reading,
    signpost: dt.datetime,
    report: PaymentSyncReport,
) -> None:
    changes: list[store.StatusChange] = []
    unchanged: list[uuid.UUID] = []
    voided: dict[uuid.UUID, voids.VoidedBill] = {}  # mapping id -> what sends its invoice to review
    for bill in bills:
        error = reading.errors.get(bill.bill_id)
        status = reading.statuses.get(bill.bill_id)
        removal = reading.removals.get(bill.bill_id)
        if removal is not None or (status is not None and status.status is PaymentStatus.VOIDED):
            currency = status.currency if status is not None else bill.currency
            changes.append(store.StatusChange(bill, PaymentStatus.VOIDED, bill.amount, currency))
            voided[bill.mapping_id] = voids.VoidedBill(
                bill.invoice_id,
                bill.bill_id,
                voids.reason_for(bill.bill_id, system, removal),
                removal.kind.value if removal is not None else "voided",
            )
            continue
        if error is None and status is not None:
            try:
                change = _change(bill, status)
            except MoneyError as exc:
                error = RecordError(record_id=bill.bill_id, field="amount_paid", message=str(exc))
            else:
                if change is None:
                    unchanged.append(bill.mapping_id)
                else:
                    changes.append(change)
        elif error is None:
            unchanged.append(bill.mapping_id)  # the feed did not list it: not changed since
        if error is not None:
            report.errors.append(
                error.model_copy(
                    update={"message": f"bill {bill.bill_id} (invoice {bill.invoice_id}): {error.message}"}
                )
            )
    for part in chunks(changes, IN_CHUNK):  # one transaction per chunk
        async with ctx.session_factory() as session, session.begin():
            await store.apply_changes(session, part, signpost)
            paid = [c for c in part if c.bill.mapping_id not in voided]  # voids raise bill.voided
            raised.payments_changed(session, connection_id, paid)  # invoice.payment_changed
            dead = [voided[c.bill.mapping_id] for c in part if c.bill.mapping_id in voided]
            await voids.send_to_review(session, connection_id, dead, signpost)
    async with ctx.session_factory() as session, session.begin():
        await store.mark_read(session, unchanged, signpost)
        await store.save_cursor(session, connection_id, signpost)
    report.updated_count, report.unchanged_count = len(changes), len(unchanged)
    report.success_count = len(changes) + len(unchanged)
