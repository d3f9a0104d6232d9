"""Field mappings in the application layer: add, list, change, remove a connection's mappings, try a
rule on a sample record (nothing stored), check a rule against a connection's field catalogue, and
the rules and their evaluation that previews use (`app.mapping_preview`: what a connection's
mappings make of sample records, or of records read from the ERP).

A mapping is a user's CEL rule copying one field to another (`mappings.apply`). It is compiled when
added (a bad expression or regex is refused with where and why) and both of its fields are checked
against the field catalogue of the connection's ERP (`mappings.fields`): a refusal is
`MappingRefusedError`, one line. Rules are evaluated in the sandbox's worker processes, in a thread
here so an API's event loop never waits; a rule failing on a record is a `LoggedRecordError` of that
record, while a sandbox that cannot evaluate at all is `RuleEvaluationError`.
"""

from __future__ import annotations

import asyncio
import copy
import uuid
from collections.abc import Sequence

from pydantic import AwareDatetime, Field, JsonValue
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from smartap_erp.app.context import AppContext, resolve_connection
from smartap_erp.app.models import AppModel, LoggedRecordError, parse_id
from smartap_erp.connectors.registry import registry
from smartap_erp.db.models import ERPConnection, ERPFieldMapping
from smartap_erp.domain.enums import ERPEntity, ERPSystem, SyncDirection
from smartap_erp.errors import ConfigurationError, NotFoundError, SmartAPError
from smartap_erp.mappings.apply import (
    CompiledRule,
    MappingOutcome,
    MappingRule,
    MappingRuleError,
    apply_many,
    compile_rule,
)
from smartap_erp.mappings.expressions import ExpressionError, compile_expression
from smartap_erp.mappings.fields import MAPPED_ENTITIES, allowed_fields, check_fields, direction_of
from smartap_erp.mappings.sandbox import SandboxError
from smartap_erp.sync.records import load_rules

ENTITIES = MAPPED_ENTITIES  # the entities field mappings apply to
Record = dict[str, JsonValue]


class MappingRefusedError(ConfigurationError):
    """A rule that does not compile, or names a field the ERP's catalogue does not have (exit 2):
    `field` is the part refused (transformation_rule, erp_field ...), `line` and `column` where in the
    expression a syntax error is (1-based; None for other refusals)."""

    def __init__(
        self, message: str, *, field: str | None = None, line: int | None = None, column: int | None = None
    ) -> None:
        super().__init__(message)
        self.field, self.line, self.column = field, line, column


class RuleEvaluationError(SmartAPError):
    """The sandbox could not evaluate the rules at all (a worker failed to start or crashed)."""


class RuleInput(AppModel):
    """One rule: copy `smartap_field` to `erp_field` on export, the other way on import."""

    smartap_field: str  # a path: invoice_number, vendor.name, lines[0].description
    erp_field: str
    rule: str | None = None  # a CEL transformation of `value`, e.g. value.upper()
    default: str | None = Field(None, max_length=1024)  # the value when the source is empty
    required: bool = False  # refuse a record without a value
    regex: str | None = None  # the value must match

    def mapping_rule(self) -> MappingRule:
        return MappingRule(
            self.smartap_field, self.erp_field, self.rule, self.default, self.required, self.regex
        )


class MappingCreate(RuleInput):
    entity: ERPEntity
    description: str | None = None


class MappingView(AppModel):
    id: uuid.UUID
    connection_id: uuid.UUID
    entity: ERPEntity
    direction: SyncDirection  # import mappings change SmartAP's shared vendor / PO records
    smartap_field: str
    erp_field: str
    rule: str | None
    default: str | None
    required: bool
    regex: str | None
    description: str | None
    created_at: AwareDatetime


class RuleTest(RuleInput):
    """A rule tried on one sample record. With `erp` and `entity` both fields are checked against
    that ERP's catalogue and the entity sets the direction."""

    sample: Record
    direction: SyncDirection = SyncDirection.EXPORT  # export reads SmartAP fields, import ERP fields
    erp: str | None = None  # an ERP key a provider describes (quickbooks, xero, ...)
    entity: ERPEntity | None = None


class RuleResult(AppModel):
    result: Record  # the fields the rules wrote
    errors: list[LoggedRecordError]


class FieldCatalogue(AppModel):
    """The fields a mapping of `entity` may name on a connection's ERP: SmartAP's side and the ERP's
    (`lines[N].description`: N is any list index)."""

    entity: ERPEntity
    direction: SyncDirection
    smartap: list[str]
    erp: list[str]


class MappingRemoved(AppModel):
    id: uuid.UUID


