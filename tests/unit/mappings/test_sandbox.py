"""Rule failures are record errors, and evaluation is bounded for real (issue 12, items 6-8).

A rule that divides by zero or overflows fails its record only; a rule that would run for seconds
is stopped (its worker process killed) and the rules after it still give the right answers; a path
with a huge list index is refused before it can allocate anything.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from smartap_erp.domain import ERPVendor, RecordError, SyncDirection
from smartap_erp.mappings.apply import MappingRule, MappingRuleError, apply_many, apply_rules, compile_rule
from smartap_erp.mappings.expressions import compile_expression, evaluate_many
from smartap_erp.mappings.sandbox import DEADLINE_SECONDS, EvaluationPool
from smartap_erp.sync.records import map_records

# Two nested comprehensions over 1,000 items: a million CEL steps, many seconds on any machine.
SLOW = "value.map(a, value.filter(b, b > a).size()).size()"
THOUSAND = list(range(1_000))


@pytest.fixture
def pool() -> Iterator[EvaluationPool]:
    # The production deadline is 250 ms; a longer one here keeps a normal rule on a busy test
    # machine well inside it, while SLOW still runs far beyond it. The mechanism is the same.
    made = EvaluationPool(size=1, deadline=1.0)
    yield made
    made.close()


def test_the_production_deadline_is_a_quarter_second() -> None:
    assert DEADLINE_SECONDS == 0.25


@pytest.mark.parametrize(
    ("rule", "value", "reason"),
    [
        ("string(100 / (value - 1))", 1, "division by zero"),
        ("9223372036854775807 + value", 1, "overflow"),
        ("value * 1000000000000", 10_000_000_000, "overflow"),
        ("int(value)", "not a number", "evaluation failed"),
    ],
)
def test_an_arithmetic_failure_is_a_record_error_and_the_other_rules_apply(
    rule: str, value: object, reason: str, pool: EvaluationPool
) -> None:
    rules = [
        compile_rule(MappingRule("memo", "memo", rule)),
        compile_rule(MappingRule("invoice_number", "invoice_number", "upper(value)")),
    ]
    outcome = apply_rules(
        {"memo": value, "invoice_number": "inv-1"},
        rules,
        direction=SyncDirection.EXPORT,
        record_id="inv-1",
        pool=pool,
    )
    assert [(e.record_id, e.field) for e in outcome.errors] == [("inv-1", "memo")]
    assert reason in outcome.errors[0].message
    assert outcome.values == {"invoice_number": "INV-1"}


def test_a_page_with_failing_records_maps_the_others() -> None:
    vendors = [ERPVendor(external_id=str(i), name=f"v{i}", payment_terms=str(i % 3)) for i in range(30)]
    rules = [compile_rule(MappingRule("payment_terms", "payment_terms", "string(30 / int(value))"))]
    mapped = map_records(vendors, rules)
    errors = [m for m in mapped if isinstance(m, RecordError)]
    assert [e.record_id for e in errors] == [str(i) for i in range(0, 30, 3)]
    assert all("division by zero" in e.message for e in errors)
    good = [m for m in mapped if isinstance(m, ERPVendor)]
    assert [(v.external_id, v.payment_terms) for v in good[:2]] == [("1", "30"), ("2", "15")]


def test_a_runaway_rule_is_stopped_and_later_rules_still_evaluate(pool: EvaluationPool) -> None:
    slow, fast = compile_expression(SLOW), compile_expression("size(value) + 1")
    records = [{"n": i} for i in range(6)]
    jobs = [(0, 0, THOUSAND), (1, 1, [1]), (0, 2, THOUSAND), (1, 3, [1, 2]), (1, 4, []), (1, 5, [0] * 9)]
    results = evaluate_many([slow, fast], records, jobs, pool=pool)
    stopped = "evaluation stopped: took longer than 1000 ms"
    assert str(results[0]) == str(results[2]) == stopped
    assert [results[1], results[3], results[4], results[5]] == [2, 3, 1, 10]
    assert pool.killed == 2  # each runaway's worker was killed, not left running on
    assert evaluate_many([fast], [{}], [(0, 0, "abc")], pool=pool) == [4]  # a fresh worker serves


def test_the_rule_after_a_runaway_one_in_the_same_record_gives_the_right_result(
    pool: EvaluationPool,
) -> None:
    rules = [
        compile_rule(MappingRule("lines", "memo", SLOW)),
        compile_rule(MappingRule("invoice_number", "invoice_number", "lower(value)")),
    ]
    outcomes = apply_many(
        [{"lines": THOUSAND, "invoice_number": "A-1"}, {"lines": [3, 1], "invoice_number": "B-2"}],
        rules,
        direction=SyncDirection.EXPORT,
        targets=[{}, {}],
        record_ids=["a", "b"],
        pool=pool,
    )
    assert [e.field for e in outcomes[0].errors] == ["memo"]
    assert "took longer than" in outcomes[0].errors[0].message
    assert outcomes[0].values == {"invoice_number": "a-1"}
    assert outcomes[1].errors == [] and outcomes[1].values == {"memo": 2, "invoice_number": "b-2"}


def test_input_over_the_limits_fails_its_record_without_reaching_a_worker(pool: EvaluationPool) -> None:
    rules = [compile_rule(MappingRule("lines", "memo", "size(value)"))]
    outcomes = apply_many(
        [{"lines": list(range(5_000))}, {"lines": [1, 2]}],
        rules,
        direction=SyncDirection.EXPORT,
        targets=[{}, {}],
        record_ids=["big", "small"],
        pool=pool,
    )
    assert "input refused before evaluation" in outcomes[0].errors[0].message
    assert outcomes[1].values == {"memo": 2} and pool.killed == 0


@pytest.mark.parametrize(
    "path", ["Line[100000000].Amount", "line_items[1000].description", "a.b.c.d.e.f.g.h.i"]
)
def test_paths_with_huge_indexes_or_too_many_steps_are_refused(path: str) -> None:
    with pytest.raises(MappingRuleError) as caught:
        compile_rule(MappingRule("memo", path))
    assert caught.value.field == "erp_field"


def test_the_largest_index_allowed_stays_small() -> None:
    rule = compile_rule(MappingRule("invoice_number", "line_items[999].description"))
    outcome = apply_rules({"invoice_number": "x"}, [rule], direction=SyncDirection.EXPORT)
    assert len(outcome.values["line_items"]) == 1_000


def test_a_target_path_that_does_not_fit_the_record_is_a_record_error() -> None:
    rule = compile_rule(MappingRule("invoice_number", "address[0]"))
    outcome = apply_rules(
        {"invoice_number": "x"}, [rule], direction=SyncDirection.EXPORT, target={"address": {"city": "Oslo"}}
    )
    assert [e.field for e in outcome.errors] == ["address[0]"]
