"""The conflict review queue and the invoices screen in real Chromium, on SQLite and PostgreSQL, against
an in-process QuickBooks simulator. Conflicts: two vendors edited on both sides are listed with
SmartAP's and the ERP's values side by side; one is resolved per field (SmartAP's payment terms, the
ERP's other fields), the other whole (the ERP's record), each checked through the application layer;
a viewer sees no resolve buttons and a forged resolve is 403. Invoices: after a real export and
payment sync, the page shows exported bills with their ids, paid / partially paid / unpaid with the
amounts, an export the ERP refused as failed, and an approved invoice not synced; the filters narrow by
state and connection; "Export again" and "Sync payment" queue jobs (read back from the job queue);
labels, no secret rendered, screenshots."""

from __future__ import annotations

import re
import uuid
from decimal import Decimal

from playwright.async_api import Page, expect
from sqlalchemy import select, update

from smartap_erp.app import conflicts, connections, records, syncs
from smartap_erp.app.conflicts import ConflictFilter
from smartap_erp.db.models import ERPExportOutbox, ERPVendorLink, Vendor
from smartap_erp.db.models.erp import ExportState
from smartap_erp.domain.enums import ConflictStatus, ERPSystem
from smartap_erp.sync.export.run import export_invoices
from smartap_erp.sync.payments.run import sync_payment_statuses
from smartap_erp.sync.service import ERPSyncService
from tests.sync.export.helpers import add_invoices, pay, start
from tests.sync.harness import ErpHarness
from tests.ui.a11y import unlabelled_controls
from tests.ui.conftest import UI_LOOP, Screenshot, SignIn, UIServer, UserFor
from tests.ui.test_mappings_ui import assert_no_secret, signed_in, token_of

pytestmark = UI_LOOP


async def _two_conflicts(ui_server: UIServer) -> ErpHarness:
    """A QuickBooks connection 'Books' (manual policy for vendors) with two open vendor conflicts:
    each vendor's payment terms edited in SmartAP, its phone, e-mail and address in the ERP."""
    ctx = ui_server.ctx
    harness = await ErpHarness.start(ERPSystem.QUICKBOOKS, ctx.sync_context(), name="Books", vendors=4)
    policies = connections.ConnectionUpdate.model_validate({"conflict_policies": {"vendor": "manual"}})
    await connections.update_connection(ctx, "Books", policies)
    service = ERPSyncService(ctx.sync_context())
    await service.import_vendors(harness.connection.id)
    harness.clock.advance(600)
    edited = harness.mutate("edit_vendors", count=2)
    erp_ids = [str(i) for i in edited.get("ids", edited.get("edited", []))]
    async with ctx.sessions() as session, session.begin():
        ours = select(ERPVendorLink.smartap_vendor_id).where(ERPVendorLink.erp_vendor_id.in_(erp_ids))
        await session.execute(update(Vendor).where(Vendor.id.in_(ours)).values(payment_terms="SmartAP terms"))
    harness.clock.advance(60)
    assert (await service.import_vendors(harness.connection.id)).review_count == 2
    return harness


async def test_conflicts_side_by_side_resolved_per_field_and_whole(
    ui_server: UIServer, page: Page, sign_in: SignIn, screenshot: Screenshot
) -> None:
    await _two_conflicts(ui_server)
    first, second = await conflicts.list_conflicts(ui_server.ctx, ConflictFilter())
    await sign_in(page, "operator")
    await page.goto(ui_server.url("/ui/conflicts"))
    cards = page.locator("section.conflict")
    await expect(cards).to_have_count(2)
    card = page.locator("section.conflict", has=page.locator(f"code:text-is('{first.erp_record_id}')"))
    terms = card.locator("tr[data-field='payment_terms']")
    await expect(terms.locator("td.smartap")).to_contain_text("SmartAP terms")
    await expect(terms.locator("td.erp")).to_contain_text(str(first.erp_version["payment_terms"]))
    phone = card.locator("tr[data-field='phone']")
    await expect(phone.locator("td.erp")).to_contain_text(str(first.erp_version["phone"]))
    await expect(phone).to_have_class(re.compile(r"\bdiffers\b"))
    assert await unlabelled_controls(page) == []
    await screenshot(page, "conflicts")
    assert_no_secret(await page.content())

    await card.get_by_label("payment_terms: take SmartAP's value").check()
    await card.get_by_role("button", name="Resolve with the chosen values").click()
    await expect(page.get_by_role("status")).to_contain_text(f"vendor {first.erp_record_id} on Books")
    await expect(cards).to_have_count(1)
    done = await conflicts.get_conflict(ui_server.ctx, first.id)
    assert (done.status, done.resolution, done.resolved_by) == (ConflictStatus.RESOLVED, "fields", "operator")
    assert first.smartap_record_id is not None
    vendor = await records.get_vendor(ui_server.ctx, str(first.smartap_record_id))
    assert vendor.payment_terms == "SmartAP terms"
    assert (vendor.phone, vendor.email) == (first.erp_version["phone"], first.erp_version["email"])

    await page.get_by_role("button", name="Take the ERP's record").click()
    await expect(page.locator("#no-conflicts")).to_have_text("No open conflict.")
    whole = await conflicts.get_conflict(ui_server.ctx, second.id)
    assert (whole.status, whole.resolution) == (ConflictStatus.RESOLVED, "erp")
    assert second.smartap_record_id is not None
    taken = await records.get_vendor(ui_server.ctx, str(second.smartap_record_id))
    assert taken.payment_terms == second.erp_version["payment_terms"]

    await page.get_by_label("Resolved ones too").check()
    await page.get_by_role("button", name="Filter").click()
    await expect(cards).to_have_count(2)
    await expect(page.get_by_role("button", name="Take the ERP's record")).to_have_count(0)


