"""Inbound webhooks in the application layer: a speed-up on top of polling, never instead of it.

`receive` runs inside the request: it verifies the signature of the raw body (`webhook_payloads`),
reads the events and saves each new one in `erp_webhook_events` (a redelivered event meets the
unique (ERP, dedupe key) pair and is skipped), and answers which events are new. `dispatch` runs after
the answer has gone: it finds the connections of each event's realm (QuickBooks, from the encrypted
credentials) or tenant (Xero, the `tenant_id` column), and requests one targeted incremental job per
connection and kind through `app.syncs.request_job` (an identical job already queued is joined):
vendors for vendor/contact events, purchase orders for purchase-order events, the payment status of
exported bills for bill, bill payment, invoice and credit note events. The job reads the ERP's
current state, so events arriving out of order (Intuit says they may) are harmless, and a missed one
is caught by the schedule's polling. Only connections the schedule would sync are targeted
(automatic syncs on, not in error). An unknown realm or tenant is logged and kept as `unmatched`;
nothing here ever turns into an error answer, because Intuit holds later events until one is
acknowledged (erp-api-facts §1.13) and Xero disables a webhook that keeps failing (§2.11).

`sweep` runs in the workers (`jobs.worker.Upkeep`): it dispatches again the events a dead server left
`received` past `SWEEP_GRACE` (so a live dispatch is not raced) and those whose queueing `failed`
within `RETRY_WITHIN`, claiming them first (one compare-and-set update, so two workers never both
take one), and deletes events older than `KEEP_FOR`; at most `SWEEP_BATCH` rows each per pass.

The secrets are the provider settings `QUICKBOOKS_WEBHOOK_VERIFIER_TOKEN` and `XERO_WEBHOOK_KEY`
(`connectors/<erp>/provider.py`); they are never logged. With none set, every request is refused as
unsigned (`WebhookNotConfigured`), since nothing can be verified.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal, cast

from sqlalchemy import Table, and_, delete, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite

from smartap_erp.app import syncs
from smartap_erp.app.context import AppContext
from smartap_erp.app.webhook_payloads import (
    QUICKBOOKS_HEADER,
    XERO_HEADER,
    InboundEvent,
    WebhookPayloadError,
    parse_quickbooks,
    parse_xero,
    verify_signature,
)
from smartap_erp.connectors.registry import registry
from smartap_erp.db.connections import read_credentials
from smartap_erp.db.models import ERPConnection, ERPWebhookEvent
from smartap_erp.domain.enums import ConnectionStatus
from smartap_erp.errors import SmartAPError
from smartap_erp.http.redact import get_logger

log = get_logger(__name__)

ERP = Literal["quickbooks", "xero"]
SECRET_SETTING: dict[str, str] = {
    "quickbooks": "QUICKBOOKS_WEBHOOK_VERIFIER_TOKEN",
    "xero": "XERO_WEBHOOK_KEY",
}
SIGNATURE_HEADER: dict[str, str] = {"quickbooks": QUICKBOOKS_HEADER, "xero": XERO_HEADER}
TRIGGERED_BY = "webhook"
# What an event asks for, by the entity (QuickBooks) or category (Xero) it names, in lower case.
# Xero has no payment category: a payment changes its invoice, which raises an INVOICE UPDATE
# (UNCERTAIN in erp-api-facts §2.11; the schedule's polling covers it if not).
TARGETS: dict[str, dict[str, str]] = {
    "quickbooks": {
        "vendor": "vendor",
        "purchaseorder": "purchase_order",
        "bill": "payments",
        "billpayment": "payments",
    },
    "xero": {"contact": "vendor", "invoice": "payments", "creditnote": "payments"},
}
RECEIVED, QUEUED, UNMATCHED, IGNORED, FAILED = "received", "queued", "unmatched", "ignored", "failed"
SWEEP_GRACE = dt.timedelta(minutes=2)  # a `received` event younger than this may still be dispatching
RETRY_WITHIN = dt.timedelta(days=1)  # older events are long covered by polling: no point retrying
KEEP_FOR = dt.timedelta(days=30)  # stored events older than this are deleted
SWEEP_BATCH = 500  # rows claimed, and rows deleted, per pass at most
CLAIMED = "claimed by the sweep: requesting its jobs again"


class WebhookSignatureError(SmartAPError):
    """The signature header is missing or does not match the body under the configured secret."""


class WebhookNotConfigured(WebhookSignatureError):
    """No secret is configured for this ERP's webhooks: nothing can be verified."""


