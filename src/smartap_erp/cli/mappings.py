"""`smartap-erp mappings ...`: add, list, test and remove field mappings of a connection.

A rule is compiled when it is added (a bad expression or regex is refused with where and why), its
two fields are checked against the field catalogue of the connection's ERP (`mappings.fields`),
and `mappings test` shows what a rule makes of sample data before any sync uses it. Every problem,
including an expression failing on the sample, is one line, never a traceback.
"""

from __future__ import annotations

import asyncio
import json
from typing import Annotated, Any

import typer
from sqlalchemy import select

from smartap_erp.cli.output import JsonOption, console, emit, fail
from smartap_erp.cli.runtime import find_connection, runtime
from smartap_erp.db.models import ERPFieldMapping
from smartap_erp.domain.enums import ERPEntity, ERPSystem, SyncDirection
from smartap_erp.mappings.apply import MappingRule, MappingRuleError, apply_rules, compile_rule
from smartap_erp.mappings.fields import check_fields, direction_of
from smartap_erp.mappings.sandbox import SandboxError

SHARED_NOTE = (
    "note: import mappings change SmartAP's own vendor / purchase-order records, which every "
    "connection shares (see docs/sync.md, Field mappings)"
)

app = typer.Typer(help="Field mappings: add, list, test, remove.", no_args_is_help=True)


def _rule(mapping: ERPFieldMapping) -> MappingRule:
    return MappingRule(
        mapping.smartap_field,
        mapping.erp_field,
        mapping.transformation_rule,
        mapping.default_value,
        mapping.is_required,
        mapping.validation_regex,
    )


def _row(mapping: ERPFieldMapping) -> dict[str, Any]:
    return {
        "id": str(mapping.id),
        "entity": mapping.entity_type.value,
        "smartap_field": mapping.smartap_field,
        "erp_field": mapping.erp_field,
        "rule": mapping.transformation_rule,
        "default": mapping.default_value,
        "required": mapping.is_required,
        "regex": mapping.validation_regex,
    }


@app.command()
def add(
    connection: Annotated[str, typer.Argument(help="Connection name or id.")],
    entity: Annotated[ERPEntity, typer.Option(help="vendor, purchase_order, invoice ...")],
    smartap_field: Annotated[str, typer.Option(help="Path in the SmartAP record, e.g. invoice_number.")],
    erp_field: Annotated[str, typer.Option(help="Path in the ERP record, e.g. DocNumber or Line[0].Amount.")],
    rule: Annotated[str | None, typer.Option(help="CEL transformation, e.g. value.upper().")] = None,
    default: Annotated[str | None, typer.Option(help="Value when the source is empty.")] = None,
    required: Annotated[bool, typer.Option(help="Refuse a record without a value.")] = False,
    regex: Annotated[str | None, typer.Option(help="The value must match this regular expression.")] = None,
    description: Annotated[str | None, typer.Option()] = None,
    as_json: JsonOption = False,
) -> None:
    """Add a mapping after compiling its rule and regex."""
    candidate = MappingRule(smartap_field, erp_field, rule, default, required, regex)
    try:
        compile_rule(candidate)
    except MappingRuleError as exc:
        raise fail(f"mapping refused: {exc}", 2) from None

    async def run() -> dict[str, Any]:
        async with runtime() as rt, rt.sessions() as session:
            found = await find_connection(session, connection)
            try:
                check_fields(candidate, found.system_type, entity)
            except MappingRuleError as exc:
                raise fail(f"mapping refused: {exc}", 2) from None
            mapping = ERPFieldMapping(
                connection_id=found.id,
                entity_type=entity,
                smartap_field=smartap_field,
                erp_field=erp_field,
                transformation_rule=rule,
                default_value=default,
                is_required=required,
                validation_regex=regex,
                description=description,
            )
            session.add(mapping)
            await session.commit()
            return _row(mapping)

    emit(asyncio.run(run()), as_json=as_json, title="Mapping added")
    if direction_of(entity) is SyncDirection.IMPORT and not as_json:
        console.print(SHARED_NOTE, highlight=False)


@app.command("list")
def list_(
    connection: Annotated[str, typer.Argument(help="Connection name or id.")], as_json: JsonOption = False
) -> None:
    """The connection's mappings."""

    async def run() -> list[dict[str, Any]]:
        async with runtime() as rt, rt.sessions() as session:
            found = await find_connection(session, connection)
            rows = await session.scalars(
                select(ERPFieldMapping)
                .where(ERPFieldMapping.connection_id == found.id)
                .order_by(ERPFieldMapping.entity_type, ERPFieldMapping.smartap_field)
            )
            return [_row(m) for m in rows]

    emit(asyncio.run(run()), as_json=as_json, title="Field mappings")


@app.command("test")
def try_rule(
    sample: Annotated[str, typer.Option(help="A sample record as JSON.")],
    smartap_field: Annotated[str, typer.Option()],
    erp_field: Annotated[str, typer.Option()],
    rule: Annotated[str | None, typer.Option()] = None,
    default: Annotated[str | None, typer.Option()] = None,
    required: Annotated[bool, typer.Option()] = False,
    regex: Annotated[str | None, typer.Option()] = None,
    direction: Annotated[
        SyncDirection, typer.Option(help="export reads SmartAP fields, import ERP fields.")
    ] = (SyncDirection.EXPORT),
    erp: Annotated[
        ERPSystem | None, typer.Option(help="Check both fields against this ERP's catalogue (with --entity).")
    ] = None,
    entity: Annotated[ERPEntity | None, typer.Option(help="The entity the fields belong to.")] = None,
    as_json: JsonOption = False,
) -> None:
    """Show what a rule makes of a sample record (nothing is stored)."""
    try:
        record = json.loads(sample)
    except json.JSONDecodeError as exc:
        raise fail(f"--sample is not JSON: {exc.msg} at column {exc.colno}", 2) from None
    if not isinstance(record, dict):
        raise fail("--sample must be a JSON object", 2)
    if (erp is None) != (entity is None):
        raise fail("--erp and --entity go together: the catalogue is per ERP and entity", 2)
    candidate = MappingRule(smartap_field, erp_field, rule, default, required, regex)
    try:
        compiled = compile_rule(candidate)
        if erp is not None and entity is not None:
            check_fields(candidate, erp, entity)
            direction = direction_of(entity)
    except MappingRuleError as exc:
        raise fail(f"mapping refused: {exc}", 2) from None
    try:
        outcome = apply_rules(record, [compiled], direction=direction)
    except SandboxError as exc:
        raise fail(f"the rule could not be evaluated: {exc}") from None
    result = {"result": outcome.values, "errors": [e.model_dump(mode="json") for e in outcome.errors]}
    if as_json:
        emit(result, as_json=True)
    else:
        console.print_json(data=outcome.values)
        for error in outcome.errors:
            console.print(f"[red]{error.field}[/red]: {error.message}")
    if outcome.errors:
        raise typer.Exit(1)


@app.command()
def remove(
    mapping_id: Annotated[str, typer.Argument(help="The mapping's id (see `mappings list`).")],
) -> None:
    """Delete one mapping."""
    import uuid

    async def run() -> bool:
        async with runtime() as rt, rt.sessions() as session:
            mapping = await session.get(ERPFieldMapping, uuid.UUID(mapping_id))
            if mapping is None:
                return False
            await session.delete(mapping)
            await session.commit()
            return True

    try:
        removed = asyncio.run(run())
    except ValueError:
        raise fail(f"{mapping_id!r} is not a mapping id", 2) from None
    if not removed:
        raise fail(f"no mapping with id {mapping_id}", 2)
    console.print("mapping removed")
