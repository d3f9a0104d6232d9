"""`POST /v3/company/{realmId}/batch`: several queries and writes in one request
(quickbooks.md §Batch requests).

Body `{"BatchItemRequest": [{"bId": "1", "operation": "create", "Bill": {...}}, {"bId": "2", "Query":
"select ..."}]}`; the answer `{"BatchItemResponse": [{"bId": "1", "Bill": {...}}, {"bId": "2",
"QueryResponse": {...}}, {"bId": "3", "Fault": {...}}]}` comes with HTTP 200 even when items fail. Items run
in order but cannot see what earlier items of the same payload created [Q21]: such records are hidden from
references and queries until the batch ends (database checks such as the DocNumber duplicate check still see
them, as items are committed one by one). At most 30 items per request: the limit Intuit's batch page and
its 2023 post give, and what an API Explorer test reports (more than 30 fails); quickbooks.md §Batch requests
leaves 10 vs 30 UNCERTAIN. With a `requestid`, each bId may have at most 10 characters [Q13]. `"operation":
"update"` with `"optionsData": "void"` is a void [blog 2023-07-19]. CDCQuery items are not simulated.
"""

from __future__ import annotations

from typing import Any

from erpsim.quickbooks import faults as f
from erpsim.quickbooks import query as q
from erpsim.quickbooks.store import ENTITIES, QboStore
from erpsim.quickbooks.writes import write_entity

MAX_ITEMS = 30
OPERATIONS = ("create", "update", "delete")


def run_batch(
    store: QboStore, body: Any, *, allow_duplicate: bool, has_request_id: bool
) -> list[dict[str, Any]]:
    items = body.get("BatchItemRequest") if isinstance(body, dict) else None
    if not isinstance(items, list) or not items:
        raise f.required_param("BatchItemRequest")
    if len(items) > MAX_ITEMS:
        # The exact fault text for an oversized batch is not documented; 6000 is the generic code.
        raise f.business_validation(
            f"A batch request can have at most {MAX_ITEMS} BatchItemRequest items; "
            f"this one has {len(items)}.",
            element="BatchItemRequest",
        )
    _check_ids(items, has_request_id)
    try:
        return [_run_item(store, item, allow_duplicate) for item in items]
    finally:
        store.hidden.clear()


def _check_ids(items: list[Any], has_request_id: bool) -> None:
    seen: set[str] = set()
    for item in items:
        bid = item.get("bId") if isinstance(item, dict) else None
        if bid in (None, ""):
            raise f.required_param("BatchItemRequest.bId")
        if has_request_id and len(str(bid)) > 10:
            raise f.business_validation(
                f"bId {bid} is longer than 10 characters, the limit when a requestid is given.", element="bId"
            )
        if str(bid) in seen:
            raise f.business_validation(f"Duplicate bId {bid} in the batch request.", element="bId")
        seen.add(str(bid))


def _run_item(store: QboStore, item: dict[str, Any], allow_duplicate: bool) -> dict[str, Any]:
    bid = str(item["bId"])
    try:
        if "Query" in item:
            return {"bId": bid, "QueryResponse": q.run(store, q.parse(str(item["Query"])))}
        if "CDCQuery" in item:
            raise f.unsupported_operation("CDCQuery in batch (not simulated)")
        entity = next((name for name in ENTITIES if name in item), None)
        if entity is None or not isinstance(item[entity], dict):
            raise f.required_param("BatchItemRequest entity")
        operation = item.get("operation")
        if operation not in OPERATIONS:
            raise f.invalid_enum(operation, "operation")
        if operation == "update" and item.get("optionsData") == "void":
            operation = "void"
        record = write_entity(store, entity, operation, item[entity], allow_duplicate=allow_duplicate)
        if operation == "create":
            store.hidden.add((entity, record["Id"]))
        return {"bId": bid, entity: record}
    except f.QboFault as fault:
        return {"bId": bid, "Fault": fault.body()}
