"""The field-mapping application functions on SQLite and PostgreSQL (issue 13 item 2): add (rule
compiled, fields checked against the connection's ERP), list, remove, a rule tried on a sample with
nothing stored, and a preview of a connection's stored mappings on sample records, import onto the
record itself and export onto the bill's fields, one failing record not stopping the others."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from smartap_erp.app import connections, mappings
from smartap_erp.app.mapping_preview import preview_mappings
from smartap_erp.app.mappings import MappingCreate, RuleTest
from smartap_erp.connectors import ERPProvider
from smartap_erp.domain.enums import ERPEntity, SyncDirection
from smartap_erp.errors import ConfigurationError, NotFoundError
from tests.app.simulated import SimulatedApp, sim_credentials, simulated_app


@pytest.fixture
async def ctx(engine: AsyncEngine, session_factory: async_sessionmaker[AsyncSession]) -> SimulatedApp:
    app = simulated_app(engine, session_factory)
    request = connections.ConnectionCreate.model_validate(
        {"system": "xero", "name": "Books", "credentials": sim_credentials("xero")}
    )
    await connections.create_connection(app, request)
    return app


def rule(entity: str, smartap_field: str, erp_field: str, **fields: object) -> MappingCreate:
    return MappingCreate.model_validate(
        {"entity": entity, "smartap_field": smartap_field, "erp_field": erp_field, **fields}
    )


async def test_add_list_and_remove(ctx: SimulatedApp) -> None:
    added = await mappings.add_mapping(
        ctx, "Books", rule("invoice", "invoice_number", "invoice_number", rule="value.upper()")
    )
    vendor = await mappings.add_mapping(
        ctx, "Books", rule("vendor", "address.city", "address.city", default="-")
    )

    assert (added.entity, added.direction, added.rule) == (
        ERPEntity.INVOICE,
        SyncDirection.EXPORT,
        "value.upper()",
    )
    assert vendor.direction is SyncDirection.IMPORT and vendor.default == "-"
    listed = await mappings.list_mappings(ctx, "Books")
    assert [(m.entity, m.erp_field) for m in listed] == [  # by entity (its stored text), then field
        (ERPEntity.INVOICE, "invoice_number"),
        (ERPEntity.VENDOR, "address.city"),
    ]
    assert [m.id for m in await mappings.list_mappings(ctx, "Books", entity=ERPEntity.VENDOR)] == [vendor.id]

    assert (await mappings.remove_mapping(ctx, str(added.id))).id == added.id
    assert [m.id for m in await mappings.list_mappings(ctx, "Books")] == [vendor.id]
    with pytest.raises(NotFoundError, match="no mapping with id"):
        await mappings.remove_mapping(ctx, added.id)
    with pytest.raises(NotFoundError, match="'not-an-id' is not a mapping id"):
        await mappings.remove_mapping(ctx, "not-an-id")


@pytest.mark.parametrize(
    ("request_fields", "reason"),
    [
        (("invoice", "a", "b", {"rule": "open('/etc/passwd')"}), "not allowed"),
        (("invoice", "memo", "Line[100000000].Amount", {}), "out of range (0 to 999)"),
        (
            ("invoice", "bogus_field", "invoice_number", {}),
            "smartap_field: 'bogus_field' is not a invoice field",
        ),
        (("invoice", "memo", "memo", {}), "erp_field: 'memo'"),  # Xero's bills have no memo
        (("invoice", "memo", "memo", {"regex": "("}), "invalid regular expression"),
    ],
)
async def test_a_bad_rule_is_refused_and_nothing_is_stored(
    ctx: SimulatedApp, request_fields: tuple[str, str, str, dict[str, object]], reason: str
) -> None:
    entity, smartap_field, erp_field, fields = request_fields
    with pytest.raises(mappings.MappingRefusedError, match="mapping refused") as refused:
        await mappings.add_mapping(ctx, "Books", rule(entity, smartap_field, erp_field, **fields))
    assert reason in str(refused.value)
    assert await mappings.list_mappings(ctx, "Books") == []


async def test_a_rule_tried_on_a_sample() -> None:
    upper = RuleTest(
        sample={"invoice_number": "sup-7"},
        smartap_field="invoice_number",
        erp_field="InvoiceNumber",
        rule="value.upper()",
    )
    assert (await mappings.test_rule(upper)).model_dump(mode="json") == {
        "result": {"InvoiceNumber": "SUP-7"},
        "errors": [],
    }
    digits = RuleTest(sample={"n": "x"}, smartap_field="n", erp_field="N", regex="^[0-9]+$")
    failed = await mappings.test_rule(digits)
    assert failed.result == {} and "does not match" in failed.errors[0].message
    imported = RuleTest(
        sample={"Name": "acme"}, smartap_field="name", erp_field="Name", direction=SyncDirection.IMPORT
    )
    assert (await mappings.test_rule(imported)).result == {"name": "acme"}

    with pytest.raises(ConfigurationError, match="--erp and --entity go together"):
        await mappings.test_rule(
            RuleTest(sample={}, smartap_field="a", erp_field="b", entity=ERPEntity.INVOICE)
        )
    checked = RuleTest(
        sample={}, smartap_field="bogus_field", erp_field="memo", erp="quickbooks", entity=ERPEntity.INVOICE
    )
    with pytest.raises(mappings.MappingRefusedError, match="smartap_field: 'bogus_field'"):
        await mappings.test_rule(checked)


async def test_a_rule_is_checked_against_any_erp_a_provider_describes(fifth_erp: ERPProvider) -> None:
    unknown = RuleTest(
        sample={}, smartap_field="name", erp_field="name", erp="nowhere", entity=ERPEntity.VENDOR
    )
    with pytest.raises(ConfigurationError, match=r"unknown ERP system 'nowhere'; expected one of .*ledgerly"):
        await mappings.test_rule(unknown)
    bill = RuleTest(
        sample={"invoice_number": "n-1"},
        smartap_field="invoice_number",
        erp_field="memo",
        erp=fifth_erp.system,
        entity=ERPEntity.INVOICE,
    )
    assert (await mappings.test_rule(bill)).result == {"memo": "n-1"}


async def test_preview_applies_the_stored_mappings_to_each_sample(ctx: SimulatedApp) -> None:
    await mappings.add_mapping(ctx, "Books", rule("vendor", "name", "name", rule="value.upper()"))
    await mappings.add_mapping(ctx, "Books", rule("vendor", "tax_id", "tax_id", regex="^[0-9-]+$"))
    await mappings.add_mapping(
        ctx, "Books", rule("invoice", "invoice_number", "invoice_number", rule="'AP-' + value")
    )

    samples = [
        {"name": "acme", "tax_id": "12-345", "email": "a@example.com"},
        {"name": "zed", "tax_id": "n/a"},
    ]
    preview = await preview_mappings(ctx, "Books", ERPEntity.VENDOR, samples)

    assert (preview.direction, preview.mappings, len(preview.records)) == (SyncDirection.IMPORT, 2, 2)
    first, second = preview.records
    assert first.errors == [] and first.result == {
        "name": "ACME",
        "tax_id": "12-345",
        "email": "a@example.com",
    }
    assert second.result["name"] == "ZED" and [e.field for e in second.errors] == ["tax_id"]

    exported = await preview_mappings(ctx, "Books", ERPEntity.INVOICE, [{"invoice_number": "7"}])
    assert exported.direction is SyncDirection.EXPORT
    assert exported.records[0].result == {"invoice_number": "AP-7"}
    nothing = await preview_mappings(ctx, "Books", ERPEntity.PURCHASE_ORDER, [{"po_number": "1"}])
    assert nothing.mappings == 0 and nothing.records[0].result == {"po_number": "1"}

    with pytest.raises(ConfigurationError, match="1 to 100 sample records"):
        await preview_mappings(ctx, "Books", ERPEntity.VENDOR, [])
    with pytest.raises(ConfigurationError, match="no connection named"):
        await preview_mappings(ctx, str(uuid.uuid4()), ERPEntity.VENDOR, samples)
