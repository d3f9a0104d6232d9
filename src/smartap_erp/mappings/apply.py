"""Apply a connection's field mappings (`erp_field_mappings` rows) to one record.

A rule copies the value at one dotted path (`BillAddr.Line1`, `Line[0].Amount`) to another, through
an optional CEL transformation, with a default, a required flag and a validation regex. Rules are
compiled when saved (`compile_rule` raises `MappingRuleError` naming the field and the reason) and
applied to a page of records at once (`apply_many`: every expression of the page goes to the
evaluation sandbox in one call) or to one (`apply_rules`); any failure of a rule, whatever its
cause, is one `RecordError` of that record, and the rest of the rules still apply. Paths are
bounded (at most 8 segments, list indexes below 1,000). Validation regexes run on CEL's
`matches()` (Rust's linear-time engine), so no user pattern can backtrack for ever.
"""

from __future__ import annotations

import functools
import itertools
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from smartap_erp.domain import RecordError, SyncDirection
from smartap_erp.mappings.expressions import (
    CompiledExpression,
    ExpressionError,
    compile_expression,
    evaluate_many,
)
from smartap_erp.mappings.sandbox import EvaluationPool

_SEGMENT = re.compile(r"^([A-Za-z_][\w-]*)((?:\[\d+\])*)$")
MAX_REGEX_LENGTH = 500
MAX_PATH_LENGTH = 200
MAX_PATH_SEGMENTS = 8
MAX_INDEX = 999


@functools.cache
def _regex_check() -> Any:
    """The compiled regex check; `cel` is imported on first use, not when the module is (issue 17)."""
    import cel

    return cel.compile("value.matches(pattern)")


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
    return list(_parsed(path))


@functools.lru_cache(maxsize=1024)
def _parsed(path: str) -> tuple[str | int, ...]:
    if len(path) > MAX_PATH_LENGTH:
        raise MappingRuleError(path[:40] + "...", f"path is longer than {MAX_PATH_LENGTH} characters")
    steps: list[str | int] = []
    for segment in path.split("."):
        match = _SEGMENT.match(segment)
        if not match:
            raise MappingRuleError(path, f"invalid path segment {segment!r} (expected name or name[index])")
        steps.append(match.group(1))
        for text in re.findall(r"\[(\d+)\]", match.group(2)):
            if len(text) > 3 or int(text) > MAX_INDEX:
                raise MappingRuleError(path, f"list index {text} is out of range (0 to {MAX_INDEX})")
            steps.append(int(text))
    if len(steps) > MAX_PATH_SEGMENTS:
        raise MappingRuleError(path, f"path has more than {MAX_PATH_SEGMENTS} steps")
    return tuple(steps)


def get_path(record: Any, path: str) -> Any:
    current = record
    for step in _parsed(path):
        if isinstance(step, int):
            current = current[step] if isinstance(current, list) and step < len(current) else None
        else:
            current = current.get(step) if isinstance(current, Mapping) else None
        if current is None:
            return None
    return current


def set_path(target: dict[str, Any], path: str, value: Any) -> None:
    """Write `value` at `path`, creating the dicts and lists on the way."""
    steps = _parsed(path)
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
    return bool(_regex_check().execute({"value": value, "pattern": pattern}))


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
    pool: EvaluationPool | None = None,
) -> MappingOutcome:
    """Map `source` into `target` (a copy of nothing, by default); export reads SmartAP fields."""
    targets = [target if target is not None else {}]
    outcomes = apply_many(
        [source], rules, direction=direction, targets=targets, record_ids=[record_id], pool=pool
    )
    return outcomes[0]


def apply_many(
    sources: Sequence[Mapping[str, Any]],
    rules: Sequence[CompiledRule],
    *,
    direction: SyncDirection,
    targets: Sequence[dict[str, Any]],
    record_ids: Sequence[str | None],
    pool: EvaluationPool | None = None,
) -> list[MappingOutcome]:
    """`apply_rules` for a page: one outcome per source, written into its target."""
    paths = [_direction_paths(compiled.rule, direction) for compiled in rules]
    evaluated = _evaluate_page(sources, rules, paths, pool)
    outcomes = []
    for index, (source, target, record_id) in enumerate(zip(sources, targets, record_ids, strict=True)):
        outcome = MappingOutcome(values=target)
        for compiled, (source_path, target_path) in zip(rules, paths, strict=True):
            try:
                if compiled.expression is not None:
                    value = evaluated[(index, id(compiled))]
                    if isinstance(value, ExpressionError):
                        raise value
                else:
                    value = get_path(source, source_path)
                value = _checked_value(compiled.rule, value)
                if value is not None:
                    set_path(outcome.values, target_path, value)
            except Exception as exc:  # whatever a rule does wrong fails this record, not the run
                message = str(exc) if isinstance(exc, ExpressionError | MappingRuleError) else repr(exc)
                outcome.errors.append(RecordError(record_id=record_id, field=target_path, message=message))
        outcomes.append(outcome)
    return outcomes


def _direction_paths(rule: MappingRule, direction: SyncDirection) -> tuple[str, str]:
    if direction is SyncDirection.EXPORT:
        return rule.smartap_field, rule.erp_field
    return rule.erp_field, rule.smartap_field


def _evaluate_page(
    sources: Sequence[Mapping[str, Any]],
    rules: Sequence[CompiledRule],
    paths: Sequence[tuple[str, str]],
    pool: EvaluationPool | None,
) -> dict[tuple[int, int], Any]:
    """Every expression of every record, in one sandbox call: (record index, id(rule)) -> result."""
    with_expression = [(k, c) for k, c in enumerate(rules) if c.expression is not None]
    if not with_expression:
        return {}
    expressions = [c.expression for _, c in with_expression if c.expression is not None]
    keys, jobs = [], []
    for index, source in enumerate(sources):
        for position, (k, compiled) in enumerate(with_expression):
            keys.append((index, id(compiled)))
            jobs.append((position, index, get_path(source, paths[k][0])))
    return dict(zip(keys, evaluate_many(expressions, sources, jobs, pool=pool), strict=True))


def _checked_value(rule: MappingRule, value: Any) -> Any:
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
