"""Accounting periods in the NetSuite simulator: the SuiteQL tables, the posting check and the admin hook.

NetSuite keeps accounting periods (years, quarters and the posting months under them) with per-period
flags: `closed` (nothing posts), `aplocked` / `arlocked` (the A/P or A/R sub-ledger is locked) and
`alllocked` (every sub-ledger). A vendor bill dated in a period that is closed, A/P locked or all
locked is refused (Oracle help "Transaction Edits in Closed, Locked Accounting Periods"; a role with
Override Period Restrictions may still post to a locked period, the simulated integration role has
none, and the account's "allow transaction date outside of posting period" preference is taken as
Disallow). NetSuite's exact error code and text were not found (UNCERTAIN, sync/error_kinds.py): the
simulator answers `INVALID_FIELD_VALUE` on `tranDate` with "... is in a closed period" / "... is in a
locked period" wording. A date no posting period covers is refused too. Monthly posting periods, their
quarters and years, all open, are seeded lazily from six years before the clock's year to the year
after. SuiteQL serves them as `accountingperiod` (columns id, periodname, startdate, enddate, closed,
aplocked, arlocked, alllocked, isyear, isquarter, isadjust, isposting; analytics names, UNCERTAIN) and
currencies as `currency` (id, name, symbol, isbasecurrency, isinactive).

    {"op": "set_lock_date", "date": "2024-06-30" | null, "how"?: "closed" | "aplocked" | "alllocked"}
        posting periods ending on or before `date` get the flag (default closed); the others are opened
"""

from __future__ import annotations

import calendar
from collections.abc import Iterable, Mapping
from datetime import date
from typing import Any

from erpsim.core.simulator import MutateError, MutateOp
from erpsim.netsuite.errors import NetSuiteError
from erpsim.netsuite.store import NetSuiteStore, Record

RECORD_TYPE = "accountingPeriod"
YEARS_BEFORE, YEARS_AFTER = 6, 1
FLAGS = ("closed", "aplocked", "alllocked")  # what blocks a vendor bill; arlocked does not


def periods_of(store: NetSuiteStore) -> dict[str, Record]:
    """The account's accounting periods by internal id, seeded on first use."""
    periods = store.records.setdefault(RECORD_TYPE, {})
    if not periods:
        this_year = store.today().year
        for year in range(this_year - YEARS_BEFORE, this_year + YEARS_AFTER + 1):
            _add(periods, f"FY {year}", date(year, 1, 1), date(year, 12, 31), kind="year")
            for quarter in range(4):
                first_month = quarter * 3 + 1
                end = date(year, first_month + 2, calendar.monthrange(year, first_month + 2)[1])
                _add(periods, f"Q{quarter + 1} {year}", date(year, first_month, 1), end, kind="quarter")
            for month in range(1, 13):
                first = date(year, month, 1)
                last = date(year, month, calendar.monthrange(year, month)[1])
                _add(periods, first.strftime("%b %Y"), first, last, kind="posting")
    return periods


def _add(periods: dict[str, Record], name: str, start: date, end: date, *, kind: str) -> None:
    ident = str(len(periods) + 1)
    periods[ident] = {
        "id": ident,
        "periodName": name,
        "startDate": start,
        "endDate": end,
        "isYear": kind == "year",
        "isQuarter": kind == "quarter",
        "isAdjust": False,
        "isPosting": kind == "posting",
        **dict.fromkeys((*FLAGS, "arlocked"), False),
    }


def check_open(store: NetSuiteStore, tran_date: date) -> None:
    """Refuse a vendor bill dated in a closed or A/P-locked posting period, or in none."""
    covering = [
        p
        for p in periods_of(store).values()
        if p["isPosting"] and p["startDate"] <= tran_date <= p["endDate"]
    ]
    day = f"{tran_date.month}/{tran_date.day}/{tran_date.year}"
    if not covering:
        raise NetSuiteError(
            "INVALID_FIELD_VALUE",
            f"The transaction date {day} is not in any accounting period.",
            path="tranDate",
        )
    period = covering[0]
    if period["closed"]:
        why = "closed period"
    elif period["aplocked"] or period["alllocked"]:
        why = "locked period"
    else:
        return
    raise NetSuiteError(
        "INVALID_FIELD_VALUE",
        f"You cannot post to a {why}: the transaction date {day} is in {period['periodName']}.",
        path="tranDate",
    )


# SuiteQL column -> stored field (booleans come back as T/F, netsuite-connector.md §SuiteQL)
_PERIOD_FIELDS = {
    "id": "id",
    "periodname": "periodName",
    "startdate": "startDate",
    "enddate": "endDate",
    **{flag: flag for flag in (*FLAGS, "arlocked")},
    "isyear": "isYear",
    "isquarter": "isQuarter",
    "isadjust": "isAdjust",
    "isposting": "isPosting",
}
_CURRENCY_FIELDS = {
    "id": "id",
    "name": "name",
    "symbol": "symbol",
    "isbasecurrency": "isBaseCurrency",
    "isinactive": "isInactive",
}


def _rows(records: Iterable[Record], fields: Mapping[str, str]) -> list[dict[str, Any]]:
    def cell(value: Any) -> Any:
        return ("T" if value else "F") if isinstance(value, bool) else value

    return [{column: cell(record[key]) for column, key in fields.items()} for record in records]


def period_rows(store: NetSuiteStore) -> list[dict[str, Any]]:
    return _rows(periods_of(store).values(), _PERIOD_FIELDS)


PERIOD_COLUMNS = " ".join(_PERIOD_FIELDS)
CURRENCY_COLUMNS = " ".join(_CURRENCY_FIELDS)


def currency_rows(store: NetSuiteStore) -> list[dict[str, Any]]:
    return _rows(store.records["currency"].values(), _CURRENCY_FIELDS)


def mutate_ops(store: NetSuiteStore) -> Mapping[str, MutateOp]:
    def set_lock_date(params: dict[str, Any]) -> dict[str, Any]:
        value, how = params.get("date"), str(params.get("how") or "closed")
        if how not in FLAGS:
            raise MutateError(f"how must be one of {', '.join(FLAGS)}, not {how!r}")
        try:
            through = None if value is None else date.fromisoformat(str(value))
        except ValueError:
            raise MutateError(f"date must be YYYY-MM-DD or null, not {value!r}") from None
        changed = 0
        for period in periods_of(store).values():
            shut = through is not None and period["endDate"] <= through
            period.update(dict.fromkeys(FLAGS, False))
            period[how] = shut
            changed += shut
        return {"through": value, how: changed}

    return {"set_lock_date": set_lock_date}
