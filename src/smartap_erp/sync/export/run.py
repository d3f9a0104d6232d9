"""Invoice export (issue 8, item 4): approved SmartAP invoices become bills in the ERP, exactly once.

`export_invoices(ctx, connection_id, invoice_ids=None)` works a step at a time (`step_size`: the
connector's `export_step_size` where it states one, else `ERP_SYNC_BATCH_SIZE` invoices): it builds
each invoice's `ERPInvoice` (`export_build`: only approved invoices, vendor through its mapping,
accounts and tax codes resolved from reference data read once per run (`export_refdata`), field
mappings applied, the invoice's tax spread over its taxed lines the way the ERP takes it, or refused
(`export_tax`); every problem is a record error and the rest go on), checks them against the ERP's
books (`guards`: one bill look-up for the whole step, before any write), upserts and COMMITS the
step's outbox rows (`pending`, one deterministic idempotency key per connection and invoice) before
the ERP is called, sends the bills through the connector's `export_invoices` (its batch endpoint
where the ERP has one), `export_batch_size` at a time where the connector states it (else all at
once), and after each call writes, in ONE transaction, the `erp_invoice_mappings` rows, the outbox
rows `confirmed` and the invoices `exported`, after checking that the total the ERP reports for each
bill equals the invoice's: a bill whose total differs is not linked and its invoice goes to
`needs_review` (the ERP bill id kept on the outbox row, the reason in the record error and the
sync log), so it is neither payment-tracked as if it were right nor created twice. A crash anywhere
leaves either nothing at the ERP (retry sends again under the same outbox row) or a bill without a
mapping (retry finds it: the step's look-up links it, or the connector's idempotency, keyed on
`smartap_invoice_id`, returns the same bill): never two bills.
A call that ends without an answer marks its bills `sent` (those of the step's later calls stay
`pending`, never sent) and stops the run (its error propagates, so the job layer retries); an
`ERPAuthError` also puts the connection in `error`. Every run writes one `erp_sync_logs` row (entity
invoice, direction export).
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from smartap_erp.connectors.base import ERPConnector
from smartap_erp.connectors.models import InvoiceExportOutcome
from smartap_erp.connectors.registry import registry
from smartap_erp.db.models import ERPConnection, Invoice
from smartap_erp.domain.enums import ERPEntity, InvoiceStatus, SyncDirection, SyncStatus
from smartap_erp.domain.models import ERPInvoice
from smartap_erp.domain.results import RecordError
from smartap_erp.errors import ERPError
from smartap_erp.mappings.apply import CompiledRule
from smartap_erp.sync.context import SyncContext
from smartap_erp.sync.error_kinds import ErrorKind, classify_record
from smartap_erp.sync.export import guards, store
from smartap_erp.sync.export import review as review_
from smartap_erp.sync.export.build import InvoiceRefused, ReferenceResolver, build_invoice
from smartap_erp.sync.export.common import close_log
from smartap_erp.sync.export.tax import total_mismatch
from smartap_erp.sync.logs import outcome_status, start_log, usable_connection

DEFAULT_BATCH_SIZE = 100
# An invoice in review is sent again only when asked for by id: the connector finds its bill again
# (never a second one) and the totals are checked afresh, so a bill corrected in the ERP is accepted.
_EXPORTABLE = (InvoiceStatus.APPROVED, InvoiceStatus.NEEDS_REVIEW)
Hook = Callable[[Sequence[uuid.UUID]], Awaitable[None]]


@dataclass
class ExportHooks:
    """Test hooks at the two points where a crash matters: after the step's outbox commit, before the
    first ERP call (with the step's ids); and after each call answered, before its mappings are written
    (with that call's ids; the first call's include the bills found already there)."""

    before_erp_call: Hook | None = None
    after_erp_call: Hook | None = None


@dataclass
class ExportReport:
    """What one export run did. `success_count` counts bills now linked (created, found again, or
    already exported before this run); `created_count` counts bills this run created in the ERP."""

    connection_id: uuid.UUID
    log_id: uuid.UUID
    status: SyncStatus = SyncStatus.COMPLETED
    total_count: int = 0
    success_count: int = 0
    created_count: int = 0
    already_exported_count: int = 0
    errors: list[RecordError] = field(default_factory=list)
    bills: dict[uuid.UUID, str] = field(default_factory=dict)  # invoice id -> ERP bill id
    review: dict[uuid.UUID, str] = field(default_factory=dict)  # invoice id -> ERP bill id, totals differ
    linked: dict[uuid.UUID, str] = field(default_factory=dict)  # invoice id -> bill the ERP already had

    @property
    def error_count(self) -> int:
        return len(self.errors)


async def export_invoices(
    ctx: SyncContext,
    connection_id: uuid.UUID,
    invoice_ids: Sequence[uuid.UUID] | None = None,
    *,
    triggered_by: str = "system",
    hooks: ExportHooks | None = None,
) -> ExportReport:
    """Export `invoice_ids` (None: every approved, not yet exported invoice of the connection's
    mapped vendors) to the connection's ERP. See the module docstring for the guarantees."""
    started = ctx.now()
    async with ctx.session_factory() as session, session.begin():
        connection = await usable_connection(session, connection_id)
        ids = (
            list(dict.fromkeys(invoice_ids))
            if invoice_ids is not None
            else (await store.pending_invoice_ids(session, connection_id))
        )
        log = await start_log(
            session,
            connection,
            entity=ERPEntity.INVOICE,
            direction=SyncDirection.EXPORT,
            params={"invoice_ids": None if invoice_ids is None else [str(i) for i in ids]},
            triggered_by=triggered_by,
            now=started,
        )
        rules = await store.export_rules(session, connection_id)
    report = ExportReport(connection_id=connection_id, log_id=log.id)
    run = _ExportRun(ctx, connection, report, triggered_by, hooks or ExportHooks())
    configured = ctx.settings.erp_sync_batch_size if ctx.settings is not None else DEFAULT_BATCH_SIZE
    try:
        if ids:
            async with ctx.connector(connection) as erp:
                size = step_size(erp, configured)
                resolver = ReferenceResolver(
                    erp, connection_id=connection_id, cache=ctx.reference_cache, now=ctx.now
                )
                for start in range(0, len(ids), size):
                    await run.batch(erp, resolver, ids[start : start + size], rules)
    except ERPError as exc:
        await _close(ctx, report, failure=exc)
        raise
    await _close(ctx, report)
    return report


def step_size(connector: ERPConnector | type[ERPConnector], configured: int) -> int:
    """Invoices per export step: the connector's `export_step_size` where it states one (QuickBooks: what
    one look-up request covers, a multiple of its `export_batch_size`, docs/sync.md "Export steps"), else
    `configured` (`ERP_SYNC_BATCH_SIZE`)."""
    stated = getattr(connector, "export_step_size", None)
    return int(stated) if stated else configured


async def connection_step_size(
    session_factory: async_sessionmaker[AsyncSession], connection_id: uuid.UUID, configured: int
) -> int:
    """`step_size` for a stored connection, by its ERP's connector class (the job layer cuts a run's
    invoice ids into steps of this size before any connector is opened)."""
    async with session_factory() as session:
        connection = await session.get(ERPConnection, connection_id)
    if connection is None or not registry.find(connection.system_type.value):
        return configured
    return step_size(registry.get(connection.system_type.value), configured)


async def _close(ctx: SyncContext, report: ExportReport, failure: BaseException | None = None) -> None:
    await close_log(
        ctx.session_factory,
        report.log_id,
        total=report.total_count,
        succeeded=report.success_count,
        errors=report.errors,
        now=ctx.now(),
        failure=failure,
    )
    if failure is not None:
        report.status = SyncStatus.PARTIAL if report.success_count else SyncStatus.FAILED
    else:
        report.status = outcome_status(report.total_count, report.error_count)


@dataclass
class _ExportRun:
    ctx: SyncContext
    connection: ERPConnection
    report: ExportReport
    by: str
    hooks: ExportHooks

    async def batch(
        self,
        erp: ERPConnector,
        resolver: ReferenceResolver,
        ids: Sequence[uuid.UUID],
        rules: Sequence[CompiledRule],
    ) -> None:
        cid = self.connection.id
        async with self.ctx.session_factory() as session:
            loaded = await store.load_batch(session, cid, ids, rules)
        self.report.total_count += len(ids)
        for missing in loaded.missing:
            self._error(RecordError(record_id=str(missing), message=f"invoice {missing} does not exist"))
        ready = await self._prepare(loaded, resolver)
        if not ready:
            return
        checked = await self._check(erp, ready)  # duplicates and closed periods, before any write
        ready = [*checked.send, *((invoice, standard) for invoice, standard, _ in checked.linked)]
        if not ready:
            return
        batch_ids = [invoice.id for invoice, _ in ready]
        async with self.ctx.session_factory() as session, session.begin():
            sent_at = await store.write_pending(session, cid, batch_ids, self.ctx.now())
        if self.hooks.before_erp_call:
            await self.hooks.before_erp_call(batch_ids)
        # One call per `export_batch_size` bills, each recorded as soon as it is answered; the bills
        # already there are recorded with the first.
        per = int(getattr(erp, "export_batch_size", None) or len(checked.send) or 1)
        calls = [checked.send[i : i + per] for i in range(0, len(checked.send), per)] or [[]]
        for number, send in enumerate(calls):
            linked = checked.linked if number == 0 else []
            this = [*send, *((invoice, standard) for invoice, standard, _ in linked)]
            this_ids = [invoice.id for invoice, _ in this]
            try:
                outcomes = [outcome for *_, outcome in linked]
                if send:
                    outcomes += await erp.export_invoices([standard for _, standard in send])
            except ERPError as exc:
                async with self.ctx.session_factory() as session, session.begin():
                    await store.mark_unanswered(
                        session, cid, this_ids, f"{type(exc).__name__}: {exc}", self.ctx.now()
                    )
                raise
            if self.hooks.after_erp_call:
                await self.hooks.after_erp_call(this_ids)
            await self._record(this, outcomes, sent_at)

    async def _check(self, erp: ERPConnector, ready: list[tuple[Invoice, ERPInvoice]]) -> guards.Checked:
        """`export_guards.check_batch`, its reviews and notes stored at once (sync.export.review)."""
        checked = await guards.check_batch(
            erp,
            ready,
            connection_id=self.connection.id,
            policy=guards.ClosedPeriodPolicy.of(self.connection.closed_period_policy),
            cache=self.ctx.reference_cache,
            now=self.ctx.now,
        )
        items = [
            review_.ToReview(r.invoice.id, r.invoice.invoice_number, r.code, r.reason, r.bill_id)
            for r in checked.review
        ]
        async with self.ctx.session_factory() as session, session.begin():
            await review_.send_to_review(session, self.connection.id, items, self.ctx.now())
            await review_.note_log(session, self.report.log_id, checked.notes)
        for item in items:
            field_name = "invoice_date" if item.code == "period_locked" else "invoice_number"
            self._error(
                RecordError(
                    record_id=str(item.invoice_id), field=field_name, code=item.code, message=item.reason
                )
            )
            if item.bill_id is not None:
                self.report.review[item.invoice_id] = item.bill_id
        self.report.linked.update({i.id: str(o.result.external_id) for i, _, o in checked.linked if o.result})
        return checked

    async def _prepare(
        self, loaded: store.Batch, resolver: ReferenceResolver
    ) -> list[tuple[Invoice, ERPInvoice]]:
        ready: list[tuple[Invoice, ERPInvoice]] = []
        for invoice in loaded.invoices:
            if invoice.id in loaded.mapped:  # exported before: nothing to do, and not an error
                self.report.success_count += 1
                self.report.already_exported_count += 1
                self.report.bills[invoice.id] = loaded.mapped[invoice.id]
                continue
            if invoice.status not in _EXPORTABLE:
                self._error(
                    RecordError(
                        record_id=str(invoice.id),
                        field="status",
                        code="not_approved",
                        message=f"invoice {invoice.invoice_number} is {invoice.status.value}; "
                        "only approved invoices are exported",
                    )
                )
                continue
            try:
                ready.append((invoice, await build_invoice(invoice, loaded.refs, resolver)))
            except InvoiceRefused as refused:
                for error in refused.errors:
                    self._error(error)
        return ready

    async def _record(
        self,
        ready: Sequence[tuple[Invoice, ERPInvoice]],
        outcomes: Sequence[InvoiceExportOutcome],
        sent_at: dict[uuid.UUID, dt.datetime],
    ) -> None:
        cid, now = self.connection.id, self.ctx.now()
        erp_name = self.connection.system_type.value
        by_key = {o.smartap_invoice_id: o for o in outcomes}
        confirmed: list[store.Confirmed] = []
        failed: list[tuple[uuid.UUID, str]] = []
        review: list[tuple[uuid.UUID, str, str]] = []
        locked: list[review_.ToReview] = []  # the period closed between the check and the write
        async with self.ctx.session_factory() as session, session.begin():
            results = [by_key.get(str(invoice.id)) for invoice, _ in ready]
            taken = await store.taken_bills(
                session, cid, [o.result.external_id for o in results if o and o.result]
            )
            for (invoice, standard), outcome in zip(ready, results, strict=True):
                reason = self._refusal(invoice, outcome, taken)
                if (
                    reason is not None
                    and classify_record(erp_name, reason.code, reason.message) is ErrorKind.PERIOD_LOCKED
                ):
                    message = f"{reason.message} (period locked in the ERP after SmartAP's check)"
                    locked.append(
                        review_.ToReview(invoice.id, invoice.invoice_number, "period_locked", message)
                    )
                    self._error(reason.model_copy(update={"message": message}))
                    continue
                if reason is not None:
                    failed.append((invoice.id, reason.message))
                    self._error(reason)
                    continue
                assert outcome is not None and outcome.result is not None
                mismatch = total_mismatch(standard, outcome.result.erp_total)
                if mismatch is not None:  # the bill exists: keep its id, never mark it exported
                    bill_id = outcome.result.external_id
                    message = f"invoice {invoice.invoice_number}: {mismatch}; ERP bill {bill_id} needs review"
                    review.append((invoice.id, bill_id, message))
                    self.report.review[invoice.id] = bill_id
                    self._error(
                        RecordError(
                            record_id=str(invoice.id), field="total", code="total_mismatch", message=message
                        )
                    )
                    continue
                confirmed.append(store.Confirmed(invoice, outcome.result, sent_at[invoice.id]))
            await store.confirm(session, cid, confirmed, by=self.by, now=now)
            await store.mark_failed(session, cid, failed, now)
            await store.mark_review(session, cid, review, now)
            await review_.send_to_review(session, cid, locked, now)
        if locked:  # the ERP knows better than the cached read: read its periods again next batch
            self.ctx.reference_cache.forget_periods(cid)
        for c in confirmed:
            self.report.success_count += 1
            self.report.created_count += int(c.result.created)
            self.report.bills[c.invoice.id] = c.result.external_id

    @staticmethod
    def _refusal(
        invoice: Invoice, outcome: InvoiceExportOutcome | None, taken: dict[str, uuid.UUID]
    ) -> RecordError | None:
        record_id = str(invoice.id)
        if outcome is None:
            return RecordError(
                record_id=record_id,
                message=f"invoice {invoice.invoice_number}: the ERP connector returned no outcome for it",
            )
        if outcome.error is not None:
            error = outcome.error
            return RecordError(
                record_id=record_id,
                field=error.field,
                code=error.code,
                message=f"invoice {invoice.invoice_number}: {error.message}",
            )
        assert outcome.result is not None
        owner = taken.get(outcome.result.external_id)
        if owner is not None and owner != invoice.id:
            return RecordError(
                record_id=record_id,
                code="bill_already_linked",
                message=f"invoice {invoice.invoice_number}: ERP bill {outcome.result.external_id} "
                f"is already linked to SmartAP invoice {owner}",
            )
        return None

    def _error(self, error: RecordError) -> None:
        self.report.errors.append(error)
