"""`sync.error_kinds` on the error bodies the ERPs really send: each ERP's closed or locked period
(read through that connector's own error parsing) is `period_locked`; the same ERP's other validation
errors stay `validation`; every other error class has its kind."""

from __future__ import annotations

import types
from typing import Any

import httpx
import pytest

from smartap_erp.connectors.netsuite.connector import NetSuiteConnector
from smartap_erp.connectors.quickbooks.errors import response_error_details
from smartap_erp.connectors.responses import ErrorDetails, error_for_response
from smartap_erp.connectors.sap.connector import SAPConnector
from smartap_erp.connectors.xero.connector import XeroConnector
from smartap_erp.domain.enums import ERPSystem
from smartap_erp.errors import (
    ConfigurationError,
    ERPAuthError,
    ERPConfigurationError,
    ERPPermissionError,
    ERPProtocolError,
    ERPQuotaExhaustedError,
    ERPRateLimitError,
    ERPTransientError,
    ERPValidationError,
)
from smartap_erp.mappings.apply import MappingRuleError
from smartap_erp.sync.error_kinds import ErrorKind, classify, classify_record, is_period_locked, run_kind

URL = "https://erp.example/api"


def _response(status: int, body: Any) -> httpx.Response:
    return httpx.Response(status, json=body, request=httpx.Request("POST", URL))


def _details(erp: ERPSystem, response: httpx.Response) -> ErrorDetails:
    """The connector's own reading of an error body (no connector instance needed for it)."""
    if erp is ERPSystem.QUICKBOOKS:
        return response_error_details(response)
    if erp is ERPSystem.XERO:
        return XeroConnector.error_details(None, response)  # type: ignore[arg-type]
    if erp is ERPSystem.SAP:
        return SAPConnector.error_details(None, response)  # type: ignore[arg-type]
    holder = types.SimpleNamespace(_error_class=NetSuiteConnector._error_class)
    return NetSuiteConnector.error_details(holder, response)  # type: ignore[arg-type]


def _error(erp: ERPSystem, status: int, body: Any) -> Exception:
    response = _response(status, body)
    return error_for_response(erp, response, _details(erp, response), now=0.0)


# QuickBooks Fault, quickbooks.md §Faults: 6210 Account Period Closed, with Intuit's detail text.
QBO_CLOSED = {
    "Fault": {
        "Error": [
            {
                "Message": "Account Period Closed, Cannot Update Through Services API",
                "Detail": "The account period has closed and the account books cannot be updated through "
                "the QBO Services API. Please use the QBO website to make these changes.",
                "code": "6210",
                "element": "",
            }
        ],
        "type": "ValidationFault",
    },
    "time": "2026-12-08T01:02:03.000-08:00",
}
QBO_OTHER = {
    "Fault": {
        "Error": [{"Message": "Required param missing", "Detail": "VendorRef", "code": "2020"}],
        "type": "ValidationFault",
    }
}
# Xero ValidationException (ErrorNumber 10) with the element's ValidationErrors, xero.md §Errors.
XERO_LOCKED = {
    "ErrorNumber": 10,
    "Type": "ValidationException",
    "Message": "A validation exception occurred",
    "Elements": [
        {
            "Type": "ACCPAY",
            "InvoiceNumber": "INV-1",
            "ValidationErrors": [
                {
                    "Message": "The document date cannot be before the period lock date, "
                    "currently set at 30-Nov-2026"
                }
            ],
        }
    ],
}
XERO_YEAR_END = {
    **XERO_LOCKED,
    "Elements": [
        {
            "ValidationErrors": [
                {
                    "Message": "The document date cannot be before the end of year lock date, "
                    "currently set at 30-Jun-2026"
                }
            ]
        }
    ],
}
XERO_OTHER = {
    **XERO_LOCKED,
    "Elements": [
        {"ValidationErrors": [{"Message": "Account code '999' is not a valid code for this document."}]}
    ],
}
# SAP Business One Service Layer v1 error envelope, sap.md §Error bodies.
SAP_LOCKED = {"error": {"code": -5002, "message": {"lang": "en-us", "value": "Posting period locked"}}}
SAP_RANGE = {
    "error": {
        "code": "-5002",
        "message": "10000156 - Posting Date deviates from the defined range. To complete the operation, "
        "define the posting period to match the entered Posting Date",
    }
}
SAP_OTHER = {"error": {"code": -10, "message": {"lang": "en-us", "value": "Item code already exists"}}}
# NetSuite REST record service error body, netsuite.md §Errors.
NS_CLOSED = {
    "type": "https://www.rfc-editor.org/rfc/rfc9110.html#section-15.5.1",
    "title": "Bad Request",
    "status": 400,
    "o:errorDetails": [
        {
            "detail": "Error while accessing a resource. You cannot post to a closed period.",
            "o:errorCode": "USER_ERROR",
            "o:errorPath": "postingPeriod",
        }
    ],
}
NS_OTHER = {
    **NS_CLOSED,
    "o:errorDetails": [{"detail": "Please enter value(s) for: Vendor", "o:errorCode": "USER_ERROR"}],
}


