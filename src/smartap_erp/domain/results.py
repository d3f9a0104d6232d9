"""`SyncResult[T]`: what one connector read did, in counts, per-record errors and the records read.

The seed's result type (`entity_type, status, total_count, success_count, error_count, errors,
data`), made generic in its records: `ERPConnector.import_vendors` returns a `SyncResult[ERPVendor]`
whose `data` holds typed `ERPVendor` models, `import_purchase_orders` a `SyncResult[ERPPurchaseOrder]`.
`SyncResult.of(...)` builds one from the records and errors of a read, with counts and status derived
from them. It serialises to JSON and back without loss (`to_json` / `from_json`, parametrised:
`SyncResult[ERPVendor].from_json(text)`); left unparametrised, `data` holds whatever was given.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Generic, Self, TypeVar

from pydantic import BaseModel, ConfigDict, Field, model_validator

from smartap_erp.domain.enums import ERPEntity, SyncStatus
from smartap_erp.domain.types import UTCDateTime

T = TypeVar("T")


class RecordError(BaseModel):
    """Why one record failed: which record, which field, and what the ERP or validator said."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    record_id: str | None = None
    field: str | None = None
    message: str
    code: str | None = None


class SyncResult(BaseModel, Generic[T]):
    model_config = ConfigDict(frozen=True, extra="forbid")

    entity_type: ERPEntity
    status: SyncStatus
    total_count: int = Field(0, ge=0)
    success_count: int = Field(0, ge=0)
    error_count: int = Field(0, ge=0)
    created_count: int = Field(0, ge=0)
    updated_count: int = Field(0, ge=0)
    unchanged_count: int = Field(0, ge=0)
    errors: tuple[RecordError, ...] = ()
    data: tuple[T, ...] = ()
    started_at: UTCDateTime | None = None
    completed_at: UTCDateTime | None = None

    @model_validator(mode="after")
    def _counts_add_up(self) -> Self:
        if self.success_count + self.error_count > self.total_count:
            raise ValueError(
                f"success_count {self.success_count} + error_count {self.error_count} "
                f"exceeds total_count {self.total_count}"
            )
        return self

    @classmethod
    def of(
        cls,
        entity: ERPEntity,
        records: Sequence[T],
        errors: Sequence[RecordError],
        *,
        started_at: dt.datetime,
        completed_at: dt.datetime,
    ) -> Self:
        """The result of a read: COMPLETED without errors, FAILED with errors only, PARTIAL otherwise."""
        if errors and not records:
            status = SyncStatus.FAILED
        elif errors:
            status = SyncStatus.PARTIAL
        else:
            status = SyncStatus.COMPLETED
        return cls(
            entity_type=entity,
            status=status,
            total_count=len(records) + len(errors),
            success_count=len(records),
            error_count=len(errors),
            errors=tuple(errors),
            data=tuple(records),
            started_at=started_at,
            completed_at=completed_at,
        )

    def to_json(self) -> str:
        return self.model_dump_json()

    @classmethod
    def from_json(cls, text: str | bytes) -> Self:
        return cls.model_validate_json(text)
