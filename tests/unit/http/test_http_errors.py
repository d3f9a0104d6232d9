"""The ERP error tree: what each class tells the caller, one readable line, no secrets, picklable."""

from __future__ import annotations

import datetime as dt
import pickle

import pytest

from smartap_erp.domain.enums import ERPSystem
from smartap_erp.errors import (
    ConfigurationError,
    ERPAuthError,
    ERPConfigurationError,
    ERPConflictError,
    ERPDuplicateError,
    ERPError,
    ERPNotFoundError,
    ERPPermissionError,
    ERPProtocolError,
    ERPQuotaExhaustedError,
    ERPRateLimitError,
    ERPRecordError,
    ERPTransientError,
    ERPValidationError,
    PaginationError,
    SmartAPError,
)
from smartap_erp.http import register_secret


@pytest.mark.parametrize(
    ("cls", "category"),
    [
        (ERPAuthError, ERPAuthError),
        (ERPPermissionError, ERPAuthError),
        (ERPRateLimitError, ERPTransientError),
        (ERPQuotaExhaustedError, ERPTransientError),
        (ERPValidationError, ERPRecordError),
        (ERPNotFoundError, ERPRecordError),
        (ERPConflictError, ERPRecordError),
        (ERPDuplicateError, ERPRecordError),
        (PaginationError, ERPProtocolError),
        (ERPConfigurationError, ConfigurationError),
    ],
)
def test_tree_groups_errors_by_what_the_caller_must_do(
    cls: type[ERPError], category: type[Exception]
) -> None:
    error = cls("x", erp=ERPSystem.XERO)
    assert isinstance(error, category)
    assert isinstance(error, ERPError)
    assert isinstance(error, SmartAPError)


def test_every_error_carries_the_erp_details_and_reads_as_one_line() -> None:
    error = ERPValidationError(
        "the ERP refused the record",
        erp=ERPSystem.QUICKBOOKS,
        url="https://quickbooks.api.intuit.com/v3/company/123/bill?minorversion=75",
        method="POST",
        status=400,
        code="6000",
        message="A business validation error has occurred\nwhile processing your request",
        field="Line[0].AccountRef",
    )
    assert (error.erp, error.status, error.code, error.field) == (
        ERPSystem.QUICKBOOKS,
        400,
        "6000",
        "Line[0].AccountRef",
    )
    assert str(error) == (
        "quickbooks: the ERP refused the record (HTTP 400 for POST "
        "https://quickbooks.api.intuit.com/v3/company/123/bill?minorversion=75) - ERP said 6000: "
        "A business validation error has occurred while processing your request [field Line[0].AccountRef]"
    )
    assert "\n" not in str(error)


def test_minimal_error_is_still_readable() -> None:
    assert str(ERPTransientError("no answer", erp=ERPSystem.SAP)) == "sap: no answer"


def test_secrets_are_scrubbed_from_url_message_and_summary() -> None:
    register_secret("Sentinel-Access-Token-4242")
    error = ERPAuthError(
        "refresh with Sentinel-Access-Token-4242 failed",
        erp=ERPSystem.QUICKBOOKS,
        url="https://user:pw@api.test/x?access_token=abc123456&page=2",
        status=401,
        code="3200",
        message='Token expired: Sentinel-Access-Token-4242 {"refresh_token": "zzz-not-registered"}',
    )
    text = str(error)
    assert "Sentinel-Access-Token-4242" not in text
    assert "abc123456" not in text and "pw@" not in text
    assert "zzz-not-registered" not in text
    assert "page=2" in text


def test_long_erp_messages_are_truncated() -> None:
    error = ERPValidationError("refused", erp=ERPSystem.XERO, message="x" * 5000)
    assert error.message is not None and len(error.message) == 500


def test_rate_limit_errors_say_when_to_come_back() -> None:
    resets = dt.datetime(2026, 5, 1, 12, 0, tzinfo=dt.UTC)
    spent = ERPQuotaExhaustedError(
        "day quota spent", erp=ERPSystem.XERO, retry_after=3600.0, resets_at=resets
    )
    limited = ERPRateLimitError("rate limit hit", erp=ERPSystem.QUICKBOOKS, status=429, retry_after=60.0)
    assert (spent.retry_after, spent.resets_at) == (3600.0, resets)
    assert str(spent) == "xero: day quota spent; resets at 2026-05-01T12:00:00+00:00"
    assert str(limited).endswith("; retry after 60 s")


def test_errors_survive_pickling() -> None:
    resets = dt.datetime(2026, 5, 1, 12, 0, tzinfo=dt.UTC)
    original = ERPQuotaExhaustedError(
        "day quota spent", erp=ERPSystem.XERO, status=429, code="day", retry_after=3.0, resets_at=resets
    )
    copy = pickle.loads(pickle.dumps(original))  # noqa: S301 (our own object)
    assert type(copy) is ERPQuotaExhaustedError
    assert (copy.erp, copy.status, copy.code, copy.retry_after, copy.resets_at) == (
        ERPSystem.XERO,
        429,
        "day",
        3.0,
        resets,
    )
    assert str(copy) == str(original)
    plain = pickle.loads(pickle.dumps(ERPNotFoundError("gone", erp=ERPSystem.SAP, field="CardCode")))  # noqa: S301
    assert (type(plain), plain.field, str(plain)) == (
        ERPNotFoundError,
        "CardCode",
        "sap: gone [field CardCode]",
    )


def test_erp_configuration_error_keeps_the_configuration_exit_code() -> None:
    assert (
        ERPConfigurationError("bad client id", erp=ERPSystem.XERO).exit_code == ConfigurationError.exit_code
    )
