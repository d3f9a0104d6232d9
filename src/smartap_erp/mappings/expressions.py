"""Compile and evaluate field-mapping expressions safely (CEL, see architecture.md).

CEL is non-Turing-complete and has no access to Python objects, files or the network; on top of
that we refuse, when a mapping is saved: expressions longer than 1,000 characters or nested deeper
than 24 brackets (the parser recurses), more than two comprehension macros, functions outside CEL's
operators, a few safe built-ins and our table (`functions.py`), and names other than `value`,
`record` and macro variables. Evaluation runs against JSON-like inputs of bounded size, in a worker
thread with a deadline, and its result is size-checked.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass
from typing import Any

import cel

from smartap_erp.mappings.functions import FUNCTIONS, MAX_TEXT

MAX_EXPRESSION_LENGTH = 1_000
MAX_NESTING = 24
MAX_MACROS = 2
MAX_INPUT_CHARS = 100_000
DEADLINE_SECONDS = 0.25
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
_executor = ThreadPoolExecutor(max_workers=2, thread_name_prefix="cel")


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
    """Run a compiled expression on `value` (and the whole `record`) with a deadline and size limits."""
    _check_input_size(value, record)
    context = cel.Context(variables={"value": value, "record": dict(record or {})}, functions=FUNCTIONS)
    future = _executor.submit(expression.program.execute, context)
    try:
        result = future.result(timeout=DEADLINE_SECONDS)
    except FutureTimeout:
        raise ExpressionError(f"evaluation took longer than {int(DEADLINE_SECONDS * 1000)} ms") from None
    except (TypeError, ValueError, RuntimeError, KeyError) as exc:
        raise ExpressionError(f"evaluation failed: {_first_line(exc)}") from None
    if len(repr(result)) > MAX_TEXT:
        raise ExpressionError(f"result is larger than {MAX_TEXT} characters")
    return result


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


def _check_input_size(value: Any, record: Mapping[str, Any] | None) -> None:
    if len(repr(value)) + len(repr(record)) > MAX_INPUT_CHARS:
        raise ExpressionError(f"input is larger than {MAX_INPUT_CHARS} characters")


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