async def test_a_viewer_cannot_resolve_and_a_closed_conflict_says_so(
    ui_server: UIServer, user_for: UserFor
) -> None:
    await _two_conflicts(ui_server)
    first, _ = await conflicts.list_conflicts(ui_server.ctx, ConflictFilter())
    url = f"/ui/conflicts/{first.id}/resolve"
    async with signed_in(ui_server, user_for, "viewer") as viewer:
        page = await viewer.get("/ui/conflicts")
        assert page.status_code == 200 and "SmartAP terms" in page.text
        assert "Take the ERP" not in page.text and "needs the operator role" in page.text
        forged = await viewer.post(url, data={"csrf_token": token_of(page.text), "keep": "erp"})
        assert forged.status_code == 403
    assert (await conflicts.get_conflict(ui_server.ctx, first.id)).status is ConflictStatus.OPEN
    async with signed_in(ui_server, user_for, "operator") as operator:
        token = token_of((await operator.get("/ui/conflicts")).text)
        nothing = await operator.post(url, data={"csrf_token": token, "mode": "fields"})
        assert nothing.status_code == 422 and "Choose a side" in nothing.text
        bad = await operator.post(url, data={"csrf_token": token, "pick:external_id": "smartap"})
        assert bad.status_code == 422 and "external_id" in bad.text
        assert (await operator.post(url, data={"csrf_token": token, "keep": "smartap"})).status_code == 303
        again = await operator.post(url, data={"csrf_token": token, "keep": "erp"})
        assert again.status_code == 409 and "already resolved" in again.text
    assert (await conflicts.get_conflict(ui_server.ctx, first.id)).resolution == "smartap"


