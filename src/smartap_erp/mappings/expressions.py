"""Compile and evaluate field-mapping expressions safely (CEL; development.md §Glossary).

CEL is non-Turing-complete and has no access to Python objects, files or the network; on top of
that we refuse, when a mapping is saved: expressions longer than 1,000 characters or nested deeper
than 24 brackets (the parser recurses), more than two comprehension macros, functions outside CEL's
operators, a few safe built-ins and our table (`functions.py`), and names other than `value`,
`record` and macro variables. Inputs are checked before evaluation (at most 100,000 characters in
all, strings of at most 10,000 characters, lists of at most 1,000 items, 16 levels deep), and
evaluation runs in a worker process that is killed when its deadline passes (`sandbox.py`), so
no expression runs on after its time is up. Every failure, from a division by zero to the
deadline, is an `ExpressionError`: for the sync, an error of that record only.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from smartap_erp.mappings.functions import FUNCTIONS, MAX_ITEMS, MAX_TEXT
from smartap_erp.mappings.sandbox import EvaluationPool, default_pool
from smartap_erp.mappings.worker import Job

if TYPE_CHECKING:
    import cel

MAX_EXPRESSION_LENGTH = 1_000
MAX_NESTING = 24
MAX_MACROS = 2
MAX_INPUT_CHARS = 100_000
MAX_INPUT_DEPTH = 16
VARIABLES = frozenset({"value", "record"})
SAFE_BUILTINS = frozenset(
    {
        "size",
        "has",
        "int",
        "uint",
        "double",
        "string",
        "bool",
        "contains",
        "startsWith",
        "endsWith",
        "matches",
        "in",
        "map",
        "filter",
        "all",
        "exists",
        "exists_one",
        "max",
        "min",
    }
)
_OPERATOR = re.compile(r"^_.*_$|^!_$|^-_$|^@in$")
_MACRO = re.compile(r"\.\s*(map|filter|all|exists|exists_one)\s*\(\s*([A-Za-z_]\w*)\s*,")
_DUNDER = re.compile(r"(?<![\w'\"])__\w*")
_POSITION = re.compile(r"<input>:(\d+):(\d+): (.*?)(?:\n|$)")


class ExpressionError(ValueError):
    """An expression refused at save time or failed at evaluation; says where and why."""

    def __init__(self, message: str, *, line: int | None = None, column: int | None = None) -> None:
        where = f" at line {line}, column {column}" if line is not None else ""
        super().__init__(f"{message}{where}")
        self.line, self.column = line, column


@dataclass(frozen=True)
class CompiledExpression:
    source: str
    program: cel.Program


def compile_expression(source: str) -> CompiledExpression:
    """Check the limits and the names an expression uses, then compile it; raises ExpressionError."""
    import cel  # on first compile, not at import: CLI start stays light (issue 17)

    _check_shape(source)
    try:
        program = cel.compile(source)
    except ValueError as exc:
        raise _syntax_error(str(exc)) from None
    references = program.references()
    macro_names = {match.group(2) for match in _MACRO.finditer(source)}
    unknown_vars = set(references["variables"]) - VARIABLES - macro_names
    if unknown_vars:
        raise ExpressionError(
            f"unknown name(s) {', '.join(sorted(unknown_vars))}: only value and record exist"
        )
    unknown_fns = {f for f in references["functions"] if not _allowed_function(f)}
    if unknown_fns:
        raise ExpressionError(
            f"function(s) {', '.join(sorted(unknown_fns))} not allowed; "
            f"available: {', '.join(sorted(FUNCTIONS))}"
        )
    return CompiledExpression(source, program)


def evaluate(expression: CompiledExpression, value: Any, record: Mapping[str, Any] | None = None) -> Any:
    """Run one compiled expression on `value` (and the whole `record`); raises ExpressionError."""
    (result,) = evaluate_many([expression], [record or {}], [(0, 0, value)])
    if isinstance(result, ExpressionError):
        raise result
    return result


def evaluate_many(
    expressions: Sequence[CompiledExpression],
    records: Sequence[Mapping[str, Any] | None],
    jobs: Sequence[Job],
    *,
    pool: EvaluationPool | None = None,
) -> list[Any]:
    """Evaluate `jobs` (expression index, record index, value) in one worker call: one result or
    `ExpressionError` per job, in order. Jobs should come grouped by record. A record (or value)
    over the input limits fails its jobs without being sent anywhere."""
    problems = [input_problem(record) for record in records]
    results: list[Any] = [None] * len(jobs)
    runnable: list[int] = []
    for index, (_, record_index, value) in enumerate(jobs):
        problem = problems[record_index] or input_problem(value)
        if problem:
            results[index] = ExpressionError(f"input refused before evaluation: {problem}")
        else:
            runnable.append(index)
    sent = [dict(record or {}) if not problems[i] else {} for i, record in enumerate(records)]
    answers = (pool or default_pool()).run([e.source for e in expressions], sent, [jobs[i] for i in runnable])
    for index, (ok, answer) in zip(runnable, answers, strict=True):
        results[index] = answer if ok else ExpressionError(str(answer))
    return results


def input_problem(data: Any) -> str | None:
    """Why `data` is too big to evaluate on (see the module docstring), or None."""
    budget = [MAX_INPUT_CHARS]
    return _walk(data, 0, budget)


def _walk(data: Any, depth: int, budget: list[int]) -> str | None:
    if depth > MAX_INPUT_DEPTH:
        return f"nested deeper than {MAX_INPUT_DEPTH} levels"
    if isinstance(data, str):
        if len(data) > MAX_TEXT:
            return f"a text of {len(data)} characters (at most {MAX_TEXT})"
        budget[0] -= len(data) + 2
    elif isinstance(data, Mapping | list | tuple):
        if len(data) > MAX_ITEMS:
            return f"a list or map of {len(data)} items (at most {MAX_ITEMS})"
        items = list(data.items()) if isinstance(data, Mapping) else [(None, v) for v in data]
        for key, item in items:
            budget[0] -= len(str(key)) + 4 if key is not None else 2
            problem = _walk(item, depth + 1, budget)
            if problem:
                return problem
    else:
        budget[0] -= 8
    return f"larger than {MAX_INPUT_CHARS} characters in all" if budget[0] < 0 else None


def _check_shape(source: str) -> None:
    if not source.strip():
        raise ExpressionError("expression is empty")
    if len(source) > MAX_EXPRESSION_LENGTH:
        raise ExpressionError(f"expression is longer than {MAX_EXPRESSION_LENGTH} characters")
    depth = deepest = 0
    for char in source:
        depth += char in "([{"
        depth -= char in ")]}"
        deepest = max(deepest, depth)
    if deepest > MAX_NESTING:
        raise ExpressionError(f"expression nests brackets deeper than {MAX_NESTING} levels")
    if _DUNDER.search(source):
        raise ExpressionError("names starting with __ are not allowed")
    if len(_MACRO.findall(source)) > MAX_MACROS:
        raise ExpressionError(f"expression uses more than {MAX_MACROS} comprehension macros")


def _allowed_function(name: str) -> bool:
    return name in FUNCTIONS or name in SAFE_BUILTINS or bool(_OPERATOR.match(name))


def _syntax_error(message: str) -> ExpressionError:
    match = _POSITION.search(message)
    if match:
        reason = match.group(3).removeprefix("Syntax error: ")
        return ExpressionError(
            f"syntax error: {reason}", line=int(match.group(1)), column=int(match.group(2))
        )
    return ExpressionError(f"syntax error: {_first_line(message)}")


def _first_line(error: object) -> str:
    return str(error).strip().splitlines()[0][:300] if str(error).strip() else type(error).__name__
