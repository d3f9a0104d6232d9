"""What reading an invoice file yields: the valid invoices with where they came from, and the
problems, each naming its row (CSV) or position (JSON), what was wrong, and a short reason to count.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from pydantic import ValidationError

from smartap_erp.invoices.schema import ALL_FIELDS, InvoiceInput

MAX_MESSAGE = 200  # characters of one field's message


@dataclass(frozen=True)
class FileProblem:
    """One refused row (CSV) or invoice (JSON): where, what was wrong, and a short reason to count."""

    where: str  # "row 4" or "invoice 2"
    message: str
    reason: str = "invalid"

    def __str__(self) -> str:
        return f"{self.where}: {self.message}"


@dataclass(frozen=True)
class SourcedInvoice:
    """A valid invoice and where it came from: its CSV rows or its JSON position."""

    invoice: InvoiceInput
    places: tuple[str, ...]


@dataclass
class ParsedFile:
    invoices: list[SourcedInvoice] = field(default_factory=list)
    problems: list[FileProblem] = field(default_factory=list)


class InvoiceFileError(ValueError):
    """The file as a whole cannot be read (missing, wrong format or encoding, bad header)."""


def describe(error: ValidationError) -> tuple[str, str]:
    """(message, reason) for a pydantic error: `field: what was expected`, joined with '; '."""
    parts = []
    for item in error.errors(include_url=False, include_input=False):
        where = _location(item["loc"])
        message = shorten(item["msg"].removeprefix("Value error, "))
        parts.append(f"{where}: {message}" if where else message)
    message = "; ".join(parts)
    return message, _reason(message)


def shorten(text: str, limit: int = MAX_MESSAGE) -> str:
    """At most `limit` characters of `text`: a message may quote a cell, and a cell may be huge."""
    return text if len(text) <= limit else f"{text[: limit - 1]}…"


def _location(loc: tuple[int | str, ...]) -> str:
    words: list[str] = []
    for part in loc:
        if isinstance(part, int) and words and words[-1] == "lines":
            words[-1] = f"line {part + 1}"
        else:
            words.append(str(part))
    return ": ".join(words)


def _reason(message: str) -> str:
    """The first field a message names (`amount`, `currency`, `total`...), to count problems by."""
    found = [(message.find(name), name) for name in (*ALL_FIELDS, "total") if name in message]
    return min(found)[1] if found else "invalid"
