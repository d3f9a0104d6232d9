"""Query statements carried as `Query` items of one `POST /batch` (quickbooks.md §Batch requests,
erp-api-facts §1.9): several reads for one request of the rate limit (a batch counts once toward the 500 a
minute, and once toward the 40 batch requests a minute per realm and app, `limits.py`).

Intuit runs the items one after the other and answers HTTP 200 with one `BatchItemResponse` per item, by
`bId`: a `QueryResponse` (the same object a plain `GET query` answers, quickbooks.md §Query language) or a
`Fault`. A Fault is raised as the error the same statement would have raised alone: its code picks the
class where QuickBooks' codes say one (`errors.py`), else the HTTP status a plain query answers with a Fault
of that `type` (ValidationFault 400, AuthenticationFault 401, AuthorizationFault 403, SystemFault 500),
through the same mapping as any failed response (`responses.error_for_response`). An answer missing an item,
naming an unknown `bId` or holding something else is an `ERPProtocolError`: never a read silently short.
How many items one request may carry is UNCERTAIN (10 or 30, §1.9): callers size their batches.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import httpx

from smartap_erp.connectors.quickbooks import queries
from smartap_erp.connectors.quickbooks.errors import fault_details
from smartap_erp.connectors.responses import error_for_response
from smartap_erp.domain.enums import ERPSystem
from smartap_erp.errors import ERPError
from smartap_erp.http import Call
from smartap_erp.http.call import json_body, unexpected_answer

if TYPE_CHECKING:
    from smartap_erp.connectors.quickbooks.connector import QuickBooksConnector

# The company's record as a Query item (Intuit API reference, CompanyInfo): the home currency follows from
# its Country, as `test_connection` reads it from `GET companyinfo/<realm>`, for no request of its own.
COMPANY_INFO = "SELECT * FROM CompanyInfo"
COMPANY_KEYS: Mapping[str, type] = {"CompanyInfo": list}

# The HTTP status a plain request answers with a Fault of this type (quickbooks.md §Faults; the XSD
# spells the authorization type `AuthorizatonFault`, 401s come as `AUTHENTICATION`).
_STATUS_OF_FAULT = {
    "ValidationFault": 400,
    "AuthenticationFault": 401,
    "AUTHENTICATION": 401,
    "AuthorizationFault": 403,
    "AuthorizatonFault": 403,
    "SystemFault": 500,
}


async def run(
    connector: QuickBooksConnector,
    statements: Sequence[str],
    keys: Sequence[Mapping[str, type] | None] | None = None,
) -> list[dict[str, Any]]:
    """The `QueryResponse` of each statement, in order, from one `/batch` request; `keys[i]` are
    required in the i-th (e.g. `totalCount` of a COUNT)."""
    return answers(connector, await send(connector, statements), len(statements), keys)


async def send(connector: QuickBooksConnector, statements: Sequence[str]) -> httpx.Response:
    """The `/batch` request of `statements` (bId = position), its answer unread: a caller holding
    answers ahead keeps them as bytes, several times smaller than parsed rows."""
    from smartap_erp.connectors.quickbooks.connector import MINOR_VERSION  # the connector imports us

    items = [{"bId": str(index), "Query": statement} for index, statement in enumerate(statements)]
    call = Call(
        "POST",
        "batch",
        params=(("minorversion", MINOR_VERSION),),
        json={"BatchItemRequest": items},
        headers=(("Content-Type", "application/json"),),
        idempotent=True,  # reads only
    )
    return await connector.send(call)


def answers(
    connector: QuickBooksConnector,
    response: httpx.Response,
    count: int,
    keys: Sequence[Mapping[str, type] | None] | None = None,
) -> list[dict[str, Any]]:
    """The `QueryResponse` of each of the `count` statements `send` sent, in order (module docstring)."""
    body = json_body(response, ERPSystem.QUICKBOOKS, keys={"BatchItemResponse": list})
    found: dict[int, dict[str, Any]] = {}
    for item in body["BatchItemResponse"]:
        bid = item.get("bId") if isinstance(item, dict) else None
        index = int(bid) if isinstance(bid, str) and bid.isdigit() else -1
        if not 0 <= index < count or index in found:
            raise unexpected_answer(response, ERPSystem.QUICKBOOKS, f"a batch item with bId {bid!r:.40}")
        if "Fault" in item:
            raise fault_error(response, item["Fault"], now=connector.options.clock())
        wanted = keys[index] if keys is not None else None
        found[index] = queries.checked_response(item.get("QueryResponse"), response, wanted)
    missing = [index for index in range(count) if index not in found]
    if missing:
        raise unexpected_answer(response, ERPSystem.QUICKBOOKS, f"no BatchItemResponse for bId {missing}")
    return [found[index] for index in range(count)]


def learn_company(connector: QuickBooksConnector, answer: Mapping[str, Any]) -> None:
    """Take the home currency from the answer to `COMPANY_INFO` (asked with `COMPANY_KEYS`)."""
    connector.learn_company((answer["CompanyInfo"] or [{}])[0])


def fault_error(response: httpx.Response, fault: Any, *, now: float) -> ERPError:
    """The error a plain request would have raised for this Fault (module docstring)."""
    if not isinstance(fault, dict):
        return unexpected_answer(response, ERPSystem.QUICKBOOKS, "a batch item Fault that is not an object")
    status = _STATUS_OF_FAULT.get(str(fault.get("type") or ""), 400)
    alone = httpx.Response(status, request=response.request)
    return error_for_response(ERPSystem.QUICKBOOKS, alone, fault_details(fault), now=now)
