"""Xero webhooks of the simulator: what changed in the connected organisations, posted to the
configured URL with the `x-xero-signature` header (base64 HMAC-SHA256 of the raw body under the
webhook key, xero.md §Webhooks).

Xero notifies contacts, invoices and credit notes (and subscriptions, which the simulator has not):
each record is compared with the last look (its whole stored value, so a change shows even on a fixed
clock); a new one is `CREATE`, a changed one `UPDATE` (archiving, voiding and deleting included, as
Xero reports them). A payment raises an INVOICE `UPDATE`: Xero has no payment category, and a payment
changes the invoice's AmountPaid, AmountDue and Status; whether real Xero sends it is UNCERTAIN in
erp-api-facts §2.11, and this is the behaviour chosen. The body is `{"events": [{resourceUrl,
resourceId, eventDateUtc, eventType, eventCategory, tenantId, tenantType}], "firstEventSequence",
"lastEventSequence", "entropy"}`. `{"op": "webhook_intent_to_receive"}` runs Xero's "intent to receive"
check: empty payloads, some signed right and some wrong; it passes when the endpoint answers 200 to
each right one and 401 to each wrong one, with no body and no cookies (read by `webhook_status`).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import httpx

from erpsim.core.seeding import SeededData
from erpsim.core.simulator import MutateError, MutateOp
from erpsim.core.webhooks import Notifier, sign

if TYPE_CHECKING:
    from erpsim.xero.simulator import XeroSim

HEADER = "x-xero-signature"
# category -> (Org attribute, id field, resource path)
CATEGORIES = {
    "CONTACT": ("contacts", "ContactID", "Contacts"),
    "INVOICE": ("invoices", "InvoiceID", "Invoices"),
    "CREDITNOTE": ("credit_notes", "CreditNoteID", "CreditNotes"),
}
ITR_CHECKS = (True, False, True, False, False, True)  # signed right or wrong, as Xero mixes them

Key = tuple[str, str, str]  # tenant, category, id


@dataclass(frozen=True)
class Change:
    tenant: str
    category: str
    ident: str
    event_type: str
    at: datetime


class XeroNotifier(Notifier):
    header = HEADER

    def __init__(self, sim: Any) -> None:
        super().__init__(sim)
        self.sequence = 0
        self.entropy = SeededData(f"xero-webhook-entropy-{sim.config.seed}")

    @property
    def xero(self) -> XeroSim:
        return self.sim  # type: ignore[return-value]

    def data_identity(self) -> Any:
        return self.xero.orgs

    def snapshot(self) -> dict[Key, tuple[str, datetime]]:
        seen: dict[Key, tuple[str, datetime]] = {}
        connected = self.xero.connected_tenants()
        for tenant, org in self.xero.orgs.items():
            if tenant not in connected:  # Xero notifies the organisations connected to the app
                continue
            for category, (attribute, _id_field, _path) in CATEGORIES.items():
                for ident, record in getattr(org, attribute, {}).items():
                    when = record.get("UpdatedDateUTC") or org.created
                    seen[(tenant, category, ident)] = (repr(record), when)
        return seen

    def events(
        self, before: dict[Key, tuple[str, datetime]], after: dict[Key, tuple[str, datetime]]
    ) -> list[Change]:
        found = []
        for key, (value, when) in after.items():
            old = before.get(key)
            if old is not None and old[0] == value:
                continue
            found.append(Change(key[0], key[1], key[2], "CREATE" if old is None else "UPDATE", when))
        return sorted(found, key=lambda change: change.at)

    def payload(self, events: list[Change]) -> bytes:
        base = self.xero.config.base_url.rstrip("/")
        first = self.sequence + 1
        self.sequence += len(events)
        body = {
            "events": [
                {
                    "resourceUrl": f"{base}/api.xro/2.0/{CATEGORIES[c.category][2]}/{c.ident}",
                    "resourceId": c.ident,
                    "eventDateUtc": _utc(c.at),
                    "eventType": c.event_type,
                    "eventCategory": c.category,
                    "tenantId": c.tenant,
                    "tenantType": "ORGANISATION",
                }
                for c in events
            ],
            "firstEventSequence": first,
            "lastEventSequence": self.sequence,
            "entropy": self.entropy.token(20, "ABCDEFGHIJKLMNOPQRSTUVWXYZ"),
        }
        return json.dumps(body, separators=(",", ":")).encode()

    def extra_ops(self) -> dict[str, MutateOp]:
        return {"webhook_intent_to_receive": self.intent_to_receive}

    def intent_to_receive(self, _params: dict[str, Any]) -> dict[str, Any]:
        target = self.sender.target
        if target is None:
            raise MutateError('configure webhooks first: {"op": "webhooks", "url": ...}')
        self.sender.stats.intent_to_receive = {"state": "running", "checks": []}
        self.sender.start(self._intent_to_receive())
        return {"started": True, "checks": len(ITR_CHECKS)}

    async def _intent_to_receive(self) -> None:
        target = self.sender.target
        assert target is not None
        checks: list[dict[str, Any]] = []
        async with httpx.AsyncClient(timeout=target.timeout) as client:
            for right in ITR_CHECKS:
                body = json.dumps(
                    {
                        "events": [],
                        "firstEventSequence": 0,
                        "lastEventSequence": 0,
                        "entropy": self.entropy.token(20, "ABCDEFGHIJKLMNOPQRSTUVWXYZ"),
                    },
                    separators=(",", ":"),
                ).encode()
                signature = sign(target.key if right else target.key + "wrong", body)
                try:
                    answer = await client.post(
                        target.url,
                        content=body,
                        headers={HEADER: signature, "content-type": "application/json"},
                    )
                except httpx.HTTPError as exc:
                    checks.append(
                        {"signed_right": right, "status": None, "ok": False, "error": type(exc).__name__}
                    )
                    continue
                clean = not answer.content and "set-cookie" not in answer.headers
                ok = answer.status_code == (200 if right else 401) and clean
                checks.append({"signed_right": right, "status": answer.status_code, "ok": ok, "clean": clean})
        passed = all(check["ok"] for check in checks)
        self.sender.stats.intent_to_receive = {"state": "passed" if passed else "failed", "checks": checks}


def _utc(moment: datetime) -> str:
    """Xero's eventDateUtc: UTC with milliseconds and no zone designator."""
    return moment.astimezone(UTC).replace(tzinfo=None).isoformat(timespec="milliseconds")


routes = XeroNotifier.routes  # sim.routes(): each API write followed by a look for changes
ops = XeroNotifier.ops  # sim.mutate_ops(): each op followed by a look, plus the webhook ops
