"""What to do with one imported record, decided from three hashes, and conflict rows written a page
at a time.

`erp_hash` is the incoming record's canonical hash, `synced_hash` the one both sides agreed on at
the last sync (None if never), `smartap_hash` SmartAP's row as it is now (None if there is no row).
The ERP side changed if `erp_hash != synced_hash`; SmartAP's side changed if
`smartap_hash != synced_hash`. Both changed is a conflict, settled by the connection's policy for
the entity (`conflict_policies`): smartap_wins, erp_wins, newest_wins or manual (the default: a row
in `erp_conflicts` for a person, nothing overwritten). Policy-settled conflicts are recorded as
resolved `erp_conflicts` rows (`resolved_by = "policy:<name>"`) so every overwrite can be traced.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from pydantic_core import to_jsonable_python
from sqlalchemy import Select, Table, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from smartap_erp.db.ids import uuid7
from smartap_erp.db.models import ERPConflict, ERPConnection
from smartap_erp.domain.enums import ConflictStatus, ERPEntity
from smartap_erp.errors import ConfigurationError
from smartap_erp.events import engine as raised
from smartap_erp.sync.imports.bulk import among, insert_rows
from smartap_erp.sync.records import canonical_hash

CONFLICTS: Table = ERPConflict.__table__  # type: ignore[assignment]


class Policy(StrEnum):
    SMARTAP_WINS = "smartap_wins"
    ERP_WINS = "erp_wins"
    NEWEST_WINS = "newest_wins"
    MANUAL = "manual"


DEFAULT_POLICY = Policy.MANUAL


class Action(StrEnum):
    CREATE = "create"  # no SmartAP row: insert it and the mapping
    APPLY = "apply"  # write the ERP's version over SmartAP's row, and the mapping
    ACK = "ack"  # both sides already agree: write only the mapping
    KEEP = "keep"  # conflict settled for SmartAP: mapping acknowledges the ERP's version, row kept
    REVIEW = "review"  # conflict left to a person: an open erp_conflicts row, nothing else
    UNCHANGED = "unchanged"  # nothing changed on the ERP side: nothing written


def policy_for(connection: ERPConnection, entity: ERPEntity) -> Policy:
    raw = (connection.conflict_policies or {}).get(entity.value)
    if raw is None:
        return DEFAULT_POLICY
    try:
        return Policy(raw)
    except ValueError:
        allowed = ", ".join(p.value for p in Policy)
        raise ConfigurationError(
            f"connection {connection.name!r}: conflict policy {raw!r} for {entity.value} "
            f"is not one of {allowed}"
        ) from None


def settle(
    policy: Policy, erp_updated_at: dt.datetime | None, smartap_updated_at: dt.datetime | None
) -> Action:
    """The action a policy takes on a conflict. newest_wins: the later change wins, a tie goes to the
    ERP (the book of record); without the ERP's change time it cannot decide, so a person does."""
    if policy is Policy.ERP_WINS:
        return Action.APPLY
    if policy is Policy.SMARTAP_WINS:
        return Action.KEEP
    if policy is Policy.NEWEST_WINS and erp_updated_at is not None and smartap_updated_at is not None:
        return Action.APPLY if erp_updated_at >= smartap_updated_at else Action.KEEP
    return Action.REVIEW


@dataclass(frozen=True)
class Classified:
    action: Action
    conflict: bool


def classify(
    erp_hash: str,
    synced_hash: str | None,
    smartap_hash: str | None,
    *,
    policy: Policy,
    erp_updated_at: dt.datetime | None,
    smartap_updated_at: dt.datetime | None,
) -> Classified:
    if smartap_hash is None:
        return Classified(Action.CREATE, False)
    if erp_hash == synced_hash:
        return Classified(Action.UNCHANGED, False)
    if smartap_hash == erp_hash:
        return Classified(Action.ACK, False)
    if synced_hash is not None and smartap_hash == synced_hash:
        return Classified(Action.APPLY, False)
    # Both sides moved (or a first link of two records that differ): the policy decides.
    return Classified(settle(policy, erp_updated_at, smartap_updated_at), True)


