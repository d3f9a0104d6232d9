"""`ImportReport`: what one import did, in counts (created, updated, unchanged, sent to review,
failed), per-record errors, whether it was a full read, and the id of its `erp_sync_logs` row.
`PageCounts` is what one committed page adds to it.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

from smartap_erp.domain.enums import ERPEntity, SyncStatus
from smartap_erp.domain.results import RecordError
from smartap_erp.sync.imports.planning import Action


@dataclass
class PageCounts:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    review: int = 0
    conflicts: int = 0
    deactivated: int = 0
    errors: list[RecordError] = field(default_factory=list)

    def count(self, action: Action) -> None:
        if action is Action.CREATE:
            self.created += 1
        elif action is Action.APPLY:
            self.updated += 1
        elif action is Action.REVIEW:
            self.review += 1
        else:
            self.unchanged += 1


@dataclass
class ImportReport:
    entity_type: ERPEntity
    status: SyncStatus = SyncStatus.IN_PROGRESS
    created_count: int = 0
    updated_count: int = 0
    unchanged_count: int = 0
    review_count: int = 0
    conflict_count: int = 0
    deactivated_count: int = 0
    errors: list[RecordError] = field(default_factory=list)
    full_read: bool = True
    since: Any = None
    log_id: uuid.UUID | None = None
    error_message: str | None = None

    @property
    def error_count(self) -> int:
        return len(self.errors)

    @property
    def success_count(self) -> int:
        return self.created_count + self.updated_count + self.unchanged_count + self.review_count

    @property
    def total_count(self) -> int:
        return self.success_count + self.error_count

    def add(self, page: PageCounts) -> None:
        self.created_count += page.created
        self.updated_count += page.updated
        self.unchanged_count += page.unchanged
        self.review_count += page.review
        self.conflict_count += page.conflicts
        self.deactivated_count += page.deactivated
        self.errors.extend(page.errors)
