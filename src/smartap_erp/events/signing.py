"""Standard Webhooks signing for outbound events: the secret (`whsec_` + base64 of 32 random bytes,
generated here, shown once, stored only as vault ciphertext), the body (`{"type", "timestamp",
"data"}`, the payload structure the specification recommends; the connection id goes in `data`) and
the three headers `webhook-id`, `webhook-timestamp` and `webhook-signature`, made with the
`standardwebhooks` package's own `Webhook.sign` so receivers can check them with its `verify`.

`webhook-id` is the event's id: the same for every attempt, every replay and every subscription of one
event, so a receiver that saw it already can drop the repeat (the specification's idempotency key).
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import secrets
from dataclasses import dataclass

from standardwebhooks.webhooks import Webhook

from smartap_erp.db.models.events import ERPEvent
from smartap_erp.db.vault import CredentialVault

SECRET_PREFIX = "whsec_"  # noqa: S105 (the specification's prefix, not a secret)
SECRET_BYTES = 32  # the specification asks for 24 to 64 bytes
USER_AGENT = "smartap-erp-events/1"


def new_secret() -> str:
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode()


def seal_secret(vault: CredentialVault, secret: str) -> bytes:
    return vault.encrypt({"secret": secret})


def open_secret(vault: CredentialVault, ciphertext: bytes) -> str:
    return str(vault.decrypt(ciphertext, owner="an event subscription's secret")["secret"])


def body_of(event: ERPEvent) -> bytes:
    payload = {
        "type": event.type,
        "timestamp": event.occurred_at.astimezone(dt.UTC).isoformat().replace("+00:00", "Z"),
        "data": {
            "connection_id": None if event.connection_id is None else str(event.connection_id),
            **event.data,
        },
    }
    return json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode()


@dataclass(frozen=True)
class SignedRequest:
    body: bytes
    headers: dict[str, str]


def signed_request(event: ERPEvent, secret: str, *, now: dt.datetime) -> SignedRequest:
    """The body and headers of one attempt: the timestamp (and so the signature) is the attempt's."""
    body = body_of(event)
    message_id = f"evt_{event.id.hex}"
    signature = Webhook(secret).sign(msg_id=message_id, timestamp=now, data=body)
    return SignedRequest(
        body,
        {
            "content-type": "application/json",
            "user-agent": USER_AGENT,
            "webhook-id": message_id,
            "webhook-timestamp": str(int(now.timestamp())),
            "webhook-signature": signature,
        },
    )
