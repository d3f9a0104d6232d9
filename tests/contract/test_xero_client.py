"""xero-python 15 (Xero's official SDK) against the Xero simulator, unpatched.

How the client reaches the simulator, through its public configuration only:
- `AccountingApi(api_client, base_url=...)` and `IdentityApi(api_client, base_url=...)`: the
  SDK's documented base-URL argument, set to the simulator's `/api.xro/2.0` and root;
- the token endpoint: xero-python keeps `https://identity.xero.com/connect/token` in the public class
  attribute `TokenApi.refresh_token_url` and offers no other hook (its HTTP layer is urllib3, with no
  session to mount an adapter on), so the test sets that one attribute, for the test's duration only.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from xero_python.accounting import AccountingApi, Contact, Invoice, Invoices, LineItem
from xero_python.api_client import ApiClient, Configuration
from xero_python.api_client.oauth2 import OAuth2Token, TokenApi
from xero_python.exceptions import AccountingBadRequestException, ApiException
from xero_python.identity import IdentityApi

from erpsim.core.testing import LiveServer

pytestmark = pytest.mark.contract
SCOPES = ["offline_access", "accounting.transactions", "accounting.contacts", "accounting.settings"]


class Xero:
    def __init__(self, live: LiveServer) -> None:
        self.live = live
        self.creds = live.sim.credentials()
        self.tenant = self.creds["tenant_id"]
        self.token: dict[str, Any] = {
            "access_token": self.creds["access_token"],
            "refresh_token": self.creds["refresh_token"],
            "token_type": "Bearer",
            "expires_in": 1800,
            "scope": SCOPES,
        }
        oauth2 = OAuth2Token(client_id=self.creds["client_id"], client_secret=self.creds["client_secret"])
        self.api_client = ApiClient(
            Configuration(oauth2_token=oauth2),
            pool_threads=1,
            oauth2_token_getter=lambda: self.token,
            oauth2_token_saver=self._save,
        )
        self.accounting = AccountingApi(self.api_client, base_url=f"{live.base_url}/api.xro/2.0")
        self.identity = IdentityApi(self.api_client, base_url=live.base_url)

    def _save(self, token: dict[str, Any]) -> None:
        self.token = token


@pytest.fixture
def xero(serve: Callable[..., LiveServer], monkeypatch: pytest.MonkeyPatch) -> Xero:
    live = serve("xero")
    monkeypatch.setattr(TokenApi, "refresh_token_url", f"{live.base_url}/connect/token")
    return Xero(live)


def test_connections_and_paged_bill_reads(xero: Xero) -> None:
    assert xero.tenant in [c.tenant_id for c in xero.identity.get_connections()]
    seen: list[str] = []
    page = 1
    while True:
        batch = xero.accounting.get_invoices(
            xero.tenant, where='Type=="ACCPAY"', order="InvoiceNumber", page=page, page_size=5
        ).invoices
        seen += [invoice.invoice_id for invoice in batch]
        if len(batch) < 5:
            break
        page += 1
    assert len(seen) == len(set(seen)) > 5
    whole = xero.accounting.get_invoices(xero.tenant, where='Type=="ACCPAY"', page=1, page_size=100).invoices
    assert sorted(str(i.invoice_id) for i in whole) == sorted(str(i) for i in seen)
    one = xero.accounting.get_invoice(xero.tenant, seen[0]).invoices[0]
    assert str(one.invoice_id) == str(seen[0]) and one.type == "ACCPAY"


def _bill(xero: Xero, number: str, **extra: Any) -> Invoice:
    contact = xero.accounting.get_contacts(xero.tenant, where="IsSupplier==true", page=1).contacts[0]
    account = xero.accounting.get_accounts(xero.tenant, where='Type=="EXPENSE"').accounts[0]
    line = LineItem(
        description="Contract test",
        quantity=Decimal("2"),
        unit_amount=Decimal("60.25"),
        account_code=account.code,
    )
    values: dict[str, Any] = {
        "type": "ACCPAY",
        "contact": Contact(contact_id=contact.contact_id),
        "date": dt.date(2024, 6, 1),
        "due_date": dt.date(2024, 7, 1),
        "invoice_number": number,
        "line_items": [line],
        "status": "AUTHORISED",
        **extra,
    }
    return Invoice(**values)


def test_bill_create_is_idempotent_by_key(xero: Xero) -> None:
    bill = _bill(xero, "CT-1001")
    created = xero.accounting.create_invoices(
        xero.tenant, Invoices(invoices=[bill]), summarize_errors=True, idempotency_key="contract-1001"
    ).invoices[0]
    assert created.invoice_id and not created.has_errors
    assert (created.status, created.sub_total, created.invoice_number) == ("AUTHORISED", 120.5, "CT-1001")
    again = xero.accounting.create_invoices(
        xero.tenant, Invoices(invoices=[bill]), summarize_errors=True, idempotency_key="contract-1001"
    ).invoices[0]
    assert again.invoice_id == created.invoice_id
    read = xero.accounting.get_invoice(xero.tenant, created.invoice_id).invoices[0]
    assert read.amount_due == read.total and read.date == dt.date(2024, 6, 1)


def test_validation_error_is_a_400_the_sdk_raises(xero: Xero) -> None:
    bill = _bill(xero, "CT-1002", contact=Contact(contact_id="00000000-0000-0000-0000-000000000001"))
    with pytest.raises(AccountingBadRequestException) as refused:
        xero.accounting.create_invoices(xero.tenant, Invoices(invoices=[bill]), summarize_errors=True)
    assert refused.value.status == 400
    assert refused.value.error_data["Type"] == "ValidationException"
    assert "ValidationErrors" in refused.value.error_data["Elements"][0]


def test_refresh_rotates_and_the_new_token_is_used(xero: Xero) -> None:
    before = dict(xero.token)
    refreshed = xero.api_client.refresh_oauth2_token()
    assert refreshed["refresh_token"] != before["refresh_token"]
    assert xero.token["access_token"] == refreshed["access_token"] != before["access_token"]
    assert xero.accounting.get_organisations(xero.tenant).organisations
    xero.token = {**xero.token, "access_token": "not-a-token", "expires_in": 1800}
    with pytest.raises(ApiException) as denied:
        xero.accounting.get_organisations(xero.tenant)
    assert denied.value.status == 401
