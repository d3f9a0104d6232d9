"""What kind of error stopped a sync run, or refused a record: `ErrorKind`, stored in
`erp_sync_logs.error_kind` (migration 0015) and shown by a connection's health, so a person sees at once
whether to reconnect, wait out a rate limit, reopen a closed accounting period or fix a record.

The kind follows the class of the exception (`smartap_erp.errors`) except for closed or locked
accounting periods: every ERP reports those as an ordinary validation error, so each ERP's own code
or wording is matched here, one table per ERP with its source. A per-record error (a `RecordError`:
the ERP's code and message) gets the same classification. Matching is on the ERP's code where the ERP
gives a specific one (QuickBooks 6210), else on the wording of its message (Xero, SAP Business One,
NetSuite), case-insensitive.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum

import httpx

from smartap_erp.errors import (
    ConfigurationError,
    ERPAuthError,
    ERPError,
    ERPProtocolError,
    ERPRateLimitError,
    ERPRecordError,
    ERPTransientError,
)
from smartap_erp.mappings.apply import MappingRuleError


class ErrorKind(StrEnum):
    """What a person (or the scheduler) should do about an error."""

    AUTH = "auth"  # credentials refused or a permission missing: reconnect, or grant the permission
    RATE_LIMIT = "rate_limit"  # the ERP's rate limit or daily quota: the run comes back later by itself
    PERIOD_LOCKED = "period_locked"  # the document's date is in a closed or locked period: reopen it in
    # the ERP, or change the date
    VALIDATION = "validation"  # the ERP (or SmartAP's own checks) refused a record: fix the record
    CONFIGURATION = "configuration"  # set-up is wrong: client id/secret, company or tenant, a mapping
    UNAVAILABLE = "unavailable"  # 5xx, timeouts, unreachable: transient, retried later
    PROTOCOL = "protocol"  # an ERP answer SmartAP cannot understand: report it
    INTERNAL = "internal"  # a failure on SmartAP's side (database, bug): report it


@dataclass(frozen=True)
class _LockedPeriod:
    """How one ERP says "that period is closed": its specific error codes, or its message wording."""

    codes: frozenset[str] = frozenset()
    wording: re.Pattern[str] | None = None

    def matches(self, code: str | None, message: str | None) -> bool:
        if code is not None and code.strip().lstrip("0") in self.codes:
            return True
        return bool(self.wording and message and self.wording.search(message))


_LOCKED_PERIODS: Mapping[str, _LockedPeriod] = {
    # QuickBooks Online: code 6210 "Account Period Closed" (erp-api-facts.md §1.11, Intuit's "handling
    # common errors" page [Q14]); the Fault detail reads "The account period has closed and the account
    # books cannot be updated through the QBO Services API. Please use the QBO website to make these
    # changes." (quoted by integrators: synder.com/help/the-account-period-has-closed, help.autoentry.com,
    # support.bill.com). Intuit's 2017 blog also once labels 6210 as a duplicate number (facts §1.11);
    # the errors page and integrators say closed period, so 6210 is read as closed period.
    "quickbooks": _LockedPeriod(
        codes=frozenset({"6210"}), wording=re.compile(r"account period has closed", re.IGNORECASE)
    ),
    # Xero: a ValidationException (HTTP 400, ErrorNumber 10, facts §2.9) or a bill with HasErrors whose
    # ValidationErrors say "The document date cannot be before the period lock date, currently set at
    # 30-Nov-2018" or "... before the end of year lock date ..." (Xero's two lock dates, period/adviser
    # and end of year; quoted by Emersion, Pleo, Chargebee and Dext help pages). The code
    # ("ValidationException") is shared by every validation error, so only the wording tells.
    "xero": _LockedPeriod(
        wording=re.compile(r"cannot be before the (?:period|end of year|adviser) lock date", re.IGNORECASE)
    ),
    # SAP Business One: the DI core's "Posting period locked" (reported through the Service Layer as
    # a negative code with that text; iVend KB "DI: Posting Period Locked"), and "-5002 ... Posting Date
    # deviates from the defined range. To complete the operation, define the posting period to match the
    # entered Posting Date" when no open posting period covers the date (vision33 iDocuments KB). -5002
    # is a catch-all code of the DI core (facts §3.5: no complete catalogue), so only the wording tells.
    "sap": _LockedPeriod(
        wording=re.compile(
            r"posting period (?:is )?locked|period is locked|posting date deviates from the defined range",
            re.IGNORECASE,
        )
    ),
    # NetSuite: a transaction dated in a closed period is refused ("closed" blocks every posting, "locked"
    # only the locked sub-ledger, A/P here; Oracle's help "Transaction Edits in Closed, Locked Accounting
    # Periods", bill.com's NetSuite sync notes). The exact REST `o:errorCode` and text were not found
    # (UNCERTAIN): the wording of either state is matched.
    "netsuite": _LockedPeriod(
        wording=re.compile(
            r"\b(?:closed|locked) (?:accounting |posting )?period\b"
            r"|\bperiod (?:is|has been) (?:closed|locked)\b",
            re.IGNORECASE,
        )
    ),
}


def is_period_locked(erp: str | None, code: str | None, message: str | None) -> bool:
    """Whether the ERP's error (its code and message) says the document's period is closed or locked."""
    rule = _LOCKED_PERIODS.get(str(erp or ""))
    return rule is not None and rule.matches(code, message)


def classify(exc: BaseException) -> ErrorKind:
    """The kind of the exception that stopped a run."""
    if isinstance(exc, ERPError):
        system = exc.erp.value
        if is_period_locked(system, exc.code, exc.message) or is_period_locked(system, None, exc.summary):
            return ErrorKind.PERIOD_LOCKED
        for kind, classes in _BY_CLASS:
            if isinstance(exc, classes):
                return kind
        return ErrorKind.PROTOCOL
    if isinstance(exc, ConfigurationError | MappingRuleError):
        return ErrorKind.CONFIGURATION
    if isinstance(exc, httpx.TransportError | TimeoutError | ConnectionError):
        return ErrorKind.UNAVAILABLE
    return ErrorKind.INTERNAL


# Most specific first: a quota is a rate limit is transient; a permission error is an auth error.
_BY_CLASS: tuple[tuple[ErrorKind, type[BaseException] | tuple[type[BaseException], ...]], ...] = (
    (ErrorKind.RATE_LIMIT, ERPRateLimitError),
    (ErrorKind.AUTH, ERPAuthError),
    (ErrorKind.CONFIGURATION, ConfigurationError),  # ERPConfigurationError is both
    (ErrorKind.UNAVAILABLE, ERPTransientError),
    (ErrorKind.VALIDATION, ERPRecordError),
    (ErrorKind.PROTOCOL, ERPProtocolError),
)


def classify_record(erp: str | None, code: str | None, message: str | None) -> ErrorKind:
    """The kind of one refused record: a closed period (the ERP's words, or SmartAP's own check before
    the write: code "period_locked", sync.export.guards), else a validation error."""
    if code == ErrorKind.PERIOD_LOCKED.value or is_period_locked(erp, code, message):
        return ErrorKind.PERIOD_LOCKED
    return ErrorKind.VALIDATION


def run_kind(failure: BaseException | None, record_kinds: Iterable[ErrorKind]) -> ErrorKind | None:
    """The kind a log records: the failure that stopped the run, else (the run finished with refused
    records) a closed period if any record met one (it blocks every later record of that period too),
    else the first record's kind; None when nothing failed."""
    if failure is not None:
        return classify(failure)
    kinds = list(record_kinds)
    if not kinds:
        return None
    return ErrorKind.PERIOD_LOCKED if ErrorKind.PERIOD_LOCKED in kinds else kinds[0]


_VALUES = frozenset(kind.value for kind in ErrorKind)


def stored_kind(value: str | None) -> ErrorKind | None:
    """A log's stored `error_kind` read back; None for none, or for a value this version does not know."""
    return ErrorKind(value) if value in _VALUES else None
