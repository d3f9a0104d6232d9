"""Empty values on a Bill create, as QBO takes them (issue 12 item 17).

The most used Python client (python-quickbooks) sends every unset field: `"TxnDate": ""`,
`"DueDate": ""`, `"ExchangeRate": 0`, `"CustomField": []` on each line. QBO accepts empty dates (a
bill with `DueDate ""` is due 9999-12-31, python-quickbooks issue 124; ServiceDate likewise, PR 400)
but refuses an empty enum value (`BillableStatus ""`, issues 133/157).
"""

from __future__ import annotations

from typing import Any

import httpx

from .conftest import Qbo, fault
from .test_writes import account, bill_body, post, usd_vendor


async def _created(client: httpx.AsyncClient, qbo: Qbo, body: dict[str, Any]) -> dict[str, Any]:
    response = await post(client, qbo, "bill", body)
    assert response.status_code == 200, response.text
    bill: dict[str, Any] = response.json()["Bill"]
    return bill


async def test_empty_txn_date_is_today_in_the_company_time_zone(client: httpx.AsyncClient, qbo: Qbo) -> None:
    bill = await _created(client, qbo, bill_body(qbo, usd_vendor(qbo), TxnDate=""))
    assert bill["TxnDate"] == qbo.sim.store.today() == "2024-06-03"


async def test_empty_due_date_is_the_9999_sentinel(client: httpx.AsyncClient, qbo: Qbo) -> None:
    bill = await _created(client, qbo, bill_body(qbo, usd_vendor(qbo), DueDate=""))
    assert bill["TxnDate"] == "2024-06-01"
    assert bill["DueDate"] == "9999-12-31"


async def test_absent_due_date_still_follows_the_terms(client: httpx.AsyncClient, qbo: Qbo) -> None:
    bill = await _created(client, qbo, bill_body(qbo, usd_vendor(qbo)))
    assert bill["DueDate"] != "9999-12-31" and bill["DueDate"] >= "2024-06-01"


async def test_malformed_dates_are_still_refused(client: httpx.AsyncClient, qbo: Qbo) -> None:
    for member in ("TxnDate", "DueDate"):
        response = await post(client, qbo, "bill", bill_body(qbo, usd_vendor(qbo), **{member: "06/01/2024"}))
        assert response.status_code == 400
        assert fault(response)["code"] == "2010" and member in fault(response)["Detail"]


async def test_empty_billable_status_is_an_invalid_enumeration(client: httpx.AsyncClient, qbo: Qbo) -> None:
    body = bill_body(qbo, usd_vendor(qbo))
    body["Line"][0]["AccountBasedExpenseLineDetail"]["BillableStatus"] = ""
    response = await post(client, qbo, "bill", body)
    assert response.status_code == 400
    assert fault(response)["code"] == "2170"
    assert "BillableStatus" in fault(response)["element"]


async def test_python_quickbooks_create_body_is_accepted(client: httpx.AsyncClient, qbo: Qbo) -> None:
    """The body python-quickbooks 0.9.12 sends for a Bill with one account line and nothing else set."""
    vendor = usd_vendor(qbo)
    body = {
        "Balance": 0,
        "DocNumber": "",
        "DueDate": "",
        "ExchangeRate": 0,
        "LinkedTxn": [],
        "PrivateNote": "",
        "SyncToken": 0,
        "TotalAmt": "",
        "TxnDate": "",
        "domain": "QBO",
        "sparse": False,
        "VendorRef": {"name": "", "type": "", "value": vendor["Id"]},
        "Line": [
            {
                "AccountBasedExpenseLineDetail": {
                    "AccountRef": {"name": "", "type": "", "value": account(qbo, "Supplies")},
                    "TaxInclusiveAmt": 0,
                },
                "Amount": 100,
                "CustomField": [],
                "DetailType": "AccountBasedExpenseLineDetail",
                "LineNum": 0,
                "LinkedTxn": [],
            }
        ],
    }
    bill = await _created(client, qbo, body)
    assert (bill["TxnDate"], bill["DueDate"]) == ("2024-06-03", "9999-12-31")
    assert bill["ExchangeRate"] == 1  # 0 is no rate: the home currency's 1
    assert bill["TotalAmt"] == bill["Balance"] == 100
    assert "DocNumber" not in bill
