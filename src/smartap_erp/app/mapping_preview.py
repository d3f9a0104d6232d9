"""Previews of field mappings in the application layer: what a connection's stored mappings (or one
rule not stored) make of sample records, given (`preview_mappings`) or read from the ERP
(`preview_from_erp`: one small page of vendors or purchase orders through the connection's
connector, read-only, on the same HTTP stack and rate limits as a sync). Nothing is stored. The
rules are compiled, checked and evaluated by `app.mappings` (`rules_for`, `apply_rules`); a record
the ERP gave that could not be read, a rule failing on a record, or a mapped record no import would
accept, is an error of that record.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Sequence
from typing import Any, Literal

from pydantic import BaseModel, ValidationError

from smartap_erp.app.connections import with_connector
from smartap_erp.app.context import AppContext
from smartap_erp.app.mappings import Record, RuleInput, RuleResult, apply_rules, rules_for
from smartap_erp.app.models import AppModel, LoggedRecordError
from smartap_erp.connectors.base import ERPConnector, LimitedPages
from smartap_erp.connectors.models import RecordPage
from smartap_erp.db.models import ERPConnection
from smartap_erp.domain.enums import ERPEntity, SyncDirection
from smartap_erp.domain.models import ERPPurchaseOrder, ERPVendor
from smartap_erp.domain.results import RecordError
from smartap_erp.errors import ConfigurationError
from smartap_erp.mappings.apply import CompiledRule
from smartap_erp.mappings.fields import direction_of

MAX_SAMPLES = 100  # a preview is for a person to read, not a batch job
MAX_FETCH = 20  # records a preview reads from the ERP: one small page
DEFAULT_FETCH = 5
# What a preview can read from the ERP: the imported entities, as the connector's standard records
# (an export preview's samples are SmartAP invoices, which the ERP does not hold).
FETCHED: dict[ERPEntity, type[BaseModel]] = {
    ERPEntity.VENDOR: ERPVendor,
    ERPEntity.PURCHASE_ORDER: ERPPurchaseOrder,
}


class PreviewRecord(RuleResult):
    """One record of a preview: what went in (`input`: the sample, or the ERP's record as its standard
    model; None when the ERP's record could not be read), what the rules wrote and why it failed."""

    erp_id: str | None = None  # the ERP's id of a record read from the ERP
    input: Record | None


class MappingPreview(AppModel):
    """What a connection's stored mappings of one entity (or one rule) make of each record, in order."""

    connection_id: uuid.UUID
    entity: ERPEntity
    direction: SyncDirection
    source: Literal["samples", "erp"]  # records given by the caller, or read from the ERP
    mappings: int  # how many rules applied
    records: list[PreviewRecord]


def _answer(
    found: ERPConnection,
    entity: ERPEntity,
    source: Literal["samples", "erp"],
    rules: Sequence[CompiledRule],
    records: list[PreviewRecord],
) -> MappingPreview:
    direction = direction_of(entity)
    return MappingPreview(
        connection_id=found.id,
        entity=entity,
        direction=direction,
        source=source,
        mappings=len(rules),
        records=records,
    )


async def preview_mappings(
    ctx: AppContext,
    name_or_id: str,
    entity: ERPEntity,
    samples: Sequence[Record],
    *,
    rule: RuleInput | None = None,
) -> MappingPreview:
    """The connection's stored mappings of `entity` applied to sample records, as a sync would
    apply them (import: onto the record itself; export: onto the bill's fields). With `rule`, that
    rule alone instead, compiled and checked against the connection's ERP catalogue first (a refusal
    is `MappingRefusedError` with where it is); nothing is stored."""
    if not 1 <= len(samples) <= MAX_SAMPLES:
        raise ConfigurationError(f"a preview takes 1 to {MAX_SAMPLES} sample records, got {len(samples)}")
    direction = direction_of(entity)
    found, rules = await rules_for(ctx, name_or_id, entity, rule)
    results = await apply_rules(samples, rules, direction, onto_copy=direction is SyncDirection.IMPORT)
    records = [PreviewRecord(**r.model_dump(), input=s) for r, s in zip(results, samples, strict=True)]
    return _answer(found, entity, "samples", rules, records)


async def _first_page(erp: ERPConnector, entity: ERPEntity, limit: int) -> list[BaseModel | RecordError]:
    """The first non-empty page of the connector's own read of `entity` (all records, no `since`),
    cut to `limit`; its paging is closed after it, so no further page is asked for. Connectors with a
    `page_size` (Xero, SAP, NetSuite) are asked for pages of `limit`; QuickBooks reads its COUNT and
    one query page (MAXRESULTS is fixed in its queries)."""
    size = getattr(erp, "page_size", None)
    if isinstance(size, int) and size > limit:
        setattr(erp, "page_size", limit)  # noqa: B010 (an instance knob of some connectors only)
    pages: AsyncIterator[RecordPage[Any]] = (
        erp.iter_vendors() if entity is ERPEntity.VENDOR else erp.iter_purchase_orders()
    )
    async with LimitedPages(pages, limit) as read:
        async for outcomes in read:
            if outcomes:
                return list(outcomes)
    return []


def _after_mapping(model: type[BaseModel], result: RuleResult, erp_id: str | None) -> list[LoggedRecordError]:
    """The rules' errors, or else why the mapped record is no longer a valid standard record (what an
    import would refuse it for, `sync.records.map_records`)."""
    if result.errors:
        return result.errors
    try:
        model.model_validate(result.result)
    except ValidationError as exc:
        error = exc.errors()[0]
        field = ".".join(str(p) for p in error["loc"]) or None
        return [
            LoggedRecordError(record_id=erp_id, field=field, message=f"after field mappings: {error['msg']}")
        ]
    return []


async def preview_from_erp(
    ctx: AppContext,
    name_or_id: str,
    entity: ERPEntity,
    *,
    rule: RuleInput | None = None,
    limit: int = DEFAULT_FETCH,
) -> MappingPreview:
    """`preview_mappings` on up to `limit` (1..MAX_FETCH) vendors or purchase orders read now from
    the connection's ERP (one small page through its connector: read-only, its rate limits and
    retries). The rule is compiled before the ERP is asked. Each record says what went in and what
    came out; a record the ERP gave that could not be read, a rule failing on a record, or a mapped
    record no import would accept, is an error of that record. An ERP failure raises its `ERPError`
    (a refused authorisation also marks the connection, as every call reaching an ERP does)."""
    model = FETCHED.get(entity)
    if model is None:
        raise ConfigurationError(
            f"a {entity.value} preview cannot read its records from the ERP: give sample records "
            f"(only {' and '.join(e.value for e in FETCHED)} are read from the ERP)"
        )
    if not 1 <= limit <= MAX_FETCH:
        raise ConfigurationError(f"a preview reads 1 to {MAX_FETCH} records from the ERP, not {limit}")
    direction = direction_of(entity)
    found, rules = await rules_for(ctx, name_or_id, entity, rule)
    _, outcomes = await with_connector(ctx, str(found.id), lambda erp: _first_page(erp, entity, limit))
    read = [o for o in outcomes if not isinstance(o, RecordError)]
    ids = [str(getattr(o, "external_id", "") or "") or None for o in read]
    inputs: list[Record] = [o.model_dump(mode="json") for o in read]
    results = iter(
        zip(
            inputs,
            ids,
            await apply_rules(inputs, rules, direction, onto_copy=True, record_ids=ids),
            strict=True,
        )
        if read
        else ()
    )
    records = []
    for outcome in outcomes:
        if isinstance(outcome, RecordError):
            error = LoggedRecordError(**outcome.model_dump())
            records.append(PreviewRecord(erp_id=outcome.record_id, input=None, result={}, errors=[error]))
            continue
        given, erp_id, result = next(results)
        errors = _after_mapping(model, result, erp_id)
        records.append(PreviewRecord(erp_id=erp_id, input=given, result=result.result, errors=errors))
    return _answer(found, entity, "erp", rules, records)
