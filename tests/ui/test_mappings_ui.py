"""The field-mapping editor in real Chromium, on SQLite and PostgreSQL, against an in-process QuickBooks
simulator: a bad rule shows its error at its position while it is typed (the page asks
/ui/mappings/check with its CSRF token), a good one previews values on vendors read from the ERP
(input -> output per record, failures marked), Save lists the mapping, Discard stores nothing; every
control is labelled and no credential is rendered. Over plain HTTP (no JavaScript): Save and Preview
show the same error with its place marked, edit and delete work, a viewer sees no editor and is
refused (403) a forged save, a check without the page's token is refused."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
from playwright.async_api import Page, expect

from smartap_erp.app import mappings
from smartap_erp.domain.enums import ERPEntity, ERPSystem
from tests.app.simulated import sim_credentials
from tests.sync.harness import ErpHarness
from tests.ui.a11y import unlabelled_controls
from tests.ui.conftest import PASSWORD, UI_LOOP, Screenshot, SignIn, UIServer, UserFor

pytestmark = UI_LOOP

SECRETS = ("client_secret", "access_token", "refresh_token")


async def _books(ui_server: UIServer, **sim: Any) -> ErpHarness:
    return await ErpHarness.start(ERPSystem.QUICKBOOKS, ui_server.ctx.sync_context(), name="Books", **sim)


def token_of(html: str) -> str:
    marker = 'name="csrf_token" value="'
    start = html.index(marker) + len(marker)
    return html[start : html.index('"', start)]


@asynccontextmanager
async def signed_in(ui_server: UIServer, user_for: UserFor, role: str) -> AsyncIterator[httpx.AsyncClient]:
    """An HTTP client signed in as a user of `role` through the sign-in form."""
    username = await user_for(role)
    async with httpx.AsyncClient(base_url=ui_server.base_url) as client:
        token = token_of((await client.get("/ui/login")).text)
        form = {"username": username, "password": PASSWORD, "csrf_token": token}
        answer = await client.post("/ui/login", data=form)
        assert answer.status_code == 303, answer.text
        yield client


def assert_no_secret(html: str) -> None:
    credentials = sim_credentials("quickbooks")
    for name in SECRETS:
        assert str(credentials[name]) not in html, name


async def test_a_rule_is_checked_as_typed_previewed_on_erp_records_and_saved(
    ui_server: UIServer, page: Page, sign_in: SignIn, screenshot: Screenshot
) -> None:
    harness = await _books(ui_server, vendors=8)
    await sign_in(page, "operator")
    await page.goto(ui_server.url("/ui/mappings"))
    await expect(page.get_by_role("heading", name="Field mappings")).to_be_visible()
    await page.get_by_label("Entity").select_option("vendor")
    await expect(page.locator("#smartap-fields")).to_contain_text("address.city")
    await expect(page.locator("#erp-fields")).to_contain_text("external_id")
    assert await unlabelled_controls(page) == []

    await page.get_by_label("SmartAP field").fill("name")
    await page.get_by_label("ERP field").fill("name")
    rule = page.get_by_label("Rule (CEL")
    await rule.press_sequentially("'V-' +\n  ", delay=20)
    message = page.locator("#rule-message")
    await expect(message).to_contain_text("syntax error")
    await expect(message).to_contain_text("at line 2, column 3")
    await expect(page.locator("#rule-where mark")).to_have_count(1)
    await expect(rule).to_have_attribute("aria-invalid", "true")

    await rule.fill("'V-' + value")
    await expect(page.locator("#rule-ok")).to_be_visible()
    await expect(rule).not_to_have_attribute("aria-invalid", "true")
    await page.get_by_label("Records to read from the ERP").fill("3")
    await page.get_by_role("button", name="Preview").click()

    rows = page.locator("#preview-table tbody tr")
    await expect(rows).to_have_count(3)
    for index in range(3):
        row = rows.nth(index)
        before = (await row.locator("td.input").inner_text()).strip()
        await expect(row.locator("td.output")).to_have_text(f"V-{before}")
        await expect(row.locator(".badge")).to_have_text("ok")
    assert harness.state()["requests"]["total"] <= 2  # one small read, nothing written
    assert await mappings.list_mappings(ui_server.ctx, "Books") == []  # a preview stores nothing
    await expect(page.get_by_label("Rule (CEL")).to_have_value("'V-' + value")  # the form is kept
    assert await unlabelled_controls(page) == []
    await screenshot(page, "mappings")
    assert_no_secret(await page.content())

    await page.get_by_role("button", name="Save").click()
    await expect(page.get_by_role("status")).to_have_text("Saved the mapping of name.")
    await expect(page.locator("#mappings tbody tr")).to_have_count(1)
    await expect(page.locator("#mappings")).to_contain_text("'V-' + value")
    [stored] = await mappings.list_mappings(ui_server.ctx, "Books", entity=ERPEntity.VENDOR)
    assert (stored.smartap_field, stored.erp_field, stored.rule) == ("name", "name", "'V-' + value")

    await page.get_by_label("SmartAP field").fill("email")
    await page.get_by_label("ERP field").fill("email")
    await page.get_by_label("Required").check()
    await page.get_by_role("link", name="Discard").click()
    await expect(page.get_by_label("SmartAP field")).to_have_value("")
    assert len(await mappings.list_mappings(ui_server.ctx, "Books")) == 1  # discard stored nothing


async def test_a_failing_record_is_marked_in_the_preview(
    ui_server: UIServer, page: Page, sign_in: SignIn
) -> None:
    await _books(ui_server, vendors=4)
    await sign_in(page, "operator")
    await page.goto(ui_server.url("/ui/mappings?connection=Books&entity=vendor"))
    await page.get_by_label("SmartAP field").fill("phone")
    await page.get_by_label("ERP field").fill("phone")
    await page.get_by_label("Validation regex").fill("^never$")
    await page.get_by_role("button", name="Preview").click()
    rows = page.locator("#preview-table tbody tr.failed")
    await expect(rows).to_have_count(4)
    await expect(rows.first.locator(".badge")).to_have_text("failed")
    await expect(rows.first).to_contain_text("does not match")


async def test_without_javascript_the_server_shows_the_error_and_edits(
    ui_server: UIServer, user_for: UserFor
) -> None:
    harness = await _books(ui_server, vendors=2)
    cid = str(harness.connection.id)
    async with signed_in(ui_server, user_for, "operator") as browser:
        page = await browser.get("/ui/mappings", params={"connection": cid, "entity": "vendor"})
        assert page.status_code == 200
        assert_no_secret(page.text)
        form = {"csrf_token": token_of(page.text), "connection": cid, "entity": "vendor"}
        bad = {**form, "smartap_field": "name", "erp_field": "name", "rule": "value.upper("}
        for action in ("save", "preview"):
            refused = await browser.post(f"/ui/mappings/{action}", data=bad)
            assert refused.status_code == 422
            assert "at line 1, column 13" in refused.text
            assert 'wrong">value.upper(<mark> </mark></pre>' in refused.text  # the end, marked
            assert 'aria-invalid="true"' in refused.text
        unknown = await browser.post("/ui/mappings/save", data={**bad, "rule": "", "erp_field": "memo"})
        assert unknown.status_code == 422 and "&#39;memo&#39; is not a vendor field" in unknown.text
        assert await mappings.list_mappings(ui_server.ctx, cid) == []

        saved = await browser.post(
            "/ui/mappings/save", data={**bad, "rule": "value.upper()", "required": "1"}
        )
        assert saved.status_code == 303
        [made] = await mappings.list_mappings(ui_server.ctx, cid)
        assert made.required and made.rule == "value.upper()"
        edit = await browser.get(
            "/ui/mappings", params={"connection": cid, "entity": "vendor", "edit": str(made.id)}
        )
        assert 'value="value.upper()"' not in edit.text and ">value.upper()</textarea>" in edit.text
        changed = await browser.post(
            "/ui/mappings/save", data={**bad, "mapping_id": str(made.id), "rule": "value.lower()"}
        )
        assert changed.status_code == 303
        [after] = await mappings.list_mappings(ui_server.ctx, cid)
        assert (after.id, after.rule, after.required) == (made.id, "value.lower()", False)

        checked = await browser.post(
            "/ui/mappings/check",
            json={
                "connection": cid,
                "entity": "vendor",
                "smartap_field": "name",
                "erp_field": "name",
                "rule": "1 +",
            },
            headers={"X-CSRF-Token": form["csrf_token"]},
        )
        assert checked.json() == {
            "ok": False,
            "field": "transformation_rule",
            "message": checked.json()["message"],
            "line": 1,
            "column": 4,
        }
        forged = await browser.post(
            "/ui/mappings/check", json={"connection": cid}, headers={"X-CSRF-Token": "x"}
        )
        assert forged.status_code == 403

        removed = await browser.post(f"/ui/mappings/{made.id}/delete", data=form)
        assert removed.status_code == 303 and "deleted=1" in removed.headers["location"]
        assert await mappings.list_mappings(ui_server.ctx, cid) == []


async def test_a_viewer_looks_but_cannot_change(ui_server: UIServer, user_for: UserFor) -> None:
    harness = await _books(ui_server, vendors=2)
    cid = str(harness.connection.id)
    async with signed_in(ui_server, user_for, "viewer") as viewer:
        page = await viewer.get("/ui/mappings", params={"connection": cid, "entity": "invoice"})
        assert page.status_code == 200
        assert "SmartAP fields (read)" in page.text and "invoice_number" in page.text
        assert 'id="rule-form"' not in page.text and "needs the operator role" in page.text
        token = token_of(page.text)
        body = {
            "csrf_token": token,
            "connection": cid,
            "entity": "vendor",
            "smartap_field": "name",
            "erp_field": "name",
        }
        for path in ("/ui/mappings/save", "/ui/mappings/preview"):
            assert (await viewer.post(path, data=body)).status_code == 403
        check = await viewer.post("/ui/mappings/check", json=body, headers={"X-CSRF-Token": token})
        assert check.status_code == 403
    assert await mappings.list_mappings(ui_server.ctx, cid) == []
