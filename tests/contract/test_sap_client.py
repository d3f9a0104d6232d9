"""SAP Business One Service Layer simulator driven with plain `requests`, as most integrations do.

Plain requests, which issue 12 allows in place of an OData client (SAP's own pyodata speaks OData v2
only; the Service Layer is v3 at `/b1s/v1`, v4 at `/b1s/v2`). A `requests.Session` keeps the
`B1SESSION` / `ROUTEID` cookies from `POST /Login` (sap.md §Login and session cookies) and follows
`odata.nextLink` resolved against the base URL (sap.md §Paging). The base URL is the simulator's loopback URL;
nothing else changes.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import urljoin

import pytest
import requests

from erpsim.core import Clock
from erpsim.core.testing import LiveServer

pytestmark = pytest.mark.contract


class Sap:
    def __init__(self, live: LiveServer) -> None:
        self.live = live
        self.root = f"{live.base_url}/b1s/v1/"
        self.session = requests.Session()

    def login(self) -> requests.Response:
        creds = self.live.sim.credentials()
        body = {
            "CompanyDB": creds["company_db"],
            "UserName": creds["username"],
            "Password": creds["password"],
        }
        return self.session.post(urljoin(self.root, "Login"), json=body, timeout=10)

    def get(self, path: str, **kwargs: Any) -> requests.Response:
        return self.session.get(urljoin(self.root, path), timeout=10, **kwargs)

    def post(self, path: str, body: dict[str, Any]) -> requests.Response:
        return self.session.post(urljoin(self.root, path), json=body, timeout=10)


@pytest.fixture
def sap(serve: Callable[..., LiveServer]) -> Sap:
    client = Sap(serve("sap", clock=Clock.fixed("2024-06-03T12:00:00+00:00")))
    assert client.login().status_code == 200
    return client


def _suppliers(sap: Sap, page_size: int) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    url: str | None = urljoin(
        sap.root,
        "BusinessPartners?$select=CardCode,CardName&$filter=CardType eq 'cSupplier'&$orderby=CardCode",
    )
    while url:
        page = sap.session.get(url, headers={"Prefer": f"odata.maxpagesize={page_size}"}, timeout=10)
        assert page.status_code == 200, page.text
        assert page.headers["Preference-Applied"] == f"odata.maxpagesize={page_size}"
        body = page.json()
        rows += body["value"]
        url = urljoin(sap.root, body["odata.nextLink"]) if "odata.nextLink" in body else None
    return rows


def test_login_cookies_and_paged_reads(sap: Sap) -> None:
    assert {"B1SESSION", "ROUTEID"} <= set(sap.session.cookies.keys())
    rows = _suppliers(sap, 7)
    codes = [row["CardCode"] for row in rows]
    assert codes == sorted(set(codes))
    count = sap.get("BusinessPartners/$count", params={"$filter": "CardType eq 'cSupplier'"})
    assert int(count.text) == len(rows) == len(_suppliers(sap, 100))


def test_purchase_invoice_create_and_an_invalid_one(sap: Sap) -> None:
    card = _suppliers(sap, 100)[0]["CardCode"]
    body = {
        "CardCode": card,
        "NumAtCard": "CT-SAP-1",
        "DocDate": "2024-06-01",
        "DocDueDate": "2024-07-01",
        "DocType": "dDocument_Service",
        "DocumentLines": [
            {"ItemDescription": "Contract test", "AccountCode": "_SYS00000000610", "LineTotal": 100.0}
        ],
    }
    created = sap.post("PurchaseInvoices", body)
    assert created.status_code == 201, created.text
    entry = created.json()["DocEntry"]
    assert created.headers["Location"] == urljoin(sap.root, f"PurchaseInvoices({entry})")
    read = sap.get(f"PurchaseInvoices({entry})").json()
    assert (read["CardCode"], read["NumAtCard"], read["DocumentStatus"]) == (card, "CT-SAP-1", "bost_Open")
    refused = sap.post("PurchaseInvoices", {**body, "CardCode": "NO-SUCH-BP"})
    assert refused.status_code == 400
    assert refused.json()["error"]["message"]["lang"] == "en-us"
    assert isinstance(refused.json()["error"]["code"], int)


def test_session_end_is_401_code_301_and_a_new_login_recovers(sap: Sap) -> None:
    # idle past SessionTimeout (30 minutes, sap.md §Login and session cookies)
    sap.live.sim.clock.advance(31 * 60)
    expired = sap.get("BusinessPartners", params={"$top": "1"})
    assert expired.status_code == 401 and expired.json()["error"]["code"] == 301
    assert sap.login().status_code == 200  # the Service Layer's "refresh": log in again
    assert sap.get("BusinessPartners", params={"$top": "1"}).status_code == 200
    assert sap.post("Logout", {}).status_code == 204
    assert sap.get("BusinessPartners", params={"$top": "1"}).json()["error"]["code"] == 301
