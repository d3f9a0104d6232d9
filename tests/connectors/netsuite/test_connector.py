"""The NetSuite connector against the simulator over real HTTP, in RESTlet and REST modes."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Callable
from decimal import Decimal

import httpx
import pytest

from erpsim.core.testing import LiveServer
from smartap_erp.connectors.netsuite import NetSuiteConnector
from smartap_erp.domain.enums import PaymentStatus, PurchaseOrderStatus
from smartap_erp.domain.models import ERPInvoice, ERPInvoiceLine
from smartap_erp.errors import ERPAuthError, ERPConfigurationError, ERPValidationError
from smartap_erp.http.oauth1 import OAuth1TBAAuth

Connect = Callable[..., NetSuiteConnector]


def test_signature_matches_the_published_vector() -> None:
    # netsuite-connector.md §Signature test vector: Oracle's HMAC-SHA256 example, signed by the toolkit flow
    # the connector uses.
    auth = OAuth1TBAAuth(
        account_id="1234567",
        consumer_key="ef40afdd8abaac111b13825dd5e5e2ddddb44f86d5a0dd6dcf38c20aae6b67e4",
        consumer_secret="d26ad321a4b2f23b0741c8d38392ce01c3e23e109df6c96eac6d099e9ab9e8b5",
        token_id="2b0ce516420110bcbd36b69e99196d1b7f6de3c6234c5afb799b73d87569f5cc",
        token_secret="c29a677df7d5439a458c063654187e3d678d73aca8e3c9d8bea1478a3eb0d295",
        clock=lambda: 1508242306.0,
        nonce=lambda: "fjaLirsIcCGVZWzBX0pg",
    )
    request = httpx.Request(
        "POST",
        "https://1234567.restlets.api.netsuite.com/app/site/hosting/restlet.nl"
        "?script=6&deploy=1&customParam=someValue&testParam=someOtherValue",
    )
    oauth = auth.oauth_parameters()
    assert auth.signature(request, oauth) == "i7MEtGwhCTIZbTsTrNGw9LdcERn4wsjt5C7TxmKWIfU="


async def test_vendor_import_pages_with_since(connect: Connect, server: LiveServer) -> None:
    connector = connect()
    connector.page_size = 7  # several pages out of 25 vendors
    async with connector:
        everything = [v async for page in connector.iter_vendors() for v in page]
        assert len(everything) == server.sim.store.count("vendor")
        assert len({v.external_id for v in everything}) == len(everything)
        stamps = sorted(v.updated_at for v in everything if v.updated_at)
        since = stamps[len(stamps) // 2].replace(second=0)
        recent = [v async for page in connector.iter_vendors(since) for v in page]
    assert recent and len(recent) < len(everything)
    assert all(v.updated_at is not None and v.updated_at >= since for v in recent)
    inactive = [v for v in everything if not v.is_active]
    expected_inactive = [v for v in server.sim.store.records["vendor"].values() if v["isInactive"]]
    assert len(inactive) == len(expected_inactive)


async def test_deactivated_vendor_is_imported_as_inactive(connect: Connect, server: LiveServer) -> None:
    start = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=1)
    deactivated = server.sim.mutate("deactivate_vendor", {})["deactivated"]
    async with connect() as connector:
        result = await connector.import_vendors(since=start)
    assert [(v.external_id, v.is_active) for v in result.data] == [(deactivated, False)]


async def test_purchase_orders_with_lines_and_status(connect: Connect, server: LiveServer) -> None:
    connector = connect()
    connector.page_size = 6
    async with connector:
        pos = [po async for page in connector.iter_purchase_orders() for po in page]
        open_pos = [
            po
            async for page in connector.iter_purchase_orders(status_filter=[PurchaseOrderStatus.OPEN])
            for po in page
        ]
    assert len(pos) == server.sim.store.count("purchaseOrder")
    assert open_pos and all(po.status is PurchaseOrderStatus.OPEN for po in open_pos)
    assert len(open_pos) < len(pos)
    for po in pos:
        assert po.line_items and po.total_amount == sum((line.amount for line in po.line_items), Decimal(0))


def _invoice(server: LiveServer, number: str = "SUP-77") -> ERPInvoice:
    store = server.sim.store
    vendor = next(v for v in store.ordered("vendor") if not v["isInactive"])
    account = next(a for a in store.records["account"].values() if a["acctType"] == "Expense")
    item = next(iter(store.records["item"].values()))
    return ERPInvoice(
        invoice_number=number,
        vendor_id=vendor["id"],
        invoice_date=dt.date(2024, 5, 1),
        due_date=dt.date(2024, 5, 31),
        currency="USD",
        total_amount=Decimal("250.35"),
        line_items=(
            ERPInvoiceLine(amount=Decimal("200.10"), account_code=account["id"], description="paper"),
            ERPInvoiceLine(
                amount=Decimal("50.25"),
                quantity=Decimal(3),
                unit_price=Decimal("16.75"),
                item_code=item["id"],
            ),
        ),
        smartap_invoice_id=f"inv-{number}",
    )


async def test_export_is_idempotent_after_commit_then_fail(connect: Connect, server: LiveServer) -> None:
    sim = server.sim
    before = sim.store.count("vendorBill")
    sim.set_fault_plan(sim.faults.plan.parse("commit_then_fail=1;lost_response=drop"))
    async with connect() as connector:
        first = await connector.export_invoice(_invoice(server))
        again = await connector.export_invoice(_invoice(server))
    assert sim.store.count("vendorBill") == before + 1
    assert sim.faults.injected.get("lost_response") == 1
    assert first.external_id == again.external_id and again.created is False
    bill = sim.store.get("vendorBill", first.external_id)
    assert bill["tranId"] == "SUP-77" and sim.store.total(bill) == Decimal("250.35")


async def test_payment_status_unpaid_partial_paid(connect: Connect, server: LiveServer) -> None:
    async with connect() as connector:
        bill_id = (await connector.export_invoice(_invoice(server, "SUP-88"))).external_id
        unpaid = await connector.sync_payment_status(bill_id)
        server.sim.mutate("pay_bill", {"bill_id": bill_id, "amount": "100.35"})
        partial = await connector.sync_payment_status(bill_id)
        server.sim.mutate("pay_bill", {"bill_id": bill_id})
        paid = await connector.sync_payment_status(bill_id)
    assert unpaid.status is PaymentStatus.UNPAID and unpaid.payments == ()
    assert unpaid.amount_due == Decimal("250.35")
    assert partial.status is PaymentStatus.PARTIAL and partial.amount_paid == Decimal("100.35")
    assert paid.status is PaymentStatus.PAID and paid.amount_due == 0
    assert [p.amount for p in paid.payments] == [Decimal("100.35"), Decimal("150.00")]


async def test_concurrent_calls_never_exceed_the_account_limit(connect: Connect, server: LiveServer) -> None:
    server.sim.set_fault_plan(server.sim.faults.plan.parse("latency=5ms"))
    async with connect(concurrency_limit="5") as connector:
        results = await asyncio.gather(*(connector.get_accounts() for _ in range(50)))
    assert all(len(accounts) == server.sim.store.count("account") for accounts in results)
    state = server.sim.state()
    assert state["limits"]["rejected"] == 0
    assert state["concurrency"]["peak"] <= 5


async def test_failures_map_to_clear_errors(connect: Connect, server: LiveServer) -> None:
    bad = _invoice(server, "SUP-99").model_copy(update={"vendor_id": "999999"})
    async with connect() as connector:
        with pytest.raises(ERPValidationError) as refused:
            await connector.export_invoice(bad)
        assert refused.value.code == "INVALID_KEY_OR_REF"
    async with connect(token_secret="0" * 64) as broken:
        assert await broken.authenticate() is False
        with pytest.raises(ERPAuthError):
            await broken.get_accounts()
        assert "0" * 64 not in repr(broken)


async def test_accounts_tax_codes_and_connection(connect: Connect, server: LiveServer, mode: str) -> None:
    async with connect() as connector:
        info = await connector.test_connection()
        accounts = await connector.get_accounts()
        codes = await connector.get_tax_codes()
    assert info.company_id == server.sim.credentials()["account_id"] and info.details["mode"] == mode
    assert {a.account_type for a in accounts} >= {"Expense", "AcctPay", "Bank"}
    assert any(not a.is_active for a in accounts)
    assert {c.code for c in codes} >= {"CA-SF", "EXEMPT"}
    assert next(c for c in codes if c.code == "CA-SF").rate == Decimal("8.625")


CURRENCY_PATH = "/services/rest/record/v1/currency/"


async def test_currency_display_names_become_iso_codes(
    connect: Connect, server: LiveServer, mode: str
) -> None:
    # The simulator names currencies as a real account does: a reference's refName is "US Dollar",
    # the ISO code is the currency record's `symbol` (RESTlets send it; REST mode reads the record).
    store = server.sim.store
    currencies = store.records["currency"]
    assert currencies["1"]["name"] == "US Dollar" and currencies["1"]["symbol"] == "USD"
    eur_bill = await _exported_bill(connect, server, "SUP-EUR", currency_id="2")
    async with connect() as connector:
        vendor_pages = [page async for page in connector.iter_vendors()]
        po_pages = [page async for page in connector.iter_purchase_orders()]
        status = await connector.sync_payment_status(eur_bill)
    assert all(not page.errors for page in vendor_pages + po_pages)
    vendors = {v.external_id: v.currency for page in vendor_pages for v in page}
    expected = {v["id"]: currencies[v["currency"]["id"]]["symbol"] for v in store.records["vendor"].values()}
    assert vendors == expected and "USD" in set(vendors.values()) and len(set(vendors.values())) > 1
    in_dollars = next(v for v in store.records["vendor"].values() if v["currency"]["refName"] == "US Dollar")
    assert vendors[in_dollars["id"]] == "USD"
    orders = {po.external_id: po.currency for page in po_pages for po in page}
    assert orders == {
        p["id"]: currencies[p["currency"]["id"]]["symbol"] for p in store.records["purchaseOrder"].values()
    }
    assert status.currency == "EUR"
    if mode == "rest":
        reads = [r.path for r in server.sim.stats.log if r.path.startswith(CURRENCY_PATH)]
        used = {v["currency"]["id"] for v in store.records["vendor"].values()}
        used |= {p["currency"]["id"] for p in store.records["purchaseOrder"].values()}
        # One read per distinct currency for the whole connector, however many records use it; a
        # bill's payment status reads its currency's code in its SuiteQL query (payments.py).
        assert sorted(reads) == sorted(f"{CURRENCY_PATH}{cid}" for cid in used)


async def _exported_bill(connect: Connect, server: LiveServer, number: str, *, currency_id: str) -> str:
    """A bill in currency `currency_id`: exported by SmartAP, then switched as a user might do it."""
    async with connect() as connector:
        bill_id = (await connector.export_invoice(_invoice(server, number))).external_id
    bill = server.sim.store.get("vendorBill", bill_id)
    currency = server.sim.store.get("currency", currency_id)
    bill["currency"] = {"id": currency["id"], "refName": currency["name"]}
    return bill_id


async def test_each_currency_is_read_once_under_concurrency(
    connect: Connect, server: LiveServer, mode: str
) -> None:
    bills = [b["id"] for b in server.sim.store.ordered("vendorBill")]
    async with connect(concurrency_limit="5") as connector:
        statuses = await asyncio.gather(*(connector.sync_payment_status(b) for b in bills))
        again = await connector.sync_payment_status(bills[0])
    store = server.sim.store
    assert [s.currency for s in statuses] == [
        store.get("currency", store.get("vendorBill", b)["currency"]["id"])["symbol"] for b in bills
    ]
    assert again.currency == statuses[0].currency
    reads = [r.path for r in server.sim.stats.log if r.path.startswith(CURRENCY_PATH)]
    # the RESTlets send the code; REST mode reads it with the bill in SuiteQL (currency.symbol): no
    # currency record is read
    assert reads == []


async def test_a_currency_without_iso_code_is_an_error(connect: Connect, server: LiveServer) -> None:
    store = server.sim.store
    store.get("currency", "4")["symbol"] = None  # "Canadian Dollar" with its ISO Code field emptied
    vendor = store.ordered("vendor")[0]
    vendor["currency"] = {"id": "4", "refName": "Canadian Dollar"}
    bill_id = await _exported_bill(connect, server, "SUP-CAD", currency_id="4")
    async with connect() as connector:
        pages = [page async for page in connector.iter_vendors()]
        with pytest.raises(ERPConfigurationError, match="Canadian Dollar"):
            await connector.sync_payment_status(bill_id)
    errors = [e for page in pages for e in page.errors]
    assert [e.record_id for e in errors] == [vendor["id"]]
    assert "no three-letter ISO 4217 code" in errors[0].message
    assert sum(len(page) for page in pages) == store.count("vendor") - 1
