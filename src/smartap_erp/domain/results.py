"""`SyncResult`: what one import or export did, in counts and per-record errors.

It serialises to JSON and back without loss (`to_json` / `from_json`); `data` holds JSON values only.
"""

from __future__ import annotations

from typing import Self

from pydantic import BaseModel, ConfigDict, Field, JsonValue, model_validator

from smartap_erp.domain.enums import ERPEntity, SyncStatus
from smartap_erp.domain.types import UTCDateTime


class RecordError(BaseModel):
    """Why one record failed: which record, which field, and what the ERP or validator said."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    record_id: str | None = None
    field: str | None = None
    message: str
    code: str | None = None


class SyncResult(BaseModel):
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
    data: tuple[JsonValue, ...] = ()
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

    def to_json(self) -> str:
        return self.model_dump_json()

    @classmethod
    def from_json(cls, text: str | bytes) -> SyncResult:
        return cls.model_validate_json(text)