@dataclass
class Received:
    """What `receive` made of a request: the events read, and the ids of those saved as new."""

    erp: str
    events: int = 0
    new_ids: list[uuid.UUID] = field(default_factory=list)
    unreadable: str | None = None  # a signed body that is not the ERP's payload: acknowledged, logged


@dataclass
class Dispatched:
    """What `dispatch` requested: job ids per (connection id, kind), and the accounts with no connection."""

    jobs: dict[tuple[uuid.UUID, str], str] = field(default_factory=dict)
    unmatched: set[str] = field(default_factory=set)
    failed: list[str] = field(default_factory=list)


@dataclass
class Swept:
    """What one `sweep` pass did: the events it dispatched again (by ERP), and the rows it deleted."""

    retried: dict[str, int] = field(default_factory=dict)
    jobs: int = 0
    failed: int = 0
    deleted: int = 0


def secret_for(ctx: AppContext, erp: str) -> str | None:
    """The configured verifier token / webhook key of `erp`, or None."""
    value = registry.provider(erp).setting_value(ctx.settings, SECRET_SETTING[erp])
    return str(value) if value else None


def check_signature(ctx: AppContext, erp: str, body: bytes, signature: str | None) -> None:
    """Nothing if `signature` signs `body` under `erp`'s secret; `WebhookSignatureError` otherwise."""
    secret = secret_for(ctx, erp)
    if secret is None:
        log.warning("%s webhook refused: %s is not set", erp, SECRET_SETTING[erp])
        raise WebhookNotConfigured(f"{SECRET_SETTING[erp]} is not set: webhooks cannot be verified")
    if not verify_signature(secret, body, signature):
        log.warning("%s webhook refused: the %s header is missing or wrong", erp, SIGNATURE_HEADER[erp])
        raise WebhookSignatureError(f"the {SIGNATURE_HEADER[erp]} signature does not match the body")


async def receive(ctx: AppContext, erp: ERP, body: bytes, signature: str | None) -> Received:
    """Verify, read and save the events of one delivery (see the module docstring); raises only
    `WebhookSignatureError`."""
    check_signature(ctx, erp, body, signature)
    received = Received(erp)
    try:
        events = parse_quickbooks(body) if erp == "quickbooks" else parse_xero(body)
    except WebhookPayloadError as exc:
        # Signed by the ERP, so answering an error would only stall its queue: acknowledge and log.
        log.warning("%s webhook acknowledged but unreadable: %s", erp, exc)
        received.unreadable = str(exc)
        return received
    received.events = len(events)
    if events:
        received.new_ids = await _save(ctx, events)
    log.info("%s webhook: %d event(s), %d new", erp, len(events), len(received.new_ids))
    return received


async def _save(ctx: AppContext, events: Sequence[InboundEvent]) -> list[uuid.UUID]:
    """Insert each event unless its (ERP, dedupe key) is there already; the ids inserted."""
    table = cast(Table, ERPWebhookEvent.__table__)
    new: list[uuid.UUID] = []
    async with ctx.sessions() as session, session.begin():
        insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
        for event in dict((e.dedupe_key, e) for e in events).values():  # twice in one body: once
            ident = uuid.uuid4()
            values = {
                "id": ident,
                "erp_system": event.erp,
                "dedupe_key": event.dedupe_key,
                "account_id": event.account_id,
                "entity": event.entity[:64],
                "entity_id": event.entity_id,
                "operation": event.operation[:32],
                "occurred_at": event.occurred_at,
                "received_at": dt.datetime.now(dt.UTC),
                "status": "received",
            }
            statement = insert(table).values(**values)
            done = await session.execute(
                statement.on_conflict_do_nothing(index_elements=["erp_system", "dedupe_key"])
            )
            if int(getattr(done, "rowcount", 0)) == 1:
                new.append(ident)
    return new


