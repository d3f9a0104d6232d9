"""QBO error envelopes: the `Fault` bodies, the lower-case 401 body, the throttle and system faults.

Shapes from quickbooks.md §Faults: `{"Fault": {"Error": [{"Message", "Detail", "code", "element"}], "type"},
"time"}` (HTTP 400 for validation, also inside batch items with HTTP 200), the 401 body with
lower-case keys and `type: "AUTHENTICATION"` (code 3200) [Q15], 403 `AuthorizationFailed` (003100),
429 `ThrottleExceeded` (003001) [Q11], and a SystemFault for injected 5xx. `QboFault` is raised by
handlers and rendered once, by `fault_response`.
"""

from __future__ import annotations

from typing import Any

from starlette.responses import Response

from erpsim.core.jsonutil import SimJSONResponse


class QboFault(Exception):
    """A QBO fault: code, Message, Detail, optional element, fault type and HTTP status."""

    def __init__(
        self,
        code: str,
        message: str,
        detail: str,
        *,
        element: str = "",
        fault_type: str = "ValidationFault",
        status: int = 400,
    ) -> None:
        super().__init__(f"{code} {message}: {detail}")
        self.code, self.message, self.detail, self.element = code, message, detail, element
        self.fault_type, self.status = fault_type, status

    def body(self) -> dict[str, Any]:
        error = {"Message": self.message, "Detail": self.detail, "code": self.code}
        if self.element:
            error["element"] = self.element
        return {"Error": [error], "type": self.fault_type}


def fault_response(fault: QboFault, time: str) -> Response:
    return SimJSONResponse({"Fault": fault.body(), "time": time}, status_code=fault.status)


# ---- the faults the simulator raises (codes and messages per quickbooks.md §Faults [Q14])
# -------------------


def required_param(name: str) -> QboFault:
    return QboFault(
        "2020",
        "Required param missing, need to supply the required value for the API",
        f"Required parameter {name} is missing in the request",
        element=name,
    )


def invalid_reference(kind: str, ref: str, element: str) -> QboFault:
    return QboFault(
        "2500",
        "Invalid Reference Id",
        f"Invalid Reference Id : {kind} element id {ref} not found",
        element=element,
    )


def invalid_enum(value: object, element: str) -> QboFault:
    return QboFault("2170", "Invalid Enumeration", f"Invalid Enumeration : {value}", element=element)


def object_not_found(entity: str, ident: str) -> QboFault:
    return QboFault(
        "610",
        "Object Not Found",
        f"Object Not Found : Something you're trying to use has been made inactive. "
        f"Check the fields with accounts, customers, items, vendors or employees. "
        f"({entity} Id {ident})",
    )


def stale_object(ident: str) -> QboFault:
    return QboFault(
        "5010",
        "Stale Object Error",
        f"Stale Object Error : You and another user were working on the same thing (Id {ident}). "
        f"The other user finished before you did, so your work was not saved.",
    )


def duplicate_doc_number(doc_number: str, txn_id: str) -> QboFault:
    return QboFault(
        "6140",
        "Duplicate Document Number Error",
        f"Duplicate Document Number Error : You must specify a different number. This number "
        f"has already been used. DocNumber={doc_number} is assigned to TxnType=Bill with "
        f"TxnId={txn_id}",
    )


def duplicate_name(name: str) -> QboFault:
    return QboFault(
        "6240",
        "Duplicate Name Exists Error",
        f"The name supplied already exists. : Another customer, vendor or employee is already "
        f"using this name ({name}). Please use a different name.",
    )


def business_validation(detail: str, element: str = "") -> QboFault:
    return QboFault(
        "6000",
        "A business validation error has occurred while processing your request",
        f"Business Validation Error: {detail}",
        element=element,
    )


def unsupported_operation(detail: str) -> QboFault:
    return QboFault("500", "Unsupported Operation", f"Operation {detail} is not supported.")


def request_error(detail: str, element: str = "") -> QboFault:
    """Malformed request body (not JSON, wrong types)."""
    return QboFault(
        "2010", "Request has invalid or unsupported property", f"Property Name:{detail}", element=element
    )


def query_parser_error(detail: str) -> QboFault:
    return QboFault("4000", "Error parsing query", f"QueryParserError: {detail}")


def query_validation_error(detail: str) -> QboFault:
    return QboFault("4001", "Invalid query", f"QueryValidationError: {detail}")


def authorization_failed() -> QboFault:
    return QboFault(
        "3100",
        "message=AuthorizationFailed; errorCode=003100; statusCode=403",
        "The token is not authorized for this company (realmId).",
        fault_type="AuthorizationFault",
        status=403,
    )


def throttled() -> QboFault:
    # The XML seen in the wild carries Fault type="SERVICE" and Error code 3001 [Q11].
    return QboFault(
        "3001",
        "message=ThrottleExceeded; errorCode=003001; statusCode=429",
        "The request limit was reached.  Try again later",
        fault_type="SERVICE",
        status=429,
    )


def system_failure(status: int = 500) -> QboFault:
    return QboFault(
        "10000",
        "An application error has occurred while processing your request",
        "System Failure Error: An unexpected error occurred while accessing or saving your data. "
        "Please wait a few minutes and try again.",
        fault_type="SystemFault",
        status=status,
    )


def authentication_failed(detail: str, epoch_millis: int) -> Response:
    """The 401 body seen in the wild: lower-case keys, type AUTHENTICATION, code 3200 [Q15]."""
    body: dict[str, Any] = {
        "warnings": None,
        "intuitObject": None,
        "fault": {
            "error": [
                {
                    "message": "message=AuthenticationFailed; errorCode=003200; statusCode=401",
                    "detail": detail,
                    "code": "3200",
                    "element": None,
                }
            ],
            "type": "AUTHENTICATION",
        },
        "report": None,
        "queryResponse": None,
        "batchItemResponse": [],
        "attachableResponse": [],
        "syncErrorResponse": None,
        "requestId": None,
        "time": epoch_millis,
        "status": None,
        "cdcresponse": [],
    }
    return SimJSONResponse(body, status_code=401)
