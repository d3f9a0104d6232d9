"""python-quickbooks 0.9 and intuit-oauth 1.2 against the QuickBooks Online simulator, unpatched.

How the clients reach the simulator, through their public configuration only:
- intuit-oauth: `AuthClient(environment=<discovery URL>)`: any environment other than
  sandbox/production is taken as the URL of the OpenID discovery document, which the simulator
  serves at `/.well-known/openid_configuration` naming its own token / authorize / revoke URLs;
- python-quickbooks: the `api_url_v3` attribute (the production base URL `.../v3`) set on the client;
- `OAUTHLIB_INSECURE_TRANSPORT=1`, oauthlib's documented switch for plain-http test servers
  (python-quickbooks sends through requests-oauthlib's OAuth2Session, which refuses http otherwise).
The client serialises every unset field (`"TxnDate": ""`, `"DueDate": ""`, `"ExchangeRate": 0`,
`"CustomField": []`), which is what issue 12 item 17 is about.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from intuitlib.client import AuthClient
from intuitlib.exceptions import AuthClientError
from quickbooks import QuickBooks
from quickbooks.exceptions import AuthorizationException, ValidationException
from quickbooks.objects.account import Account
from quickbooks.objects.bill import Bill
from quickbooks.objects.detailline import AccountBasedExpenseLine, AccountBasedExpenseLineDetail
from quickbooks.objects.vendor import Vendor

from erpsim.core.testing import LiveServer

pytestmark = pytest.mark.contract


class Qbo:
    def __init__(self, live: LiveServer) -> None:
        self.live = live
        self.creds = live.sim.credentials()
        self.auth = AuthClient(
            self.creds["client_id"],
            self.creds["client_secret"],
            "https://app.example/callback",
            f"{live.base_url}/.well-known/openid_configuration",
            refresh_token=self.creds["refresh_token"],
        )

    def client(self) -> QuickBooks:
        """A client as python-quickbooks documents it: it refreshes the token at construction."""
        qb = QuickBooks(
            auth_client=self.auth,
            refresh_token=self.auth.refresh_token,
            company_id=self.creds["realm_id"],
            minorversion=75,
        )
        qb.api_url_v3 = f"{self.live.base_url}/v3"
        return qb


@pytest.fixture
def qbo(serve: Callable[..., LiveServer], monkeypatch: pytest.MonkeyPatch) -> Qbo:
    monkeypatch.setenv("OAUTHLIB_INSECURE_TRANSPORT", "1")
    return Qbo(serve("quickbooks"))


def _expense_line(account: Account, amount: str) -> AccountBasedExpenseLine:
    line = AccountBasedExpenseLine()
    line.Amount = Decimal(amount)
    line.DetailType = "AccountBasedExpenseLineDetail"
    line.AccountBasedExpenseLineDetail = AccountBasedExpenseLineDetail()
    line.AccountBasedExpenseLineDetail.AccountRef = account.to_ref()
    return line


def _usd_vendor(qb: QuickBooks) -> Vendor:
    vendors: list[Vendor] = Vendor.where("Active = true", order_by="Id", max_results=100, qb=qb)
    return next(v for v in vendors if v.CurrencyRef is None or v.CurrencyRef.value == "USD")


def test_reads_page_through_every_vendor_once(qbo: Qbo) -> None:
    qb = qbo.client()
    total = Vendor.count(qb=qb)
    seen: list[str] = []
    start = 1
    while True:
        page = Vendor.all(order_by="Id", start_position=start, max_results=7, qb=qb)
        seen += [v.Id for v in page]
        if len(page) < 7:
            break
        start += 7
    active = [v for v in qbo.live.sim.store.records["Vendor"].values() if v["Active"]]
    assert total == len(seen) == len(set(seen)) == len(active)  # name-list queries skip inactive ones
    one = Vendor.get(seen[0], qb=qb)
    assert one.Id == seen[0] and one.DisplayName


def test_bill_create_with_every_unset_field_sent_empty(qbo: Qbo) -> None:
    qb = qbo.client()
    account = Account.where("AccountType = 'Expense'", max_results=1, qb=qb)[0]
    bill = Bill()
    bill.VendorRef = _usd_vendor(qb).to_ref()
    bill.Line = [_expense_line(account, "120.50"), _expense_line(account, "9.50")]
    store = qbo.live.sim.store
    before = len(store.records["Bill"])
    saved = bill.save(qb=qb, request_id="contract-bill-1")
    assert saved.Id and saved.TotalAmt == saved.Balance == 130
    assert saved.TxnDate == store.today()  # empty TxnDate: today in the company's time zone
    assert saved.DueDate == "9999-12-31"  # empty DueDate: QBO's sentinel (python-quickbooks #124)
    again = Bill.get(saved.Id, qb=qb)
    assert (again.SyncToken, len(again.Line)) == ("0", 2)
    assert bill.save(qb=qb, request_id="contract-bill-1").Id == saved.Id  # requestid replay
    assert len(store.records["Bill"]) == before + 1


def test_empty_enum_value_is_refused(qbo: Qbo) -> None:
    qb = qbo.client()
    account = Account.where("AccountType = 'Expense'", max_results=1, qb=qb)[0]
    bill = Bill()
    bill.VendorRef = _usd_vendor(qb).to_ref()
    line = _expense_line(account, "10.00")
    line.AccountBasedExpenseLineDetail.BillableStatus = ""  # python-quickbooks issues 133/157
    bill.Line = [line]
    with pytest.raises(ValidationException) as refused:
        bill.save(qb=qb)
    assert refused.value.error_code == 2170
    unknown = Bill()
    unknown.VendorRef = _usd_vendor(qb).to_ref()
    unknown.VendorRef.value = "999999"
    unknown.Line = [_expense_line(account, "10.00")]
    with pytest.raises(ValidationException) as invalid:
        unknown.save(qb=qb)
    assert invalid.value.error_code == 2500


def test_expired_access_token_then_refresh_with_rotation(qbo: Qbo) -> None:
    qb = qbo.client()
    first_refresh = qbo.auth.refresh_token
    qbo.live.sim.expire_credentials()
    with pytest.raises(AuthorizationException) as expired:
        Vendor.count(qb=qb)
    assert expired.value.error_code == 401
    qbo.auth.refresh()  # intuit-oauth against the simulator's token endpoint
    assert qbo.auth.refresh_token != first_refresh and qbo.auth.x_refresh_token_expires_in == 8_726_400
    assert Vendor.count(qb=qbo.client()) > 0
    qbo.auth.refresh()  # the rotated token used once: the older ones of the grant are superseded
    stale: dict[str, Any] = {"refresh_token": first_refresh}
    with pytest.raises(AuthClientError) as superseded:
        qbo.auth.refresh(**stale)
    assert superseded.value.status_code == 400 and b"invalid_grant" in superseded.value.content
