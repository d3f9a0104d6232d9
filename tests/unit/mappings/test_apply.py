"""Applying mapping rules: paths, transformations, defaults, required fields and validation regexes."""

from __future__ import annotations

import pytest

from smartap_erp.domain import SyncDirection
from smartap_erp.mappings.apply import (
    MappingRule,
    MappingRuleError,
    apply_rules,
    compile_rule,
    get_path,
    parse_path,
    set_path,
)

INVOICE = {
    "invoice_number": "sup-1001",
    "vendor": {"name": "Acme", "email": ""},
    "lines": [{"amount": "10.00"}],
}


def test_paths_read_and_write_nested_dicts_and_lists() -> None:
    assert parse_path("Line[0].Amount") == ["Line", 0, "Amount"]
    target: dict = {}
    set_path(target, "Line[1].Detail.AccountRef.value", "7")
    assert target == {"Line": [None, {"Detail": {"AccountRef": {"value": "7"}}}]}
    assert get_path(target, "Line[1].Detail.AccountRef.value") == "7"
    assert get_path(target, "Line[5].Amount") is None and get_path(INVOICE, "vendor.missing") is None


@pytest.mark.parametrize("bad", ["", "a..b", "a[x]", "1abc", "a b"])
def test_bad_paths_are_refused_when_saved(bad: str) -> None:
    with pytest.raises(MappingRuleError, match="erp_field"):
        compile_rule(MappingRule(smartap_field="invoice_number", erp_field=bad))


def test_export_applies_transformation_default_and_regex() -> None:
    rules = [
        compile_rule(
            MappingRule("invoice_number", "DocNumber", "value.upper()", validation_regex="^[A-Z]+-[0-9]+$")
        ),
        compile_rule(MappingRule("vendor.email", "PrivateNote", default_value="no email on file")),
        compile_rule(MappingRule("lines[0].amount", "Line[0].Amount")),
    ]
    outcome = apply_rules(INVOICE, rules, direction=SyncDirection.EXPORT)
    assert outcome.errors == []
    assert outcome.values == {
        "DocNumber": "SUP-1001",
        "PrivateNote": "no email on file",
        "Line": [{"Amount": "10.00"}],
    }


def test_import_reads_erp_fields_into_smartap_fields() -> None:
    rule = compile_rule(MappingRule("name", "DisplayName", "trim(value)"))
    outcome = apply_rules({"DisplayName": "  Acme "}, [rule], direction=SyncDirection.IMPORT)
    assert outcome.values == {"name": "Acme"}


def test_failures_are_record_errors_naming_the_field_and_the_rest_still_applies() -> None:
    rules = [
        compile_rule(MappingRule("po_number", "PONumber", is_required=True)),
        compile_rule(MappingRule("invoice_number", "DocNumber", validation_regex="^[0-9]+$")),
        compile_rule(MappingRule("vendor.name", "VendorName")),
    ]
    outcome = apply_rules(INVOICE, rules, direction=SyncDirection.EXPORT, record_id="inv-1")
    assert [(e.field, e.record_id) for e in outcome.errors] == [("PONumber", "inv-1"), ("DocNumber", "inv-1")]
    assert "is required" in outcome.errors[0].message and "does not match" in outcome.errors[1].message
    assert outcome.values == {"VendorName": "Acme"}


@pytest.mark.parametrize(
    ("rule", "field", "reason"),
    [
        (MappingRule("a", "b", transformation_rule="value +"), "transformation_rule", "syntax error"),
        (MappingRule("a", "b", transformation_rule="open('x')"), "transformation_rule", "not allowed"),
        (MappingRule("a", "b", validation_regex="([a-z"), "validation_regex", "invalid regular expression"),
        (MappingRule("a", "b", validation_regex="(a)\\1"), "validation_regex", "invalid regular expression"),
        (MappingRule("a b", "b"), "smartap_field", "invalid path segment"),
    ],
)
def test_bad_rules_are_refused_when_saved_with_field_and_reason(
    rule: MappingRule, field: str, reason: str
) -> None:
    with pytest.raises(MappingRuleError) as caught:
        compile_rule(rule)
    assert caught.value.field == field and reason in str(caught.value)
