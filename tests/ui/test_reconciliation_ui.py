"""The reconciliation screen in real Chromium, on SQLite and PostgreSQL, against an in-process
QuickBooks simulator: after a full import with one vendor mapping dropped in SmartAP, the report the
app wrote is listed, opens with SmartAP's and the ERP's counts and totals side by side and the one
difference (the vendor missing in SmartAP); every control is labelled; an operator starts a report,
which is queued as a job; a viewer sees no run form and a forged run is 403; an unknown report is 404."""

from __future__ import annotations

from playwright.async_api import Page, expect
from sqlalchemy import delete, select

from smartap_erp.app.reconciliation import run_report
from smartap_erp.db.models import ERPVendorLink
from smartap_erp.domain.enums import ERPSystem
from smartap_erp.sync.service import ERPSyncService
from tests.sync.harness import ErpHarness
from tests.ui.a11y import unlabelled_controls
from tests.ui.conftest import UI_LOOP, Screenshot, SignIn, UIServer, UserFor
from tests.ui.test_mappings_ui import assert_no_secret, signed_in, token_of

pytestmark = UI_LOOP


async def _report_with_one_difference(ui_server: UIServer) -> tuple[ErpHarness, str, str]:
    """(the harness, the report id, the ERP id of the vendor SmartAP no longer maps)."""
    ctx = ui_server.ctx
    harness = await ErpHarness.start(
        ERPSystem.QUICKBOOKS, ctx.sync_context(), name="Books", vendors=4, purchase_orders=2, bills=2
    )
    service = ERPSyncService(ctx.sync_context())
    await service.import_vendors(harness.connection.id, full=True)
    await service.import_purchase_orders(harness.connection.id, full=True)
    async with ctx.sessions() as session, session.begin():
        dropped = await session.scalar(
            select(ERPVendorLink.erp_vendor_id)
            .where(ERPVendorLink.connection_id == harness.connection.id)
            .order_by(ERPVendorLink.erp_vendor_id)
            .limit(1)
        )
        assert dropped is not None
        await session.execute(delete(ERPVendorLink).where(ERPVendorLink.erp_vendor_id == dropped))
    report_id = await run_report(ctx.sync_context(), harness.connection.id, triggered_by="schedule")
    return harness, str(report_id), dropped


async def test_a_report_side_by_side_with_its_difference_and_a_run_queued(
    ui_server: UIServer, page: Page, sign_in: SignIn, screenshot: Screenshot
) -> None:
    _, report_id, dropped = await _report_with_one_difference(ui_server)
    await sign_in(page, "operator")
    await page.goto(ui_server.url("/ui/reconciliation"))
    await expect(page.get_by_role("heading", name="Reconciliation")).to_be_visible()
    row = page.locator(f'#reports tr[data-report="{report_id}"]')
    await expect(row).to_contain_text("Books")
    await expect(row).to_contain_text("completed")
    await row.get_by_role("link").click()

    await expect(page.get_by_role("heading", name="Reconciliation of Books")).to_be_visible()
    vendors = page.locator('#figures tr[data-object="vendors"]')
    await expect(vendors.locator(".smartap-count")).to_have_text("3")
    await expect(vendors.locator(".erp-count")).to_have_text("4")
    await expect(vendors.locator(".differences")).to_have_text("1")
    orders = page.locator('#figures tr[data-object="purchase_orders"]')
    await expect(orders.locator(".differences")).to_have_text("0")
    await expect(orders.locator(".smartap-count")).to_have_text("2")
    await expect(page.locator('#figures tr[data-object="bills"] .erp-count')).to_contain_text(
        "entered in the ERP"
    )
    difference = page.locator("#differences tbody tr")
    await expect(difference).to_have_count(1)
    await expect(difference).to_contain_text("missing in SmartAP")
    await expect(difference).to_contain_text(dropped)
    await expect(page.locator("#summary")).to_contain_text("1 difference,")
    assert await unlabelled_controls(page) == []
    assert_no_secret(await page.content())
    await screenshot(page, "reconciliation")

    await page.goto(ui_server.url("/ui/reconciliation"))
    assert await unlabelled_controls(page) == []
    await page.get_by_role("button", name="Run a report").click()
    await expect(page.locator("#queued")).to_contain_text("reconciliation of Books (job ")


async def test_a_viewer_cannot_run_a_report(ui_server: UIServer, user_for: UserFor) -> None:
    harness, report_id, _ = await _report_with_one_difference(ui_server)
    async with signed_in(ui_server, user_for, "viewer") as viewer:
        listing = await viewer.get("/ui/reconciliation", params={"connection": "Books"})
        assert listing.status_code == 200 and report_id in listing.text
        assert "run-report" not in listing.text
        form = {"csrf_token": token_of(listing.text), "connection": str(harness.connection.id)}
        assert (await viewer.post("/ui/reconciliation/run", data=form)).status_code == 403
        assert (await viewer.get(f"/ui/reconciliation/{report_id}")).status_code == 200
        assert (await viewer.get("/ui/reconciliation/not-a-report")).status_code == 404