@pytest.mark.parametrize(
    ("erp", "body"),
    [
        (ERPSystem.QUICKBOOKS, QBO_CLOSED),
        (ERPSystem.XERO, XERO_LOCKED),
        (ERPSystem.XERO, XERO_YEAR_END),
        (ERPSystem.SAP, SAP_LOCKED),
        (ERPSystem.SAP, SAP_RANGE),
        (ERPSystem.NETSUITE, NS_CLOSED),
    ],
)
def test_each_erps_locked_period_is_period_locked(erp: ERPSystem, body: Any) -> None:
    error = _error(erp, 400, body)
    assert classify(error) is ErrorKind.PERIOD_LOCKED
    details = _details(erp, _response(400, body))  # the same, read as a refused record
    assert classify_record(erp.value, details.code, details.message) is ErrorKind.PERIOD_LOCKED


@pytest.mark.parametrize(
    ("erp", "body"),
    [
        (ERPSystem.QUICKBOOKS, QBO_OTHER),
        (ERPSystem.XERO, XERO_OTHER),
        (ERPSystem.SAP, SAP_OTHER),
        (ERPSystem.NETSUITE, NS_OTHER),
    ],
)
def test_other_validation_errors_stay_validation(erp: ERPSystem, body: Any) -> None:
    error = _error(erp, 400, body)
    assert classify(error) is ErrorKind.VALIDATION
    details = _details(erp, _response(400, body))
    assert classify_record(erp.value, details.code, details.message) is ErrorKind.VALIDATION


def test_the_wording_of_one_erp_does_not_classify_another() -> None:
    xero_text = "The document date cannot be before the period lock date, currently set at 30-Nov-2026"
    assert is_period_locked("xero", "ValidationException", xero_text)
    assert not is_period_locked("quickbooks", "6000", xero_text)
    assert not is_period_locked("quickbooks", "6140", "Duplicate Document Number Error")
    assert is_period_locked("quickbooks", "006210", None)  # codes rendered zero-padded (facts §1.11)
    assert not is_period_locked("acme", "6210", "Posting period locked")  # an ERP without a table


def test_qbo_throttle_and_auth_faults() -> None:
    throttled = _error(
        ERPSystem.QUICKBOOKS,
        429,
        {"fault": {"error": [{"message": "message=ThrottleExceeded; errorCode=003001; statusCode=429"}]}},
    )
    assert isinstance(throttled, ERPRateLimitError) and classify(throttled) is ErrorKind.RATE_LIMIT
    expired = _error(
        ERPSystem.QUICKBOOKS,
        401,
        {
            "fault": {
                "error": [{"message": "AuthenticationFailed", "detail": "Token expired", "code": "3200"}]
            }
        },
    )
    assert classify(expired) is ErrorKind.AUTH


@pytest.mark.parametrize(
    ("error", "kind"),
    [
        (ERPAuthError("refresh refused", erp=ERPSystem.XERO, code="invalid_grant"), ErrorKind.AUTH),
        (ERPPermissionError("403", erp=ERPSystem.SAP, status=403), ErrorKind.AUTH),
        (ERPQuotaExhaustedError("day spent", erp=ERPSystem.XERO, status=429), ErrorKind.RATE_LIMIT),
        (ERPConfigurationError("bad client", erp=ERPSystem.XERO), ErrorKind.CONFIGURATION),
        (ERPTransientError("502", erp=ERPSystem.NETSUITE, status=502), ErrorKind.UNAVAILABLE),
        (ERPProtocolError("no JSON", erp=ERPSystem.SAP), ErrorKind.PROTOCOL),
        (ERPValidationError("refused", erp=ERPSystem.SAP, code="-10"), ErrorKind.VALIDATION),
        (ConfigurationError("no such account"), ErrorKind.CONFIGURATION),
        (MappingRuleError("name", "bad rule"), ErrorKind.CONFIGURATION),
        (httpx.ConnectError("refused"), ErrorKind.UNAVAILABLE),
        (RuntimeError("bug"), ErrorKind.INTERNAL),
    ],
)
def test_classes_map_to_kinds(error: BaseException, kind: ErrorKind) -> None:
    assert classify(error) is kind


def test_a_run_records_its_failure_else_a_locked_period_else_the_first_record() -> None:
    auth = ERPAuthError("refused", erp=ERPSystem.XERO)
    assert run_kind(auth, [ErrorKind.PERIOD_LOCKED]) is ErrorKind.AUTH
    assert run_kind(None, [ErrorKind.VALIDATION, ErrorKind.PERIOD_LOCKED]) is ErrorKind.PERIOD_LOCKED
    assert run_kind(None, [ErrorKind.VALIDATION]) is ErrorKind.VALIDATION
    assert run_kind(None, []) is None