async def test_invoices_show_erp_state_bills_and_payments_and_retry_queues(
    ui_server: UIServer, page: Page, sign_in: SignIn, screenshot: Screenshot
) -> None:
    ctx = ui_server.ctx
    world = await start(ERPSystem.QUICKBOOKS, ctx.sessions, ctx.vault)
    paid, partial, unpaid = await add_invoices(world, 3, prefix="EXP")  # 100.00, 101.00, 102.00
    [refused] = await add_invoices(world, 1, prefix="BAD")
    [waiting] = await add_invoices(world, 1, prefix="NEW")
    cid = world.connection_id
    await export_invoices(world.ctx, cid, [paid.id, partial.id, unpaid.id])
    async with ctx.sessions() as session, session.begin():  # an export the ERP refused, as stored
        session.add(
            ERPExportOutbox(
                connection_id=cid,
                smartap_invoice_id=refused.id,
                idempotency_key=uuid.uuid4().hex,
                state=ExportState.FAILED,
                attempts=1,
                last_error="QuickBooks refused the bill: 6000 A business validation error has occurred",
            )
        )
    bills = {
        export.bill_id: number
        for number in (paid.invoice_number, partial.invoice_number, unpaid.invoice_number)
        for export in (await _exports(ctx, number))
    }
    by_number = {number: bill for bill, number in bills.items()}
    world.harness.clock.advance(60)
    pay(world.harness, by_number[paid.invoice_number], Decimal("100.00"))
    pay(world.harness, by_number[partial.invoice_number], Decimal("40.50"))
    world.harness.clock.advance(60)
    await sync_payment_statuses(world.ctx, cid)

    await sign_in(page, "operator")
    await page.goto(ui_server.url("/ui/invoices"))
    rows = page.locator("#invoices tbody tr")
    await expect(rows).to_have_count(5)

    for invoice, payment, amounts in (
        (paid, "paid", "100.00 USD of 100.00 USD"),
        (partial, "partially paid", "40.50 USD of 101.00 USD"),
        (unpaid, "unpaid", "0.00 USD of 102.00 USD"),
    ):
        exported = page.locator(f"tr[data-invoice='{invoice.invoice_number}']")
        await expect(exported.locator(".badge.state")).to_have_text("exported")
        await expect(exported.locator("code.bill")).to_have_text(by_number[invoice.invoice_number])
        await expect(exported.locator(".badge.payment")).to_have_text(payment)
        await expect(exported.locator(".paid-amount")).to_have_text(amounts)
    bad = page.locator(f"tr[data-invoice='{refused.invoice_number}']")
    await expect(bad.locator(".badge.state")).to_have_text("failed")
    await expect(bad.locator(".export .error")).to_contain_text("QuickBooks refused the bill")
    fresh = page.locator(f"tr[data-invoice='{waiting.invoice_number}']")
    await expect(fresh.locator(".badge.state")).to_have_text("not synced")
    assert await unlabelled_controls(page) == []
    await screenshot(page, "invoices")
    assert_no_secret(await page.content())

    await page.get_by_label("ERP state").select_option("failed")
    await page.get_by_role("button", name="Filter").click()
    await expect(rows).to_have_count(1)
    await expect(rows.first).to_have_attribute("data-invoice", refused.invoice_number)
    await bad.get_by_role("button", name=re.compile("Export again")).click()
    status = page.locator("#queued")
    await expect(status).to_contain_text(f"export to {world.harness.connection.name} (job ")
    await expect(status).to_contain_text("No worker is running")
    job_id = re.search(r"\(job ([^)]+)\)", await status.inner_text())
    assert job_id is not None
    queued = await syncs.job_status(ctx, ui_server.app.state.job_queue, job_id.group(1))
    assert queued.status == "ENQUEUED" and queued.workflow is not None and "export" in queued.workflow

    await page.goto(ui_server.url(f"/ui/invoices?state=synced&connection={cid}"))
    await expect(rows).to_have_count(3)
    half = page.locator(f"tr[data-invoice='{partial.invoice_number}']")
    await half.get_by_role("button", name=re.compile("Sync payment")).click()
    await expect(status).to_contain_text(f"payment statuses of {world.harness.connection.name}")


async def _exports(ctx: object, number: str) -> list[object]:
    from smartap_erp.app.invoices import invoice_status

    found = await invoice_status(ctx, number)  # type: ignore[arg-type]
    return list(found.exports)


async def test_a_viewer_sees_invoices_but_cannot_queue(ui_server: UIServer, user_for: UserFor) -> None:
    ctx = ui_server.ctx
    world = await start(ERPSystem.QUICKBOOKS, ctx.sessions, ctx.vault)
    [invoice] = await add_invoices(world, 1, prefix="V")
    async with signed_in(ui_server, user_for, "viewer") as viewer:
        page = await viewer.get("/ui/invoices")
        assert page.status_code == 200 and invoice.invoice_number in page.text
        assert (
            "/export" not in page.text
            and "sync-payment" not in page.text
            and "needs the operator role" in page.text
        )
        token = token_of(page.text)
        form = {"csrf_token": token, "connection": str(world.connection_id)}
        assert (await viewer.post(f"/ui/invoices/{invoice.id}/export", data=form)).status_code == 403
        assert (await viewer.post(f"/ui/invoices/{invoice.id}/sync-payment", data=form)).status_code == 403
        other = await viewer.get("/ui/invoices", params={"connection": str(uuid.uuid4())})
        assert other.status_code == 404
    async with signed_in(ui_server, user_for, "operator") as operator:
        token = token_of((await operator.get("/ui/invoices")).text)
        nothing = await operator.post(f"/ui/invoices/{invoice.id}/sync-payment", data={"csrf_token": token})
        assert nothing.status_code == 409 and "not exported to any ERP yet" in nothing.text
        first = await operator.post(
            f"/ui/invoices/{invoice.id}/export",
            data={"csrf_token": token, "connection": str(world.connection_id)},
        )
        assert first.status_code == 303 and "export+to" in first.headers["location"]
        queued = await operator.get("/ui/invoices", params={"state": "not_synced"})
        assert invoice.invoice_number in queued.text  # queued as a job: no export row until a worker runs it