class MappingUpdate(AppModel):
    """What to change in a stored mapping; fields left out stay. The changed rule is compiled and
    checked against the catalogue as a new one is. `rule`, `default`, `regex`, `description` given as
    null clear them."""

    smartap_field: str | None = None
    erp_field: str | None = None
    rule: str | None = None
    default: str | None = Field(None, max_length=1024)
    required: bool | None = None
    regex: str | None = None
    description: str | None = None


def view(mapping: ERPFieldMapping) -> MappingView:
    return MappingView(
        id=mapping.id,
        connection_id=mapping.connection_id,
        entity=mapping.entity_type,
        direction=direction_of(mapping.entity_type),
        smartap_field=mapping.smartap_field,
        erp_field=mapping.erp_field,
        rule=mapping.transformation_rule,
        default=mapping.default_value,
        required=mapping.is_required,
        regex=mapping.validation_regex,
        description=mapping.description,
        created_at=mapping.created_at,
    )


def _refused(exc: MappingRuleError, rule: MappingRule | None = None) -> MappingRefusedError:
    line = column = None
    if rule is not None and exc.field == "transformation_rule" and rule.transformation_rule:
        try:  # compile_rule keeps only the text of the expression's error; its position is here
            compile_expression(rule.transformation_rule)
        except ExpressionError as where:
            line, column = where.line, where.column
    return MappingRefusedError(f"mapping refused: {exc}", field=exc.field, line=line, column=column)


def _compile(rule: RuleInput, checked_against: tuple[ERPSystem, ERPEntity] | None = None) -> CompiledRule:
    candidate = rule.mapping_rule()
    try:
        compiled = compile_rule(candidate)
        if checked_against is not None:
            check_fields(candidate, *checked_against)
    except MappingRuleError as exc:
        raise _refused(exc, candidate) from None
    return compiled


async def add_mapping(ctx: AppContext, name_or_id: str, request: MappingCreate) -> MappingView:
    """Store a mapping after compiling its rule and regex and checking both fields."""
    _compile(request)  # the rule itself first: refused even before the connection is looked up
    async with ctx.sessions() as session:
        found = await resolve_connection(session, name_or_id)
        _compile(request, (found.system_type, request.entity))
        mapping = ERPFieldMapping(
            connection_id=found.id,
            entity_type=request.entity,
            smartap_field=request.smartap_field,
            erp_field=request.erp_field,
            transformation_rule=request.rule,
            default_value=request.default,
            is_required=request.required,
            validation_regex=request.regex,
            description=request.description,
        )
        session.add(mapping)
        await session.commit()
        return view(mapping)


async def list_mappings(
    ctx: AppContext, name_or_id: str, *, entity: ERPEntity | None = None
) -> list[MappingView]:
    """The connection's mappings (of one entity if given), by entity and SmartAP field."""
    async with ctx.sessions() as session:
        found = await resolve_connection(session, name_or_id)
        query = select(ERPFieldMapping).where(ERPFieldMapping.connection_id == found.id)
        if entity is not None:
            query = query.where(ERPFieldMapping.entity_type == entity)
        rows = await session.scalars(
            query.order_by(ERPFieldMapping.entity_type, ERPFieldMapping.smartap_field, ERPFieldMapping.id)
        )
        return [view(mapping) for mapping in rows]


async def _mapping(
    session: AsyncSession, mapping_id: str | uuid.UUID, connection: str | None
) -> ERPFieldMapping:
    """The mapping with this id (of this connection, a name or id, when given), or `NotFoundError`."""
    wanted = parse_id(mapping_id, "mapping")
    mapping = await session.get(ERPFieldMapping, wanted)
    if (
        mapping is not None
        and connection is not None
        and mapping.connection_id != (await resolve_connection(session, connection)).id
    ):
        mapping = None
    if mapping is None:
        raise NotFoundError(
            f"no mapping with id {wanted}" + (f" on connection {connection!r}" if connection else "")
        )
    return mapping


async def remove_mapping(
    ctx: AppContext, mapping_id: str | uuid.UUID, *, connection: str | None = None
) -> MappingRemoved:
    """Delete one mapping by id (only if it is `connection`'s, when given)."""
    async with ctx.sessions() as session:
        mapping = await _mapping(session, mapping_id, connection)
        await session.delete(mapping)
        await session.commit()
        return MappingRemoved(id=mapping.id)