@dataclass(frozen=True)
class ConflictRecord:
    erp_record_id: str
    smartap_record_id: uuid.UUID | None
    smartap_version: dict[str, Any]
    erp_version: dict[str, Any]
    action: Action
    policy: Policy


def decide(
    *,
    key: str,
    record: Any,
    erp_hash: str,
    synced_hash: str | None,
    smartap: dict[str, Any] | None,
    smartap_updated_at: dt.datetime | None,
    smartap_id: uuid.UUID,
    policy: Policy,
) -> tuple[Action, ConflictRecord | None]:
    """What to do with one ERP record given its SmartAP counterpart (if any), and the conflict to
    record when both sides changed since they last agreed. Shared by every entity's page writer."""
    result = classify(
        erp_hash,
        synced_hash,
        canonical_hash(smartap) if smartap is not None else None,
        policy=policy,
        erp_updated_at=record.updated_at,
        smartap_updated_at=smartap_updated_at,
    )
    if not result.conflict:
        return result.action, None
    # Stored as JSON: Decimals (quantities, prices) become exact strings, never floats (issue 12 #9).
    conflict = ConflictRecord(
        key,
        smartap_id,
        to_jsonable_python(smartap or {}),
        record.model_dump(mode="json"),
        result.action,
        policy,
    )
    return result.action, conflict


def open_conflicts(
    session: AsyncSession, connection_id: uuid.UUID, entity: ERPEntity, erp_ids: Sequence[str]
) -> Select[uuid.UUID, str]:
    """(id, erp_record_id) of the open conflicts of these ERP records, found by record
    (`ix_erp_conflicts_record`)."""
    return select(ERPConflict.id, ERPConflict.erp_record_id).where(
        ERPConflict.connection_id == connection_id,
        ERPConflict.entity_type == entity,
        ERPConflict.status == ConflictStatus.OPEN,
        among(session, ERPConflict.erp_record_id, erp_ids),
    )


async def write_conflicts(
    session: AsyncSession,
    connection_id: uuid.UUID,
    entity: ERPEntity,
    conflicts: Sequence[ConflictRecord],
    now: dt.datetime,
) -> None:
    """Open conflicts refresh an already open row for the same record (no duplicates across syncs);
    settled ones are inserted as resolved, for the record."""
    if not conflicts:
        return
    looked_up = open_conflicts(session, connection_id, entity, [c.erp_record_id for c in conflicts])
    open_ids = {row.erp_record_id: row.id for row in (await session.execute(looked_up)).all()}
    refreshed, new = [], []
    for c in conflicts:
        versions = {"smartap_version": c.smartap_version, "erp_version": c.erp_version, "updated_at": now}
        if c.action is Action.REVIEW and c.erp_record_id in open_ids:
            refreshed.append({"id": open_ids[c.erp_record_id], **versions})
            continue
        settled = c.action is not Action.REVIEW
        new.append(
            {
                "id": uuid7(),
                "connection_id": connection_id,
                "entity_type": entity,
                "smartap_record_id": c.smartap_record_id,
                "erp_record_id": c.erp_record_id,
                "status": ConflictStatus.RESOLVED if settled else ConflictStatus.OPEN,
                "resolution": ("erp" if c.action is Action.APPLY else "smartap") if settled else None,
                "resolved_by": f"policy:{c.policy.value}" if settled else None,
                "resolved_at": now if settled else None,
                "created_at": now,
                **versions,
            }
        )
    if refreshed:
        await session.execute(update(ERPConflict), refreshed)
    if new:
        await insert_rows(session, CONFLICTS, new)  # every column given: Core rows, one statement
        opened = [row for row in new if row["status"] == ConflictStatus.OPEN]
        await raised.conflicts_opened(session, connection_id, opened)  # conflict.created
