"""`smartap-erp mappings ...`: add, list, test and remove field mappings of a connection.

A rule is compiled when it is added (a bad expression or regex is refused with where and why), its
two fields are checked against the field catalogue of the connection's ERP (`mappings.fields`),
and `mappings test` shows what a rule makes of sample data before any sync uses it. Every problem,
including an expression failing on the sample, is one line, never a traceback. The work is done by
`app.mappings`; this module parses, calls it and prints.
"""

from __future__ import annotations

import asyncio
import json
from typing import TYPE_CHECKING, Annotated, Any

import typer

from smartap_erp.cli.lazy import lazy
from smartap_erp.cli.output import JsonOption, console, emit, fail
from smartap_erp.cli.runtime import runtime
from smartap_erp.domain.enums import ERPEntity, SyncDirection

if TYPE_CHECKING:
    from smartap_erp.app import mappings as app_mappings
else:
    app_mappings = lazy("smartap_erp.app.mappings")


SHARED_NOTE = (
    "note: import mappings change SmartAP's own vendor / purchase-order records, which every "
    "connection shares (see docs/sync.md, Field mappings)"
)

app = typer.Typer(help="Field mappings: add, list, test, remove.", no_args_is_help=True)


def _row(mapping: app_mappings.MappingView) -> dict[str, Any]:
    return {
        "id": str(mapping.id),
        "entity": mapping.entity.value,
        "smartap_field": mapping.smartap_field,
        "erp_field": mapping.erp_field,
        "rule": mapping.rule,
        "default": mapping.default,
        "required": mapping.required,
        "regex": mapping.regex,
    }


def _rule(
    smartap_field: str,
    erp_field: str,
    rule: str | None,
    default: str | None,
    required: bool,
    regex: str | None,
) -> app_mappings.RuleInput:
    return app_mappings.RuleInput(
        smartap_field=smartap_field,
        erp_field=erp_field,
        rule=rule,
        default=default,
        required=required,
        regex=regex,
    )


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
    fields = _rule(smartap_field, erp_field, rule, default, required, regex)
    request = app_mappings.MappingCreate(**fields.model_dump(), entity=entity, description=description)

    async def run() -> app_mappings.MappingView:
        async with runtime() as rt:
            return await app_mappings.add_mapping(rt, connection, request)

    added = asyncio.run(run())
    emit(_row(added), as_json=as_json, title="Mapping added")
    if added.direction is SyncDirection.IMPORT and not as_json:
        console.print(SHARED_NOTE, highlight=False)


@app.command("list")
def list_(
    connection: Annotated[str, typer.Argument(help="Connection name or id.")], as_json: JsonOption = False
) -> None:
    """The connection's mappings."""

    async def run() -> list[app_mappings.MappingView]:
        async with runtime() as rt:
            return await app_mappings.list_mappings(rt, connection)

    emit([_row(m) for m in asyncio.run(run())], as_json=as_json, title="Field mappings")


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
        str | None,
        typer.Option(help="Check both fields against this ERP's catalogue (with --entity), e.g. xero."),
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
    fields = _rule(smartap_field, erp_field, rule, default, required, regex)
    request = app_mappings.RuleTest(
        **fields.model_dump(),
        sample=record,
        direction=direction,
        erp=erp,
        entity=entity,
    )
    outcome = asyncio.run(app_mappings.test_rule(request))
    if as_json:
        emit(outcome.model_dump(mode="json"), as_json=True)
    else:
        console.print_json(data=outcome.result)
        for error in outcome.errors:
            console.print(f"[red]{error.field}[/red]: {error.message}")
    if outcome.errors:
        raise typer.Exit(1)


@app.command()
def remove(
    mapping_id: Annotated[str, typer.Argument(help="The mapping's id (see `mappings list`).")],
) -> None:
    """Delete one mapping."""

    async def run() -> app_mappings.MappingRemoved:
        async with runtime() as rt:
            return await app_mappings.remove_mapping(rt, mapping_id)

    asyncio.run(run())
    console.print("mapping removed")