async def dispatch(
    ctx: AppContext, queue: syncs.JobQueue, erp: ERP, event_ids: Sequence[uuid.UUID]
) -> Dispatched:
    """Request the jobs the saved events `event_ids` call for and record what became of each event
    (see the module docstring). Never raises for a business failure: a job that could not be
    requested is logged and its events marked `failed` (the schedule's polling still covers them)."""
    result = Dispatched()
    async with ctx.sessions() as session:
        rows = list(
            (await session.scalars(select(ERPWebhookEvent).where(ERPWebhookEvent.id.in_(event_ids)))).all()
        )
    if not rows:
        return result
    by_account = await _connections_by_account(ctx, erp)
    wanted: dict[uuid.UUID, list[tuple[uuid.UUID, str]]] = {}
    outcome: dict[uuid.UUID, tuple[str, str]] = {}
    for row in rows:
        kind = TARGETS[erp].get(row.entity.lower())
        targets = by_account.get(row.account_id.lower(), [])
        if kind is None:
            outcome[row.id] = (IGNORED, f"no sync reads {row.entity} changes")
        elif not targets:
            result.unmatched.add(row.account_id)
            outcome[row.id] = (UNMATCHED, f"no connection syncs {erp} company {row.account_id}")
        else:
            wanted[row.id] = [(cid, kind) for cid in targets]
    for account in sorted(result.unmatched):
        log.warning("%s webhook for company %s acknowledged: no connection syncs it", erp, account)
    pairs = dict.fromkeys(pair for pairs in wanted.values() for pair in pairs)
    for cid, kind in pairs:
        job = await _request(ctx, queue, erp, cid, kind)
        if job is None:
            result.failed.append(f"{kind} of connection {cid}")
        else:
            result.jobs[(cid, kind)] = job
    for event_id, event_pairs in wanted.items():
        jobs = [
            f"{kind} job {result.jobs[(cid, kind)]}"
            for cid, kind in event_pairs
            if (cid, kind) in result.jobs
        ]
        outcome[event_id] = (QUEUED, "; ".join(jobs)) if jobs else (FAILED, "the job could not be requested")
    async with ctx.sessions() as session, session.begin():
        for event_id, (status, detail) in outcome.items():
            await session.execute(
                update(ERPWebhookEvent)
                .where(ERPWebhookEvent.id == event_id)
                .values(status=status, detail=detail[:1000])
            )
    return result


async def _request(ctx: AppContext, queue: syncs.JobQueue, erp: str, cid: uuid.UUID, kind: str) -> str | None:
    """Request one targeted incremental job (joined if an identical one is queued); its id, or None."""
    by = f"{TRIGGERED_BY}:{erp}"
    request: syncs.JobRequest = (
        syncs.PaymentsRequest(triggered_by=by)
        if kind == "payments"
        else syncs.SyncRequest(entities=[kind], triggered_by=by)
    )
    try:
        requested = await syncs.request_job(ctx, queue, str(cid), request)
    except Exception:  # the answer has gone: nothing to tell the ERP, polling covers the change
        log.exception("%s webhook: could not request the %s job of connection %s", erp, kind, cid)
        return None
    log.info(
        "%s webhook: %s job %s for connection %s (%s)",
        erp,
        kind,
        requested.job_id,
        cid,
        "joined" if requested.joined else "queued",
    )
    return requested.job_id


