"""Apply a connection's field mappings (`erp_field_mappings` rows) to one record.

A rule copies the value at one dotted path (`BillAddr.Line1`, `Line[0].Amount`) to another, through
an optional CEL transformation, with a default, a required flag and a validation regex. Rules are
compiled when saved (`compile_rule` raises `MappingRuleError` naming the field and the reason) and
applied per record (`apply_rules` collects one `RecordError` per failed rule and never raises).
Validation regexes run on CEL's `matches()` (Rust's linear-time engine), so no user pattern can
backtrack for ever.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import cel

from smartap_erp.domain import RecordError, SyncDirection
from smartap_erp.mappings.expressions import CompiledExpression, ExpressionError, compile_expression, evaluate

_SEGMENT = re.compile(r"^([A-Za-z_][\w-]*)((?:\[\d+\])*)$")
_REGEX_CHECK = cel.compile("value.matches(pattern)")
MAX_REGEX_LENGTH = 500


class MappingRuleError(ValueError):
    def __init__(self, field_name: str, message: str) -> None:
        super().__init__(f"{field_name}: {message}")
        self.field = field_name


@dataclass(frozen=True)
class MappingRule:
    smartap_field: str
    erp_field: str
    transformation_rule: str | None = None
    default_value: str | None = None
    is_required: bool = False
    validation_regex: str | None = None


@dataclass(frozen=True)
class CompiledRule:
    rule: MappingRule
    expression: CompiledExpression | None


@dataclass
class MappingOutcome:
    values: dict[str, Any]
    errors: list[RecordError] = field(default_factory=list)


def parse_path(path: str) -> list[str | int]:
    """'Line[0].Amount' -> ['Line', 0, 'Amount']; refuses anything else with the reason."""
    steps: list[str | int] = []
    for segment in path.split("."):
        match = _SEGMENT.match(segment)
        if not match:
            raise MappingRuleError(path, f"invalid path segment {segment!r} (expected name or name[index])")
        steps.append(match.group(1))
        steps.extend(int(index) for index in re.findall(r"\[(\d+)\]", match.group(2)))
    return steps


def get_path(record: Any, path: str) -> Any:
    current = record
    for step in parse_path(path):
        if isinstance(step, int):
            current = current[step] if isinstance(current, list) and step < len(current) else None
        else:
            current = current.get(step) if isinstance(current, Mapping) else None
        if current is None:
            return None
    return current


def set_path(target: dict[str, Any], path: str, value: Any) -> None:
    """Write `value` at `path`, creating the dicts and lists on the way."""
    steps = parse_path(path)
    current: Any = target
    for step, following in itertools.pairwise(steps):
        current = _child(current, step, list if isinstance(following, int) else dict)
    _slot(current, steps[-1])
    current[steps[-1]] = value


def _slot(container: Any, step: str | int) -> None:
    if isinstance(step, int):
        container.extend([None] * (step + 1 - len(container)))


def _child(container: Any, step: str | int, kind: type) -> Any:
    _slot(container, step)
    existing = container[step] if isinstance(step, int) else container.get(step)
    if not isinstance(existing, list | dict):
        container[step] = existing = kind()
    return existing


def _check_regex(pattern: str, value: str) -> bool:
    return bool(_REGEX_CHECK.execute({"value": value, "pattern": pattern}))


def compile_rule(rule: MappingRule) -> CompiledRule:
    """Validate everything about a rule when it is saved, so sync never meets a bad one."""
    for name, path in (("smartap_field", rule.smartap_field), ("erp_field", rule.erp_field)):
        try:
            parse_path(path)
        except MappingRuleError as exc:
            raise MappingRuleError(name, str(exc)) from None
    expression = None
    if rule.transformation_rule:
        try:
            expression = compile_expression(rule.transformation_rule)
        except ExpressionError as exc:
            raise MappingRuleError("transformation_rule", str(exc)) from None
    if rule.validation_regex is not None:
        if len(rule.validation_regex) > MAX_REGEX_LENGTH:
            raise MappingRuleError("validation_regex", f"longer than {MAX_REGEX_LENGTH} characters")
        try:
            _check_regex(rule.validation_regex, "")
        except (ValueError, RuntimeError, TypeError) as exc:
            reason = str(exc).strip().splitlines()[0] if str(exc).strip() else "invalid"
            raise MappingRuleError("validation_regex", f"invalid regular expression: {reason}") from None
    return CompiledRule(rule, expression)


def apply_rules(
    source: Mapping[str, Any],
    rules: Sequence[CompiledRule],
    *,
    direction: SyncDirection,
    target: dict[str, Any] | None = None,
    record_id: str | None = None,
) -> MappingOutcome:
    """Map `source` into `target` (a copy of nothing, by default); export reads SmartAP fields."""
    outcome = MappingOutcome(values=target if target is not None else {})
    for compiled in rules:
        rule = compiled.rule
        source_path, target_path = (
            (rule.smartap_field, rule.erp_field)
            if direction is SyncDirection.EXPORT
            else (rule.erp_field, rule.smartap_field)
        )
        try:
            value = _mapped_value(compiled, get_path(source, source_path), source)
        except (ExpressionError, MappingRuleError) as exc:
            outcome.errors.append(RecordError(record_id=record_id, field=target_path, message=str(exc)))
            continue
        if value is not None:
            set_path(outcome.values, target_path, value)
    return outcome


def _mapped_value(compiled: CompiledRule, value: Any, source: Mapping[str, Any]) -> Any:
    rule = compiled.rule
    if compiled.expression is not None:
        value = evaluate(compiled.expression, value, source)
    if value is None or value == "":
        value = rule.default_value
    if value is None and rule.is_required:
        raise MappingRuleError(rule.erp_field, "is required but has no value and no default")
    if (
        value is not None
        and rule.validation_regex is not None
        and not _check_regex(rule.validation_regex, str(value))
    ):
        raise MappingRuleError(
            rule.erp_field, f"value {str(value)[:80]!r} does not match {rule.validation_regex!r}"
        )
    return value
