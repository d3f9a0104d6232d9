"""What connector methods return besides the standard records: `ConnectionInfo`, `ExportResult`,
`InvoiceExportOutcome`, and `RecordPage`, a page of standard records that also carries the records
that could not be read.

`RecordPage` is a list of standard models (so `for vendor in page` sees only good records) whose
`outcomes` keep every record in ERP order, a `RecordError` in place of each one that failed to map.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Generic, Self, TypeVar

from pydantic import BaseModel, ConfigDict, Field, JsonValue, model_validator

from smartap_erp.domain.enums import ERPSystem
from smartap_erp.domain.results import RecordError
from smartap_erp.domain.types import Amount, CurrencyCode, UTCDateTime

T = TypeVar("T")


class ConnectionInfo(BaseModel):
    """What `test_connection()` learnt about the ERP company behind a connection."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    system: ERPSystem
    company_name: str
    company_id: str | None = Field(None, description="realm id, tenant id, company database or account id")
    country: str | None = None
    base_currency: CurrencyCode | None = None
    details: dict[str, JsonValue] = Field(default_factory=dict)
    checked_at: UTCDateTime


class ExportResult(BaseModel):
    """A bill in the ERP for one exported invoice. `created=False`: it already existed (an
    idempotent replay or a lookup by our reference found it), and nothing new was written."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    external_id: str = Field(min_length=1)
    external_number: str | None = None
    created: bool
    exported_at: UTCDateTime
    version: str | None = None
    erp_total: Amount | None = Field(None, description="the bill total the ERP reports, tax included")


class InvoiceExportOutcome(BaseModel):
    """One invoice of a batch export: either a result or the record-level error that stopped it."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    invoice_number: str
    smartap_invoice_id: str | None = None
    result: ExportResult | None = None
    error: RecordError | None = None

    @model_validator(mode="after")
    def _exactly_one(self) -> Self:
        if (self.result is None) == (self.error is None):
            raise ValueError("an export outcome has exactly one of result and error")
        return self

    @property
    def ok(self) -> bool:
        return self.result is not None


class RecordPage(list[T], Generic[T]):
    """A page of standard records; `outcomes` also holds a `RecordError` for each unreadable one."""

    def __init__(self, outcomes: Iterable[T | RecordError] = ()) -> None:
        self.outcomes: tuple[T | RecordError, ...] = tuple(outcomes)
        super().__init__(item for item in self.outcomes if not isinstance(item, RecordError))

    @property
    def errors(self) -> list[RecordError]:
        return [item for item in self.outcomes if isinstance(item, RecordError)]