async def _connections_by_account(ctx: AppContext, erp: str) -> dict[str, list[uuid.UUID]]:
    """The connections the schedule would sync (automatic syncs on, not in error) by the realm id
    (QuickBooks: in the encrypted credentials) or tenant id (Xero: the `tenant_id` column), lower case."""
    found: dict[str, list[uuid.UUID]] = {}
    async with ctx.sessions() as session:
        rows = (
            await session.scalars(
                select(ERPConnection).where(
                    ERPConnection.system_type == erp,
                    ERPConnection.auto_sync_enabled.is_(True),
                    ERPConnection.status != ConnectionStatus.ERROR,
                )
            )
        ).all()
    for connection in rows:
        account = connection.tenant_id
        if erp == "quickbooks":
            try:
                account = str(read_credentials(connection, vault=ctx.vault).get("realm_id") or "")
            except SmartAPError as exc:  # a key no longer held: that connection cannot sync either
                log.warning(
                    "quickbooks webhook: connection %s credentials unreadable: %s", connection.id, exc
                )
                continue
        if account:
            found.setdefault(account.lower(), []).append(connection.id)
    return found


async def sweep(
    ctx: AppContext, queue: syncs.JobQueue, *, now: dt.datetime, limit: int = SWEEP_BATCH
) -> Swept:
    """One bounded pass (see the module docstring): delete events older than `KEEP_FOR`, then claim
    and dispatch again those left `received` past `SWEEP_GRACE` or `failed` within `RETRY_WITHIN`.
    A claimed event reads `queued` until `dispatch` records its outcome; should this worker die in
    between, it stays so and the schedule's polling covers the change, as it does for every event."""
    swept = Swept(deleted=await _delete_old(ctx, now - KEEP_FOR, limit))
    for erp, ids in (await _claim(ctx, now, limit)).items():
        swept.retried[erp] = len(ids)
        dispatched = await dispatch(ctx, queue, cast(ERP, erp), ids)
        swept.jobs += len(dispatched.jobs)
        swept.failed += len(dispatched.failed)
        log.info("%s webhook sweep: %d event(s) dispatched again", erp, len(ids))
    if swept.deleted:
        log.info("webhook sweep: %d event(s) older than %d days deleted", swept.deleted, KEEP_FOR.days)
    return swept


async def _delete_old(ctx: AppContext, before: dt.datetime, limit: int) -> int:
    async with ctx.sessions() as session, session.begin():
        oldest = select(ERPWebhookEvent.id).where(ERPWebhookEvent.received_at < before)
        ids = list((await session.scalars(oldest.order_by(ERPWebhookEvent.received_at).limit(limit))).all())
        if ids:
            await session.execute(
                delete(ERPWebhookEvent)
                .where(ERPWebhookEvent.id.in_(ids))
                .execution_options(synchronize_session=False)
            )
    return len(ids)


async def _claim(ctx: AppContext, now: dt.datetime, limit: int) -> dict[str, list[uuid.UUID]]:
    """Take up to `limit` events due again, oldest first: the update re-checks their status, so of two
    workers claiming at once (PostgreSQL re-reads a row locked by the other; SQLite writes one at a
    time) only the first gets each row. The ids claimed, by ERP."""
    due = and_(
        ERPWebhookEvent.received_at >= now - RETRY_WITHIN,
        or_(
            and_(ERPWebhookEvent.status == RECEIVED, ERPWebhookEvent.received_at < now - SWEEP_GRACE),
            ERPWebhookEvent.status == FAILED,
        ),
    )
    claimed: dict[str, list[uuid.UUID]] = {}
    async with ctx.sessions() as session, session.begin():
        candidates = select(ERPWebhookEvent.id).where(due).order_by(ERPWebhookEvent.received_at).limit(limit)
        ids = list((await session.scalars(candidates)).all())
        if not ids:
            return claimed
        rows = await session.execute(
            update(ERPWebhookEvent)
            .where(ERPWebhookEvent.id.in_(ids), ERPWebhookEvent.status.in_([RECEIVED, FAILED]))
            .values(status=QUEUED, detail=CLAIMED)
            .returning(ERPWebhookEvent.id, ERPWebhookEvent.erp_system)
            .execution_options(synchronize_session=False)
        )
        for ident, erp in rows.all():
            claimed.setdefault(str(erp), []).append(ident)
    return claimed
