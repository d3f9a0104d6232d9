"""The bill RESTlet's batch POST, `{"bills": [...]}`, as the shipped script runs it (netsuite/restlets/
smartap_bill_batch.js, docs/netsuite.md 10.4.1), with the same governance accounting.

One RESTlet execution has 5,000 usage units (netsuite-connector.md §RESTlets). The script spends, per
Oracle's SuiteScript 2.x API Governance table: one externalId search for the batch (10), per bill created
`record.create`/`record.transform` (10) and `Record.save` (20), a second externalId search when a save
fails (10), and one read-back search (10); it attempts a bill only while 40 + 10 units plus the 50-unit
reserve are left, and answers the rest `notAttempted`. `Governance` counts the same units against
`NetSuiteSim.restlet_usage_limit` (5,000; the `set_restlet_usage_limit` mutate op lowers it for tests).
Each bill is answered in request order: `created` / `existing` (by externalId: before the batch, or
earlier in it) with id, tranId, total and lastModifiedDate; `error` with NetSuite's code; `notAttempted`.
One simplification: the simulator validates a bill when it is attempted, so a bill whose body is
malformed costs a failed attempt's 40 units here, where the script refuses it before spending any.
"""

from __future__ import annotations

from typing import Any

from erpsim.core.clock import isoformat_z
from erpsim.netsuite import bills
from erpsim.netsuite.errors import NetSuiteError
from erpsim.netsuite.store import NetSuiteStore, Record

MAX_BILLS = 100
SEARCH_UNITS = 10  # ResultSet.getRange
CREATE_UNITS, SAVE_UNITS = 10, 20  # record.create / transform and Record.save of a transaction
BILL_UNITS = CREATE_UNITS + SAVE_UNITS + SEARCH_UNITS  # a bill's worst case: its save fails, look again
RESERVE_UNITS = 50
USAGE_LIMIT = 5000


class Governance:
    """Usage units of one RESTlet execution."""

    def __init__(self, limit: int) -> None:
        self.limit, self.used = limit, 0

    def charge(self, units: int) -> None:
        self.used += units

    def left(self) -> int:
        return self.limit - self.used


def is_batch(payload: Any) -> bool:
    return isinstance(payload, dict) and "bills" in payload


def post_batch(store: NetSuiteStore, payload: dict[str, Any], limit: int) -> tuple[Record, Governance]:
    """The answer `{"results": [...]}` and the execution's usage units."""
    raw = payload["bills"]
    if not isinstance(raw, list) or not 1 <= len(raw) <= MAX_BILLS:
        raise NetSuiteError("INVALID_FIELD_VALUE", f"bills must be a list of 1 to {MAX_BILLS} bills")
    units = Governance(limit)
    externals = [_external_id(body) for body in raw]
    units.charge(SEARCH_UNITS)  # one search for every externalId of the batch
    known = {e: bill["id"] for e in set(externals) if e and (bill := store.by_external_id("vendorBill", e))}
    outcomes: list[Record] = []
    stopped = False
    for body, external in zip(raw, externals, strict=True):
        if external is None and _blank_external_id(body):  # refused before any unit is spent
            error = {"code": "MISSING_REQUIRED_FIELD", "message": "externalId is required"}
            outcomes.append({"status": "error", "error": error})
            continue
        if external and external in known:
            outcomes.append({"status": "existing", "id": known[external]})
            continue
        stopped = stopped or units.left() - BILL_UNITS - SEARCH_UNITS < RESERVE_UNITS
        if stopped:
            outcomes.append({"status": "notAttempted"})
            continue
        outcome = _create(store, body, external, units)
        if "id" in outcome and external:
            known[external] = outcome["id"]
        outcomes.append(outcome)
    if all(o["status"] == "notAttempted" for o in outcomes):
        raise NetSuiteError(
            "SSS_USAGE_LIMIT_EXCEEDED",
            "Not enough governance units left to create one bill; retry the request.",
        )
    units.charge(SEARCH_UNITS)  # the read-back search
    results = [
        _result(store, index, external, o)
        for index, (external, o) in enumerate(zip(externals, outcomes, strict=True))
    ]
    return {"results": results}, units


def _external_id(body: Any) -> str | None:
    value = body.get("externalId") if isinstance(body, dict) else None
    return value.strip() if isinstance(value, str) and value.strip() else None


def _blank_external_id(body: Any) -> bool:
    value = body.get("externalId") if isinstance(body, dict) else None
    return isinstance(body, dict) and (value is None or (isinstance(value, str) and not value.strip()))


def _create(store: NetSuiteStore, body: Any, external: str | None, units: Governance) -> Record:
    units.charge(CREATE_UNITS + SAVE_UNITS)
    try:  # the script stores the externalId trimmed, as it looked it up
        bill = bills.create_bill(store, bills.validate_bill(store, body, external_id=external))
    except NetSuiteError as error:
        units.charge(SEARCH_UNITS)  # the script looks for a concurrent request's bill
        return {"status": "error", "error": {"code": error.code, "message": error.message}}
    return {"status": "created", "id": bill["id"]}


def _result(store: NetSuiteStore, index: int, external: str | None, outcome: Record) -> Record:
    result: Record = {"index": index, "externalId": external, "status": outcome["status"]}
    if "error" in outcome:
        result["error"] = outcome["error"]
    if "id" in outcome:
        bill = store.get("vendorBill", outcome["id"])
        assert bill is not None
        result.update(
            id=bill["id"],
            tranId=bill["tranId"],
            total=store.total(bill),
            lastModifiedDate=isoformat_z(bill["lastModifiedDate"]),
        )
    return result
