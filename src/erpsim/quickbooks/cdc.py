"""Change Data Capture: `GET /v3/company/{realmId}/cdc?entities=...&changedSince=...`
(quickbooks.md §Change data capture).

Returns, per requested entity, the records whose LastUpdatedTime is at or after changedSince
(inclusive: "changed since"; the real boundary is not documented) plus deleted ones as
`{"Id", "status": "Deleted", "domain", "MetaData"}`; voided bills carry `"status": "Voided"`.
At most 1000 objects per entity (no paging). changedSince must lie within the last 30 days.
TaxCode and TaxRate are not supported by CDC. Inactive name-list records are included.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from erpsim.quickbooks import faults as f
from erpsim.quickbooks.store import CDC_ENTITIES, COMPANY_TZ, ENTITIES, QboStore

CDC_WINDOW = 30 * 86400
CDC_MAX = 1000


def _since(value: str | None, now: float) -> float:
    if not value:
        raise f.required_param("changedSince")
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise f.request_error(f"changedSince is not an ISO 8601 date-time: {value}", "changedSince") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=COMPANY_TZ)
    since = moment.timestamp()
    if since < now - CDC_WINDOW:
        raise f.business_validation("changedSince must be within the last 30 days.", element="changedSince")
    return since


def _entities(value: str | None) -> list[str]:
    if not value:
        raise f.required_param("entities")
    names = {name.lower(): name for name in ENTITIES}
    chosen = []
    for raw in (part.strip() for part in value.split(",") if part.strip()):
        name = names.get(raw.lower())
        if name is None or name not in CDC_ENTITIES:
            raise f.business_validation(f"CDC is not supported for entity {raw}.", element="entities")
        if name not in chosen:
            chosen.append(name)
    return chosen


def run_cdc(store: QboStore, entities: str | None, changed_since: str | None) -> dict[str, Any]:
    """The CDCResponse item: `{"QueryResponse": [{Entity: [...], ...}, ...]}`."""
    since = _since(changed_since, store.clock.time())
    responses = []
    for entity in _entities(entities):
        changed: list[tuple[float, dict[str, Any]]] = []
        for ident, updated in store.updated[entity].items():
            if updated >= since:
                record = store.records[entity][ident]
                if entity == "Bill" and ident in store.voided:
                    record = {**record, "status": "Voided"}
                changed.append((updated, record))
        for stone in store.tombstones[entity].values():
            if stone.deleted_at >= since:
                changed.append(
                    (
                        stone.deleted_at,
                        {
                            "Id": stone.id,
                            "status": "Deleted",
                            "domain": "QBO",
                            "MetaData": {"LastUpdatedTime": store.stamp(stone.deleted_at)},
                        },
                    )
                )
        changed.sort(key=lambda pair: pair[0])
        rows = [record for _, record in changed[:CDC_MAX]]
        responses.append({entity: rows, "startPosition": 1, "maxResults": len(rows)} if rows else {})
    return {"QueryResponse": responses}
