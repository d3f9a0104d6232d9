"""The QuickBooks simulator sends webhooks as the real ERP does, to an endpoint on loopback that records
them: a payment and a vendor change (through `/_sim/mutate` and through the ERP's own API) each post
one payload, signed with the configured key (base64 HMAC-SHA256 of the raw body), in CloudEvents or
legacy shape with the realm; the API call that changed the data answers before its webhook is
acknowledged; an answer other than 200 is retried and, once the retries are spent, dropped, the next
payload following in order; nothing is sent before webhooks are configured or for a reset. The
simulator is served on loopback (its own event loop)."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator

import httpx
import pytest

from erpsim.core import Clock, SimConfig
from erpsim.core.testing import LiveServer, live_server
from erpsim.core.webhooks import sign
from erpsim.quickbooks import create_app as quickbooks_app
from tests.webhooks.recorder import Recorder, mutate, wait_status

FAST = [0.01, 0.01]  # seconds between retries here (the real ones wait 10 s, 20 s, ...)


@pytest.fixture
def qbo() -> Iterator[LiveServer]:
    with live_server(quickbooks_app(SimConfig(clock=Clock.real(), vendors=5, bills=5))) as server:
        yield server


def open_bill(server: LiveServer) -> str:
    return next(str(b["Id"]) for b in server.sim.store.active("Bill") if b["Balance"] > 0)


def test_quickbooks_payment_and_vendor_changes_are_signed_cloudevents(
    qbo: LiveServer, recorder: tuple[Recorder, str]
) -> None:
    hooks, url = recorder
    mutate(qbo, "pay_bill", bill_id=open_bill(qbo))
    config = mutate(qbo, "webhooks", url=url)
    assert config["format"] == "cloudevents" and len(config["key"]) == 64
    bill = open_bill(qbo)
    paid = mutate(qbo, "pay_bill", bill_id=bill)
    (headers, body) = hooks.wait_for(1)[0]
    assert headers["intuit-signature"] == sign(config["key"], body)
    realm = qbo.sim.realm_id
    events = json.loads(body)
    assert sorted((e["type"], e["intuitentityid"], e["intuitaccountid"]) for e in events) == [
        ("qbo.bill.updated.v1", bill, realm),
        ("qbo.billpayment.created.v1", paid["payment_id"], realm),
    ]
    assert all(e["specversion"] == "1.0" and e["id"] and e["time"].endswith("Z") for e in events)

    # A vendor created through the ERP's own API raises its own event.
    creds = qbo.sim.credentials()
    created = httpx.post(
        f"{qbo.base_url}/v3/company/{realm}/vendor",
        json={"DisplayName": "Webhook Supplies"},
        headers={"Authorization": f"Bearer {creds['access_token']}", "Accept": "application/json"},
    )
    assert created.status_code == 200, created.text
    vendor_id = created.json()["Vendor"]["Id"]
    (_headers, body) = hooks.wait_for(2)[1]
    assert [(e["type"], e["intuitentityid"]) for e in json.loads(body)] == [
        ("qbo.vendor.created.v1", vendor_id)
    ]
    assert len(hooks.received) == 2  # the payment made before configuring sent nothing


def test_quickbooks_legacy_payload_and_a_reset_sends_nothing(
    qbo: LiveServer, recorder: tuple[Recorder, str]
) -> None:
    hooks, url = recorder
    config = mutate(qbo, "webhooks", url=url, key="my-verifier", format="legacy")
    assert config["key"] == "my-verifier"
    edited = mutate(qbo, "edit_vendors", count=2)
    (headers, body) = hooks.wait_for(1)[0]
    assert headers["intuit-signature"] == sign("my-verifier", body)
    (note,) = json.loads(body)["eventNotifications"]
    assert note["realmId"] == qbo.sim.realm_id
    entities = note["dataChangeEvent"]["entities"]
    assert sorted(e["id"] for e in entities) == sorted(str(i) for i in edited["ids"])
    assert {(e["name"], e["operation"]) for e in entities} == {("Vendor", "Update")}
    assert all(e["lastUpdated"].endswith("Z") for e in entities)
    assert httpx.post(f"{qbo.base_url}/_sim/reset").status_code == 200
    mutate(qbo, "edit_vendors", count=1)  # the first change after a reset is notified, the reset not
    (_headers, body) = hooks.wait_for(2)[1]
    assert len(json.loads(body)["eventNotifications"][0]["dataChangeEvent"]["entities"]) == 1
    assert mutate(qbo, "webhook_status")["sent"] == 2


def test_the_changing_call_answers_before_its_webhook_is_acknowledged(
    qbo: LiveServer, recorder: tuple[Recorder, str]
) -> None:
    hooks, url = recorder
    gate = threading.Event()
    hooks.answer = lambda _headers, _body: 200 if gate.wait(20) else 500
    mutate(qbo, "webhooks", url=url, timeout=30)
    mutate(qbo, "pay_bill", bill_id=open_bill(qbo))  # answered while the endpoint holds the webhook
    hooks.wait_for(1)
    assert mutate(qbo, "webhook_status")["delivered"] == 0
    gate.set()
    assert wait_status(qbo, lambda s: s["delivered"] == 1)["attempts"] == 1


def test_failed_deliveries_are_retried_then_dropped_and_the_next_follows(
    qbo: LiveServer, recorder: tuple[Recorder, str]
) -> None:
    hooks, url = recorder
    hooks.statuses = [500, 503]  # then 200
    mutate(qbo, "webhooks", url=url, retry_delays=FAST)
    mutate(qbo, "edit_vendors", count=1)
    status = wait_status(qbo, lambda s: s["delivered"] == 1)
    assert (status["attempts"], status["retried"], status["dropped"]) == (3, 2, 0)
    first = hooks.wait_for(3)
    assert first[0][1] == first[1][1] == first[2][1]  # the same payload each time

    hooks.statuses = [500, 500, 500]
    mutate(qbo, "edit_vendors", count=1)  # every attempt fails: dropped
    mutate(qbo, "add_vendors", count=1)  # waits its turn, then goes through
    status = wait_status(qbo, lambda s: s["delivered"] == 2 and s["pending"] == 0)
    assert (status["sent"], status["dropped"], status["attempts"]) == (3, 1, 7)
    bodies = [json.loads(body) for _headers, body in hooks.wait_for(7)]
    assert [e["type"] for e in bodies[-1]] == ["qbo.vendor.created.v1"]
