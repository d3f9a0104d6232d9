"""The closed-period policy of a connection (issue 16, item 3) over the API and the CLI's update, on
SQLite and PostgreSQL: created with a policy, changed by PATCH, shown back; `draft` refused (422) for
an ERP other than Xero; a change is logged; review is the default."""

from __future__ import annotations

import logging

import httpx
import pytest

from tests.api.test_connections_api import URL, body, problem


async def test_policy_created_changed_and_refused_where_it_cannot_apply(
    api: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    made = await api.post(URL, json=body("Books"))
    assert made.status_code == 201, made.text
    cid = made.json()["id"]
    assert made.json()["closed_period_policy"] == "review"

    with caplog.at_level(logging.INFO, logger="smartap_erp.app.connections"):
        changed = await api.patch(f"{URL}/{cid}", json={"closed_period_policy": "redate"})
    assert changed.status_code == 200, changed.text
    assert changed.json()["closed_period_policy"] == "redate"
    assert (await api.get(f"{URL}/{cid}")).json()["closed_period_policy"] == "redate"
    assert "closed-period policy review -> redate" in caplog.text

    refused = problem(await api.patch(f"{URL}/{cid}", json={"closed_period_policy": "draft"}), 422)
    assert "draft is for Xero connections only" in refused["detail"]
    assert (await api.get(f"{URL}/{cid}")).json()["closed_period_policy"] == "redate"
    unknown = await api.patch(f"{URL}/{cid}", json={"closed_period_policy": "ignore"})
    assert unknown.status_code == 422

    xero = await api.post(
        URL,
        json={
            **body("Xero books"),
            "system": "xero",
            "closed_period_policy": "draft",
            "credentials": _xero(),
        },
    )
    assert xero.status_code == 201, xero.text
    assert xero.json()["closed_period_policy"] == "draft"


def _xero() -> dict[str, str]:
    from erpsim.core.simulator import SimConfig
    from erpsim.xero import create_app

    return dict(create_app(SimConfig()).state.sim.credentials())
