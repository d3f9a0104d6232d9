"""What every connector does, whatever the ERP: the contract the sync engine and the CLI rely on.

Company behind the credentials; every vendor read exactly once across pages; purchase orders;
accounts and tax codes; a bill exported once, even when the export is replayed; its payment seen
after the ERP records it; refused credentials as `ERPAuthError`.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from smartap_erp.connectors import ERPConnector
from smartap_erp.domain import ERPAccount, ERPInvoice, ERPInvoiceLine, ERPVendor, PaymentStatus
from smartap_erp.errors import ERPAuthError
from tests.connectors.contract.conftest import PURCHASE_ORDERS, VENDORS, Contract


async def _vendors(erp: ERPConnector) -> list[ERPVendor]:
    vendors: list[ERPVendor] = []
    async for page in erp.iter_vendors():
        assert not page.errors, page.errors
        vendors.extend(page)
    return vendors


def _expense_account(accounts: list[ERPAccount]) -> ERPAccount:
    usable = [a for a in accounts if a.is_active] or accounts
    return next((a for a in usable if "expense" in a.account_type.lower()), usable[0])


async def _invoice(erp: ERPConnector, number: str) -> ERPInvoice:
    vendor = next(v for v in await _vendors(erp) if v.is_active)
    account = _expense_account(await erp.get_accounts())
    amount = Decimal("120.50")
    account_code = str(getattr(account, erp.account_reference))
    return ERPInvoice(
        invoice_number=number,
        vendor_id=vendor.external_id,
        invoice_date=dt.date(2024, 5, 20),
        due_date=dt.date(2024, 6, 19),
        currency="USD",
        total_amount=amount,
        line_items=(
            ERPInvoiceLine(
                description="contract line",
                amount=amount,
                account_code=account_code,
            ),
        ),
        smartap_invoice_id=f"inv-{number}",
    )


async def test_test_connection_names_the_company(erp: ERPConnector, contract: Contract) -> None:
    info = await erp.test_connection()
    assert info.system == contract.provider.system
    assert info.company_name and info.company_id
    assert info.checked_at.tzinfo is not None


async def test_every_vendor_is_read_exactly_once_across_pages(erp: ERPConnector) -> None:
    pages = [page async for page in erp.iter_vendors()]
    ids = [vendor.external_id for page in pages for vendor in page]
    assert len(ids) == len(set(ids)) == VENDORS


async def test_purchase_orders_are_read(erp: ERPConnector) -> None:
    orders = [order async for page in erp.iter_purchase_orders() for order in page]
    ids = [order.external_id for order in orders]
    assert len(ids) == len(set(ids)) and 0 < len(ids) <= PURCHASE_ORDERS
    assert all(order.vendor_id and order.total_amount > 0 for order in orders)


async def test_accounts_and_tax_codes(erp: ERPConnector) -> None:
    accounts = await erp.get_accounts()
    tax_codes = await erp.get_tax_codes()
    assert accounts and all(a.external_id and a.name for a in accounts)
    assert isinstance(tax_codes, list) and all(t.external_id and t.code for t in tax_codes)


async def test_export_creates_one_bill_and_a_replay_does_not_create_another(erp: ERPConnector) -> None:
    invoice = await _invoice(erp, "CT-1001")
    first = await erp.export_invoice(invoice)
    again = await erp.export_invoice(invoice)
    assert first.created and first.external_id
    assert again.external_id == first.external_id  # the same bill, not a second one


async def test_payment_status_follows_a_payment_in_the_erp(erp: ERPConnector, contract: Contract) -> None:
    bill = await erp.export_invoice(await _invoice(erp, "CT-2002"))
    before = await erp.sync_payment_status(bill.external_id)
    contract.pay(bill.external_id)
    after = await erp.sync_payment_status(bill.external_id)
    assert before.status is PaymentStatus.UNPAID and before.amount_due == Decimal("120.50")
    assert after.status is PaymentStatus.PAID and after.amount_paid == Decimal("120.50")
    assert after.amount_due == 0


async def test_a_refused_credential_is_an_auth_error(contract: Contract) -> None:
    # Tokens and passwords a person could mistype or that could be revoked (not the app's own
    # client secret: a wrong one is a configuration error, not an authentication one).
    wrong = {
        spec.name: f"wrong-{spec.name}-0000"
        for spec in contract.provider.credential_fields
        if spec.secret and ("token" in spec.name or "password" in spec.name)
    }
    assert wrong
    async with contract.connector(**wrong) as erp:
        with pytest.raises(ERPAuthError):
            await erp.test_connection()
