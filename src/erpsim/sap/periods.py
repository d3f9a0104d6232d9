"""Posting periods in the SAP Business One simulator: the CompanyService reads and the posting check.

B1 keeps period categories (OACP, one per fiscal year) and their posting periods (OFPR), each with a
`PeriodStatus` (PeriodStatusEnum, DI API 10.0): `ltUnlocked`, `ltUnlockedExceptSales` (A/R documents
refused, A/P allowed), `ltPeriodClosing` (only users with period-closing authorisation post; the
simulated `manager` is a superuser, so it posts) and `ltLocked` (nothing posts). The simulator seeds
monthly periods, all unlocked, from six years before the clock's year to the year after it (lazily, on
first use), and serves them the Service Layer way: `GET|POST CompanyService_GetPeriods` (categories:
`AbsoluteEntry`, `PeriodCategory`) and `POST CompanyService_GetFinancePeriods` with
`{"PeriodCategoryParams": {"AbsoluteEntry": n}}` (`AbsoluteEntry`, `PeriodCode`, `PeriodName`,
`PeriodStatus`, `PostingDateFrom`, `PostingDateTo`, `DueDateFrom`/`To`, `DocumentDateFrom`/`To`,
`PeriodCategory`), both as an OData `value` array (shape UNCERTAIN, names from the SL metadata and the
SDK help). A purchase document whose `DocDate` is in a locked period is refused with the DI text
"Posting period locked; specify an alternative date", and one no period covers with "-5002 ... Posting
Date deviates from the defined range" (sync/error_kinds.py; both codes -5002, the first UNCERTAIN).

    {"op": "set_lock_date", "date": "2024-06-30" | null, "company_db"?: "SBODEMOUS"}
        periods ending on or before `date` become ltLocked, the others ltUnlocked (null: all unlocked)
    {"op": "set_period_status", "period_code": "2024-06", "status": "ltPeriodClosing"}
"""

from __future__ import annotations

import calendar
from collections.abc import Callable, Mapping
from datetime import date
from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from erpsim.core import MutateError, MutateOp
from erpsim.core.jsonutil import SimJSONResponse, loads
from erpsim.sap.company import Company
from erpsim.sap.documents import DocumentError
from erpsim.sap.envelope import NOT_FOUND_CODE, NOT_FOUND_MESSAGE, error

if TYPE_CHECKING:
    from erpsim.sap.sessions import Session
    from erpsim.sap.sim import SapSim

STATUSES = ("ltUnlocked", "ltUnlockedExceptSales", "ltPeriodClosing", "ltLocked")
BLOCKS_PURCHASES = frozenset({"ltLocked"})
CATEGORIES, PERIODS = "PeriodCategories", "FinancePeriods"
YEARS_BEFORE, YEARS_AFTER = 6, 1
LOCKED = (-5002, "Posting period locked; specify an alternative date")
OUT_OF_RANGE = (
    -5002,
    "Posting Date deviates from the defined range. To complete the operation, define the posting "
    "period to match the entered Posting Date",
)
Guard = Callable[..., Callable[[Request], Any]]


def periods_of(company: Company) -> list[dict[str, Any]]:
    """The company's posting periods, seeded on first use."""
    if not company.records(CATEGORIES):
        this_year = company.clock.now().year
        for year in range(this_year - YEARS_BEFORE, this_year + YEARS_AFTER + 1):
            category = len(company.records(CATEGORIES)) + 1
            company.add(CATEGORIES, {"AbsoluteEntry": category, "PeriodCategory": str(year)}, "AbsoluteEntry")
            for month in range(1, 13):
                first = date(year, month, 1)
                last = date(year, month, calendar.monthrange(year, month)[1])
                code = f"{year}-{month:02d}"
                entry = len(company.records(PERIODS)) + 1
                days = {"From": first.isoformat(), "To": last.isoformat()}
                company.add(
                    PERIODS,
                    {
                        "AbsoluteEntry": entry,
                        "PeriodCode": code,
                        "PeriodName": code,
                        "SubNum": month,
                        "PeriodCategory": category,
                        "PeriodStatus": "ltUnlocked",
                        **{
                            f"{kind}Date{end}": day
                            for kind in ("Posting", "Due", "Document")
                            for end, day in days.items()
                        },
                    },
                    "AbsoluteEntry",
                )
    return company.records(PERIODS)


def check_posting(company: Company, doc_date: str) -> None:
    """Refuse a purchase document dated in a locked period or in none (DocumentError)."""
    covering = [p for p in periods_of(company) if p["PostingDateFrom"] <= doc_date <= p["PostingDateTo"]]
    if not covering:
        raise DocumentError(*OUT_OF_RANGE)
    if any(p["PeriodStatus"] in BLOCKS_PURCHASES for p in covering):
        raise DocumentError(*LOCKED)


def routes(sim: SapSim, version: str, guard: Guard) -> list[BaseRoute]:
    async def categories(request: Request, session: Session, company: Company) -> Response:
        periods_of(company)
        return _values(company.records(CATEGORIES))

    async def finance(request: Request, session: Session, company: Company) -> Response:
        try:
            body = loads(await request.body() or b"{}")
            entry = body["PeriodCategoryParams"]["AbsoluteEntry"]
        except (ValueError, KeyError, TypeError):
            return error(version, 400, -1, "PeriodCategoryParams.AbsoluteEntry is mandatory")
        periods = periods_of(company)
        if company.get(CATEGORIES, entry) is None:
            return error(version, 404, NOT_FOUND_CODE, NOT_FOUND_MESSAGE)
        return _values([p for p in periods if p["PeriodCategory"] == entry])

    prefix = f"/b1s/{version}/CompanyService_"
    return [
        Route(prefix + "GetPeriods", guard(sim, version, categories), methods=["GET", "POST"]),
        Route(prefix + "GetFinancePeriods", guard(sim, version, finance), methods=["POST"]),
    ]


def _values(rows: list[dict[str, Any]]) -> Response:
    return SimJSONResponse({"value": [dict(r) for r in rows]})


def mutate_ops(sim: SapSim) -> Mapping[str, MutateOp]:
    def company_of(params: dict[str, Any]) -> Company:
        found = sim.companies.get(str(params.get("company_db") or next(iter(sim.companies))))
        if found is None:
            raise MutateError(f"unknown company_db {params.get('company_db')!r}")
        return found

    def set_lock_date(params: dict[str, Any]) -> dict[str, Any]:
        company = company_of(params)
        value = params.get("date")
        try:
            through = None if value is None else date.fromisoformat(str(value)).isoformat()
        except ValueError:
            raise MutateError(f"date must be YYYY-MM-DD or null, not {value!r}") from None
        locked = []
        for period in periods_of(company):
            closed = through is not None and period["PostingDateTo"] <= through
            period["PeriodStatus"] = "ltLocked" if closed else "ltUnlocked"
            if closed:
                locked.append(period["PeriodCode"])
        return {"locked": len(locked), "through": value}

    def set_period_status(params: dict[str, Any]) -> dict[str, Any]:
        company = company_of(params)
        status = params.get("status")
        if status not in STATUSES:
            raise MutateError(f"status must be one of {', '.join(STATUSES)}")
        code = params.get("period_code")
        period = next((p for p in periods_of(company) if p["PeriodCode"] == code), None)
        if period is None:
            raise MutateError(f"no posting period {code!r}")
        period["PeriodStatus"] = status
        return {"period_code": code, "status": status}

    return {"set_lock_date": set_lock_date, "set_period_status": set_period_status}
