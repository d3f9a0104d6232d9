"""Conflicts resolved per field over HTTP, on SQLite and PostgreSQL: a vendor whose payment terms were
edited in SmartAP and whose phone, e-mail and address were edited in the QuickBooks simulator keeps
SmartAP's terms and takes the ERP's other fields in one resolution (`fields`), written by the sync
engine's page writer; the conflict closes as `fields`, the sync log records the choices, and the next
import neither raises the conflict again nor undoes SmartAP's terms. Refusals: a field not in both
versions, both `keep` and `fields`, an empty `fields` and a side other than smartap/erp are 422 and
leave the conflict open. A purchase order's `vendor_id` (each side's own id) and fields only one
version holds cannot be taken from SmartAP."""

from __future__ import annotations

import uuid

import httpx
import pytest
from sqlalchemy import select

from smartap_erp.db.models import ERPConflict, ERPConnection, ERPSyncLog, ERPVendorLink, Vendor
from smartap_erp.domain.enums import ERPEntity
from smartap_erp.errors import ConfigurationError
from smartap_erp.sync.imports.conflicts import merged_version
from smartap_erp.sync.service import ERPSyncService
from tests.api.conftest import SimulatedApp, bearer
from tests.api.test_connections_api import problem
from tests.app.test_conflicts import _conflict

URL = "/api/v1/erp/conflicts"


async def _vendor(api_ctx: SimulatedApp, erp_id: str) -> Vendor:
    async with api_ctx.sessions() as session:
        found = await session.scalar(
            select(Vendor)
            .join(ERPVendorLink, ERPVendorLink.smartap_vendor_id == Vendor.id)
            .where(ERPVendorLink.erp_vendor_id == erp_id)
        )
    assert found is not None
    return found


async def test_a_side_per_field_is_merged_and_survives_the_next_import(
    api: httpx.AsyncClient, api_ctx: SimulatedApp
) -> None:
    erp_id = await _conflict(api_ctx)
    [item] = (await api.get(URL)).json()["items"]
    assert {"payment_terms", "phone", "email"} <= set(item["differs_in"])
    erp = item["erp_version"]
    fields = {"payment_terms": "smartap", "phone": "erp"}  # e-mail and address unnamed: the ERP's

    resolved = await api.post(f"{URL}/{item['id']}/resolve", json={"fields": fields, "resolved_by": "ap"})

    assert resolved.status_code == 200, resolved.text
    after = resolved.json()
    assert (after["status"], after["resolution"], after["resolved_by"]) == ("resolved", "fields", "ap")
    vendor = await _vendor(api_ctx, erp_id)
    assert vendor.payment_terms == "SmartAP terms" != erp["payment_terms"]
    assert (vendor.phone, vendor.email) == (erp["phone"], erp["email"])
    async with api_ctx.sessions() as session:
        log = await session.scalar(select(ERPSyncLog).where(ERPSyncLog.triggered_by == "ap"))
    assert log is not None and log.sync_params == {
        "conflict_id": item["id"],
        "choice": "fields",
        "fields": {"payment_terms": "smartap", "phone": "erp"},
    }

    async with api_ctx.sessions() as session:
        connection_id = await session.scalar(select(ERPConnection.id).where(ERPConnection.name == "Books"))
    assert connection_id is not None
    assert api_ctx.sync is not None
    report = await ERPSyncService(api_ctx.sync).import_vendors(connection_id, full=True)

    assert report.review_count == 0
    assert (await _vendor(api_ctx, erp_id)).payment_terms == "SmartAP terms"
    assert (await api.get(URL)).json()["items"] == []


async def test_fields_no_side_can_be_chosen_for_are_refused(
    anon: httpx.AsyncClient, api_ctx: SimulatedApp, key_for: object
) -> None:
    await _conflict(api_ctx)
    headers = bearer(await key_for("write"))  # type: ignore[operator]
    [item] = (await anon.get(URL, headers=headers)).json()["items"]
    resolve = f"{URL}/{item['id']}/resolve"

    only_erp = problem(
        await anon.post(resolve, json={"fields": {"external_id": "smartap"}}, headers=headers), 422
    )
    assert "external_id" in only_erp["detail"] and "payment_terms" in only_erp["detail"]
    for body in (
        {"keep": "erp", "fields": {"phone": "erp"}},
        {"fields": {}},
        {"fields": {"phone": "mine"}},
        {},
    ):
        problem(await anon.post(resolve, json=body, headers=headers), 422)

    [still] = (await anon.get(URL, headers=headers)).json()["items"]
    assert still["id"] == item["id"] and still["status"] == "open"


def test_a_purchase_order_merges_only_fields_of_one_meaning() -> None:
    conflict = ERPConflict(
        entity_type=ERPEntity.PURCHASE_ORDER,
        smartap_version={"vendor_id": str(uuid.uuid4()), "po_number": "PO-1", "status": "open", "lines": []},
        erp_version={"vendor_id": "56", "po_number": "PO-1A", "status": "closed", "line_items": []},
    )

    merged = merged_version(conflict, {"po_number": "smartap", "status": "erp"})

    assert (merged["po_number"], merged["status"], merged["vendor_id"]) == ("PO-1", "closed", "56")
    for name in ("vendor_id", "lines", "line_items"):  # ids of each side's own; not in both versions
        with pytest.raises(ConfigurationError, match=name):
            merged_version(conflict, {name: "smartap"})
    with pytest.raises(ConfigurationError, match="po_number"):
        merged_version(conflict, {"po_number": "mine"})
