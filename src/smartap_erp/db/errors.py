"""Database errors as one line a person can read: what failed, never the SQL or its parameters.

SQLAlchemy's own text for a failed statement carries the whole statement (`[SQL: ...]`), its bound
parameters (`[parameters: ...]`, which can hold vendor data or ciphertext) and a link; none of it
belongs in a terminal, a job's error or a sync log. `describe_db_error` names the operation and the
table ("inserting into erp_conflicts") and the driver's first line of explanation, or, for a missing
table, says to run `smartap-erp db upgrade`; `describe_exception` does that for database errors and
gives `Type: message` for anything else.
"""

from __future__ import annotations

import re

from sqlalchemy.exc import SQLAlchemyError, StatementError

from smartap_erp.http.redact import redact_text

_OPERATIONS = (
    (re.compile(r"^\s*INSERT\s+INTO\s+\"?([\w.]+)", re.IGNORECASE), "inserting into"),
    (re.compile(r"^\s*UPDATE\s+\"?([\w.]+)", re.IGNORECASE), "updating"),
    (re.compile(r"^\s*DELETE\s+FROM\s+\"?([\w.]+)", re.IGNORECASE), "deleting from"),
    (re.compile(r"^\s*SELECT\b.*?\bFROM\s+\"?([\w.]+)", re.IGNORECASE | re.DOTALL), "reading"),
)
# What SQLAlchemy appends to a message: the statement, the parameters, the documentation link.
_APPENDIX = re.compile(r"\s*(\[SQL:|\[parameters:|\(Background on this error at:).*", re.DOTALL)
_MAX = 300
# SQLite's and PostgreSQL's words for a table that is not there: the schema was never created.
_NO_TABLE = re.compile(r"no such table|UndefinedTable|relation \S+ does not exist", re.IGNORECASE)


def _operation(statement: str | None) -> str | None:
    for pattern, verb in _OPERATIONS:
        match = pattern.search(statement or "")
        if match:
            return f"{verb} {match.group(1)}"
    return None


def _first_line(text: str) -> str:
    text = _APPENDIX.sub("", text).strip()
    line = text.splitlines()[0] if text else ""
    return redact_text(line)[:_MAX]


def describe_db_error(exc: SQLAlchemyError) -> str:
    """`database error while inserting into erp_conflicts: TypeError: Object of type Decimal is not
    JSON serializable`: one line, without SQL or parameters."""
    operation = _operation(exc.statement) if isinstance(exc, StatementError) else None
    cause: BaseException = exc
    if isinstance(exc, StatementError) and exc.orig is not None:
        cause = exc.orig
    reason = _first_line(str(cause)) or type(cause).__name__
    if cause is not exc:
        reason = f"{type(cause).__name__}: {reason}"
    where = f" while {operation}" if operation else ""
    if is_missing_schema(exc):
        return f"the database has no schema ({reason}): run `smartap-erp db upgrade` first"
    return f"database error{where}: {reason}"


def is_missing_schema(exc: SQLAlchemyError) -> bool:
    """True when a statement failed because a table does not exist (`db upgrade` was never run)."""
    cause = exc.orig if isinstance(exc, StatementError) and exc.orig is not None else exc
    return bool(_NO_TABLE.search(f"{type(cause).__name__} {_first_line(str(cause))}"))


_QUOTED_APPENDIX = re.compile(
    r"\s*\[(?:SQL|parameters): .*?(?:\(Background on this error at: [^)]*\)|\Z)", re.DOTALL
)


def strip_sql(text: str) -> str:
    """`text` without SQLAlchemy's `[SQL: ...]` / `[parameters: ...]` appendix (up to its link), keeping
    what follows: a safety net for messages that quote a database error, such as a failed job's."""
    return _QUOTED_APPENDIX.sub("", text).strip()


def describe_exception(exc: BaseException) -> str:
    """One line for an unexpected failure: database errors without SQL, others as `Type: message`."""
    if isinstance(exc, SQLAlchemyError):
        return describe_db_error(exc)
    return f"{type(exc).__name__}: {_first_line(str(exc))}".rstrip(": ")