async def update_mapping(
    ctx: AppContext, mapping_id: str | uuid.UUID, changes: MappingUpdate, *, connection: str | None = None
) -> MappingView:
    """Change a stored mapping; the result is compiled and checked as a new mapping is."""
    given = changes.model_fields_set
    if not given:
        raise ConfigurationError("nothing to change: give at least one field")
    cleared = (
        given & {"smartap_field", "erp_field", "required"} - changes.model_dump(exclude_none=True).keys()
    )
    if cleared:
        raise ConfigurationError(f"{', '.join(sorted(cleared))} cannot be cleared, only changed")
    async with ctx.sessions() as session:
        mapping = await _mapping(session, mapping_id, connection)
        now = view(mapping).model_dump(include=set(RuleInput.model_fields))
        merged = RuleInput(**{**now, **changes.model_dump(include=given - {"description"})})
        owner = await session.get(ERPConnection, mapping.connection_id)
        assert owner is not None  # a mapping's connection is its foreign key
        _compile(merged, (owner.system_type, mapping.entity_type))
        mapping.smartap_field, mapping.erp_field = merged.smartap_field, merged.erp_field
        mapping.transformation_rule, mapping.default_value = merged.rule, merged.default
        mapping.is_required, mapping.validation_regex = merged.required, merged.regex
        if "description" in given:
            mapping.description = changes.description
        await session.commit()
        await session.refresh(mapping)
        return view(mapping)


def _result(outcome: MappingOutcome) -> RuleResult:
    return RuleResult(
        result=outcome.values,
        errors=[LoggedRecordError(**error.model_dump()) for error in outcome.errors],
    )


async def apply_rules(
    samples: Sequence[Record],
    rules: Sequence[CompiledRule],
    direction: SyncDirection,
    *,
    onto_copy: bool,
    record_ids: Sequence[str | None] | None = None,
) -> list[RuleResult]:
    """Apply `rules` to every sample in one sandbox call. Import maps a record onto a copy of itself
    (as an import does, `sync.records`); export and rule tests write into an empty record."""
    targets = [copy.deepcopy(sample) if onto_copy else {} for sample in samples]
    try:
        outcomes = await asyncio.to_thread(
            apply_many,
            samples,
            rules,
            direction=direction,
            targets=targets,
            record_ids=record_ids or [None] * len(samples),
        )
    except SandboxError as exc:
        raise RuleEvaluationError(f"the rule could not be evaluated: {exc}") from None
    return [_result(outcome) for outcome in outcomes]


async def test_rule(request: RuleTest) -> RuleResult:
    """What one rule makes of a sample record; nothing is read or stored."""
    if (request.erp is None) != (request.entity is None):
        raise ConfigurationError("--erp and --entity go together: the catalogue is per ERP and entity")
    direction = request.direction
    checked_against = None
    if request.erp is not None and request.entity is not None:
        # an ERP no provider describes is refused in one line listing the known ones
        checked_against = (ERPSystem(registry.provider(request.erp).system), request.entity)
        direction = direction_of(request.entity)
    compiled = _compile(request, checked_against)
    return (await apply_rules([request.sample], [compiled], direction, onto_copy=False))[0]


async def rules_for(
    ctx: AppContext, name_or_id: str, entity: ERPEntity, rule: RuleInput | None
) -> tuple[ERPConnection, list[CompiledRule]]:
    """The connection, and `rule` compiled and checked against its ERP's catalogue (a refusal is
    `MappingRefusedError` with where it is), or else its stored mappings of `entity` (what a preview
    applies, `app.mapping_preview`)."""
    async with ctx.sessions() as session:
        found = await resolve_connection(session, name_or_id)
        if rule is not None:
            return found, [_compile(rule, (found.system_type, entity))]
        try:
            return found, await load_rules(session, found.id, entity)
        except MappingRuleError as exc:
            raise _refused(exc) from None


async def check_rule(ctx: AppContext, name_or_id: str, entity: ERPEntity, rule: RuleInput) -> None:
    """Compile `rule` and check its fields against the connection's ERP catalogue, as saving it would;
    a refusal is `MappingRefusedError` with where it is (nothing is evaluated or stored)."""
    await rules_for(ctx, name_or_id, entity, rule)


async def field_catalogue(ctx: AppContext, name_or_id: str, entity: ERPEntity) -> FieldCatalogue:
    """What a mapping of `entity` may name on the connection's ERP (`MappingRefusedError` for an
    entity mappings do not cover)."""
    async with ctx.sessions() as session:
        found = await resolve_connection(session, name_or_id)
    try:
        smartap, erp = allowed_fields(found.system_type, entity)
    except MappingRuleError as exc:
        raise _refused(exc) from None
    return FieldCatalogue(
        entity=entity,
        direction=direction_of(entity),
        smartap=[f.replace("[]", "[N]") for f in smartap],
        erp=[f.replace("[]", "[N]") for f in erp],
    )
