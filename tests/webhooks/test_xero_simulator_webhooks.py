"""The Xero simulator sends webhooks as the real ERP does: a payment raises a signed INVOICE UPDATE and
a supplier change a CONTACT UPDATE, each with the tenant and increasing event sequences; the "intent
to receive" check passes only for an endpoint that answers 200 to the right signatures and 401 to the
wrong ones. Served on loopback, recorded by the endpoint of tests/webhooks/recorder.py."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from erpsim.core import Clock, SimConfig
from erpsim.core.testing import LiveServer, live_server
from erpsim.core.webhooks import sign
from erpsim.xero import create_app as xero_app
from tests.webhooks.recorder import Recorder, mutate, wait_status


@pytest.fixture
def xero() -> Iterator[LiveServer]:
    with live_server(xero_app(SimConfig(clock=Clock.real(), vendors=5, bills=5))) as server:
        yield server


def test_xero_payment_and_contact_events_carry_the_tenant(
    xero: LiveServer, recorder: tuple[Recorder, str]
) -> None:
    hooks, url = recorder
    config = mutate(xero, "webhooks", url=url)
    paid = mutate(xero, "pay_bill")
    (headers, body) = hooks.wait_for(1)[0]
    assert headers["x-xero-signature"] == sign(config["key"], body)
    payload = json.loads(body)
    tenant = xero.sim.credentials()["tenant_id"]
    (event,) = payload["events"]
    assert (event["eventCategory"], event["eventType"], event["resourceId"], event["tenantId"]) == (
        "INVOICE",
        "UPDATE",
        paid["invoice_id"],
        tenant,
    )
    assert event["tenantType"] == "ORGANISATION" and event["resourceUrl"].endswith(
        f"/Invoices/{paid['invoice_id']}"
    )
    assert (payload["firstEventSequence"], payload["lastEventSequence"]) == (1, 1) and payload["entropy"]
    edited = mutate(xero, "edit_vendors", count=1)
    (_headers, body) = hooks.wait_for(2)[1]
    contact = json.loads(body)
    assert [(e["eventCategory"], e["resourceId"]) for e in contact["events"]] == [
        ("CONTACT", edited["edited"][0])
    ]
    assert contact["firstEventSequence"] == 2


def test_xero_intent_to_receive(xero: LiveServer, recorder: tuple[Recorder, str]) -> None:
    hooks, url = recorder
    key = mutate(xero, "webhooks", url=url)["key"]
    hooks.answer = lambda headers, body: 200 if headers.get("x-xero-signature") == sign(key, body) else 401
    assert mutate(xero, "webhook_intent_to_receive")["started"] is True
    passed = wait_status(xero, lambda s: s["intent_to_receive"].get("state") not in (None, "running"))
    assert passed["intent_to_receive"]["state"] == "passed"
    checks = passed["intent_to_receive"]["checks"]
    assert {c["signed_right"] for c in checks} == {True, False}
    assert all(json.loads(body)["events"] == [] for _headers, body in hooks.received)

    hooks.answer = lambda _headers, _body: 200  # accepts forgeries: fails the check
    mutate(xero, "webhook_intent_to_receive")
    failed = wait_status(xero, lambda s: s["intent_to_receive"].get("state") not in (None, "running"))
    assert failed["intent_to_receive"]["state"] == "failed"
