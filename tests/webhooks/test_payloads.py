"""Webhook signatures and payloads, without a database: the base64 HMAC-SHA256 of the raw body is
accepted only when right (not when missing, wrong, made with another key, or for a body changed by one
byte) and compared with `hmac.compare_digest`; QuickBooks' legacy and CloudEvents payloads, each
naming several companies, and Xero's events read into events with their realm or tenant, entity, id,
operation and time; the same change read twice gets the same deduplication key, another change
another; bodies that are not the ERP's payload are refused with the reason."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from smartap_erp.app import webhook_payloads
from smartap_erp.app.webhook_payloads import (
    WebhookPayloadError,
    parse_quickbooks,
    parse_xero,
    sign,
    verify_signature,
)

KEY = "verifier-token-for-tests"
LEGACY = {
    "eventNotifications": [
        {
            "realmId": "1111",
            "dataChangeEvent": {
                "entities": [
                    {
                        "name": "Bill",
                        "id": "146",
                        "operation": "Update",
                        "lastUpdated": "2024-05-01T10:00:00.000Z",
                    },
                    {
                        "name": "Vendor",
                        "id": "7",
                        "operation": "Create",
                        "lastUpdated": "2024-05-01T10:00:01.000Z",
                    },
                ]
            },
        },
        {
            "realmId": "2222",
            "dataChangeEvent": {
                "entities": [
                    {
                        "name": "BillPayment",
                        "id": "9",
                        "operation": "Delete",
                        "lastUpdated": "2024-05-01T11:00:00.000Z",
                        "deletedId": "9",
                    }
                ]
            },
        },
    ]
}


def cloud_event(ident: str, kind: str, realm: str, entity_id: str) -> dict[str, object]:
    return {
        "specversion": "1.0",
        "id": ident,
        "source": "intuit.test",
        "type": kind,
        "datacontenttype": "application/json",
        "time": "2026-05-31T21:31:25.179Z",
        "intuitentityid": entity_id,
        "intuitaccountid": realm,
        "data": {},
    }


def raw(payload: object) -> bytes:
    return json.dumps(payload).encode()


def test_a_signature_is_accepted_only_when_it_signs_these_bytes_with_this_key() -> None:
    body = raw(LEGACY)
    good = sign(KEY, body)
    assert verify_signature(KEY, body, good)
    assert verify_signature(KEY, body, f" {good}\n")  # header whitespace is not part of it
    assert not verify_signature(KEY, body, None)
    assert not verify_signature(KEY, body, "")
    assert not verify_signature(KEY, body, sign("another key", body))
    assert not verify_signature(KEY, body + b" ", good)  # re-serialised JSON is another body
    assert not verify_signature(KEY, body, good[:-2] + "A=")
    assert not verify_signature(KEY, body, "é" * 44)  # not even ASCII: refused, not an error


def test_the_comparison_is_constant_time(monkeypatch: pytest.MonkeyPatch) -> None:
    compared: list[tuple[bytes, bytes]] = []
    real = webhook_payloads.hmac.compare_digest

    def spy(a: bytes, b: bytes) -> bool:
        compared.append((a, b))
        return real(a, b)

    monkeypatch.setattr(webhook_payloads.hmac, "compare_digest", spy)
    body = raw({"events": []})
    assert not verify_signature(KEY, body, "wrong")
    assert verify_signature(KEY, body, sign(KEY, body))
    assert [b for _a, b in compared] == [b"wrong", sign(KEY, body).encode()]


def test_the_legacy_payload_of_several_companies() -> None:
    events = parse_quickbooks(raw(LEGACY))
    assert [(e.account_id, e.entity, e.entity_id, e.operation) for e in events] == [
        ("1111", "Bill", "146", "Update"),
        ("1111", "Vendor", "7", "Create"),
        ("2222", "BillPayment", "9", "Delete"),
    ]
    assert events[0].occurred_at == dt.datetime(2024, 5, 1, 10, 0, tzinfo=dt.UTC)
    assert len({e.dedupe_key for e in events}) == 3
    again = parse_quickbooks(raw(LEGACY))
    assert [e.dedupe_key for e in again] == [e.dedupe_key for e in events]  # a redelivery: the same keys
    later = json.loads(json.dumps(LEGACY))
    later["eventNotifications"][0]["dataChangeEvent"]["entities"][0]["lastUpdated"] = (
        "2024-05-01T10:05:00.000Z"
    )
    assert parse_quickbooks(raw(later))[0].dedupe_key != events[0].dedupe_key  # a later change of it


def test_the_cloudevents_payload_of_several_companies() -> None:
    body = [
        cloud_event("88cd52aa-1", "qbo.bill.updated.v1", "1111", "146"),
        cloud_event("88cd52aa-2", "qbo.vendor.created.v1", "2222", "7"),
        cloud_event("88cd52aa-3", "qbo.billpayment.deleted.v1", "1111", "9"),
    ]
    events = parse_quickbooks(raw(body))
    assert [(e.account_id, e.entity, e.entity_id, e.operation) for e in events] == [
        ("1111", "bill", "146", "updated"),
        ("2222", "vendor", "7", "created"),
        ("1111", "billpayment", "9", "deleted"),
    ]
    assert [e.dedupe_key for e in events] == ["ce|88cd52aa-1", "ce|88cd52aa-2", "ce|88cd52aa-3"]
    assert events[0].occurred_at == dt.datetime(2026, 5, 31, 21, 31, 25, 179000, tzinfo=dt.UTC)


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b"not json", "not JSON"),
        (b'{"something": 1}', "eventNotifications object or a CloudEvents array"),
        (raw([{"type": "bill.updated", "id": "1", "intuitaccountid": "1", "intuitentityid": "2"}]), "qbo."),
        (raw([cloud_event("1", "qbo.bill.updated.v1", "", "2")]), "intuitaccountid"),
        (raw({"eventNotifications": [{"realmId": "1", "dataChangeEvent": {}}]}), "entities is not a list"),
    ],
)
def test_a_body_that_is_not_quickbooks_payload_is_refused_with_the_reason(body: bytes, reason: str) -> None:
    with pytest.raises(WebhookPayloadError, match=reason.replace(".", r"\.")):
        parse_quickbooks(body)


def test_xero_events_and_the_intent_to_receive_payload() -> None:
    tenant = "84EA839C-54D1-46D5-8711-0E4EBCE7EE1A"
    body = {
        "events": [
            {
                "resourceUrl": "https://api.xero.com/api.xro/2.0/Contacts/717F2BFC",
                "resourceId": "717F2BFC-C6D4-41FD-B238-3F2F0C0CF777",
                "eventDateUtc": "2017-06-21T01:15:39.902",
                "eventType": "Update",
                "eventCategory": "CONTACT",
                "tenantId": tenant,
                "tenantType": "ORGANISATION",
            }
        ],
        "firstEventSequence": 1,
        "lastEventSequence": 1,
        "entropy": "S0m3r4Nd0mt3xt",
    }
    (event,) = parse_xero(raw(body))
    assert (event.account_id, event.entity, event.entity_id, event.operation) == (
        tenant.lower(),
        "CONTACT",
        "717f2bfc-c6d4-41fd-b238-3f2f0c0cf777",
        "UPDATE",
    )
    assert event.occurred_at == dt.datetime(2017, 6, 21, 1, 15, 39, 902000, tzinfo=dt.UTC)
    assert parse_xero(raw(body))[0].dedupe_key == event.dedupe_key
    itr = {"events": [], "firstEventSequence": 0, "lastEventSequence": 0, "entropy": "S0m3r4Nd0mt3xt"}
    assert parse_xero(raw(itr)) == []
    with pytest.raises(WebhookPayloadError, match="tenantId"):
        parse_xero(raw({"events": [{**body["events"][0], "tenantId": None}]}))  # type: ignore[index]
    with pytest.raises(WebhookPayloadError, match="events list"):
        parse_xero(raw([]))
