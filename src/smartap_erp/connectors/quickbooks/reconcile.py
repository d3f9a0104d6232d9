"""QuickBooks' side of a reconciliation report (quickbooks.md §Query language, §Paid or not).

Per object, one `SELECT COUNT(*)` and then pages of 1,000 (`MAXRESULTS` cap) selecting only the
needed columns, through the connector's query paging (`queries.start_positions`):
`Vendor` Id, DisplayName, Active (with `Active IN (true, false)`, or inactive vendors are hidden);
`PurchaseOrder` Id, DocNumber, TotalAmt, CurrencyRef, POStatus; `Bill` Id, DocNumber, TotalAmt,
Balance, CurrencyRef, PrivateNote. Payments need no request of their own: a bill's paid amount is
TotalAmt - Balance, Balance being the source of truth. The company's currency (for records without
CurrencyRef) costs one `companyinfo` read. Budget: 1 + Σ over the three entities (1 + ⌈n/1000⌉).
Bills are voided in the QuickBooks UI only (no API operation): amounts become zero and the note
"Voided" is added; such a bill is read as voided. A column list is honoured by QuickBooks; a server
answering whole objects (as the simulator does) is read the same way.
"""

from __future__ import annotations

from typing import Any

from smartap_erp.connectors.common import money
from smartap_erp.connectors.quickbooks import queries
from smartap_erp.connectors.quickbooks.connector import MINOR_VERSION, QuickBooksConnector
from smartap_erp.connectors.reconciliation import ERPRow, ERPSnapshot
from smartap_erp.domain.enums import PaymentStatus
from smartap_erp.http import Call

_PO_STATUS = {"Open": "open", "Closed": "closed"}


def _statement(entity: str, columns: str, conditions: list[str], *, count: bool = False) -> str:
    head = f"SELECT {'COUNT(*)' if count else columns} FROM {entity}"  # noqa: S608 - fixed columns
    where = f" WHERE {' AND '.join(conditions)}" if conditions else ""
    return head + where + ("" if count else " ORDERBY Id")


async def _rows(erp: QuickBooksConnector, entity: str, columns: str, conditions: list[str]) -> list[Any]:
    counted = await erp._query(_statement(entity, columns, conditions, count=True), {"totalCount": int})
    call = Call.get(
        "query", {"query": _statement(entity, columns, conditions), "minorversion": MINOR_VERSION}
    )
    paging = queries.start_positions(int(counted["totalCount"]))
    return [row async for page in erp.pages(call, paging, queries.rows_of(entity)) for row in page.records]


def _ref(raw: dict[str, Any], key: str) -> str | None:
    value = raw.get(key)
    return str(value.get("value")) if isinstance(value, dict) and value.get("value") else None


def bill_row(raw: dict[str, Any], home: str) -> ERPRow:
    total, balance = money(raw.get("TotalAmt", 0)), money(raw.get("Balance", 0))
    voided = total == 0 and "voided" in str(raw.get("PrivateNote") or "").lower()
    if voided:
        paid_status = PaymentStatus.VOIDED
    elif balance == 0 and total > 0:
        paid_status = PaymentStatus.PAID
    else:
        paid_status = PaymentStatus.UNPAID if balance == total else PaymentStatus.PARTIAL
    return ERPRow(
        key=str(raw["Id"]),
        label=raw.get("DocNumber"),
        status="voided" if voided else "open",
        amount=total,
        currency=_ref(raw, "CurrencyRef") or home,
        paid=total - balance,
        paid_status=paid_status.value,
    )


async def read_snapshot(erp: QuickBooksConnector) -> ERPSnapshot:
    home = await erp.home_currency()
    vendors = await _rows(erp, "Vendor", "Id, DisplayName, Active", [queries.ACTIVE_AND_INACTIVE])
    orders = await _rows(erp, "PurchaseOrder", "Id, DocNumber, TotalAmt, CurrencyRef, POStatus", [])
    bills = await _rows(erp, "Bill", "Id, DocNumber, TotalAmt, Balance, CurrencyRef, PrivateNote", [])
    return ERPSnapshot(
        vendors=[
            ERPRow(str(v["Id"]), v.get("DisplayName"), "active" if v.get("Active", True) else "inactive")
            for v in vendors
        ],
        purchase_orders=[
            ERPRow(
                key=str(p["Id"]),
                label=p.get("DocNumber"),
                status=_PO_STATUS.get(str(p.get("POStatus") or "Open"), "open"),
                amount=money(p.get("TotalAmt", 0)),
                currency=_ref(p, "CurrencyRef") or home,
            )
            for p in orders
        ],
        bills=[bill_row(b, home) for b in bills],
    )
