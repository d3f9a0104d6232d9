"""QuickBooks Online webhooks of the simulator: what changed in the company, posted to the configured
URL with the `intuit-signature` header (base64 HMAC-SHA256 of the raw body under the verifier token,
quickbooks.md §Webhooks).

The entities Intuit notifies that the simulator keeps (Intuit's table: Account, Bill, BillPayment,
Item, PurchaseOrder, Term, Vendor) are compared by SyncToken, which every change bumps even on a fixed
clock, plus the store's tombstones: a new record is `Create`, a new SyncToken `Update` (`Void` for a
bill just voided), a new tombstone `Delete`. One request carries every change of one look, in either
payload shape (`{"op": "webhooks", ..., "format": "cloudevents" | "legacy"}`; CloudEvents by default,
Intuit's format after its 2026 cut-over): legacy `{"eventNotifications": [{"realmId", "dataChangeEvent":
{"entities": [{name, id, operation, lastUpdated}]}}]}`, or the CloudEvents array with `type`
`qbo.<entity>.<operation>.v1`, `intuitentityid` and `intuitaccountid` (the realm). Delivery, order and
retries are `erpsim.core.webhooks`'.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from erpsim.core.simulator import MutateError
from erpsim.core.webhooks import Notifier

if TYPE_CHECKING:
    from erpsim.quickbooks.sim import QuickBooksSim

HEADER = "intuit-signature"
NOTIFIED = ("Account", "Bill", "BillPayment", "Item", "PurchaseOrder", "Term", "Vendor")
PAST = {"Create": "created", "Update": "updated", "Delete": "deleted", "Void": "voided", "Merge": "merged"}
FORMATS = ("cloudevents", "legacy")

Key = tuple[str, str]


@dataclass(frozen=True)
class Change:
    entity: str
    ident: str
    operation: str  # Create, Update, Delete, Void
    at: float  # epoch seconds


@dataclass(frozen=True)
class Snapshot:
    tokens: dict[Key, tuple[str, bool]]  # (SyncToken, voided)
    updated: dict[Key, float]
    tombstones: dict[Key, float]


def _utc(epoch: float) -> str:
    moment = dt.datetime.fromtimestamp(epoch, dt.UTC)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


class QuickBooksNotifier(Notifier):
    header = HEADER

    def __init__(self, sim: Any) -> None:
        super().__init__(sim)
        self.format = "cloudevents"

    @property
    def qbo(self) -> QuickBooksSim:
        return self.sim  # type: ignore[return-value]

    def data_identity(self) -> Any:
        return self.qbo.store

    def snapshot(self) -> Snapshot:
        store = self.qbo.store
        tokens: dict[Key, tuple[str, bool]] = {}
        updated: dict[Key, float] = {}
        tombstones: dict[Key, float] = {}
        for entity in NOTIFIED:
            for ident, record in store.records[entity].items():
                tokens[(entity, ident)] = (str(record.get("SyncToken")), ident in store.voided)
                updated[(entity, ident)] = store.updated[entity].get(ident, 0.0)
            for ident, stone in store.tombstones[entity].items():
                tombstones[(entity, ident)] = stone.deleted_at
        return Snapshot(tokens, updated, tombstones)

    def events(self, before: Snapshot, after: Snapshot) -> list[Change]:
        found = []
        for key, (token, voided) in after.tokens.items():
            old = before.tokens.get(key)
            if old is None:
                operation = "Create"
            elif old[0] != token:
                operation = "Void" if voided and not old[1] else "Update"
            else:
                continue
            found.append(Change(key[0], key[1], operation, after.updated[key]))
        for key, when in after.tombstones.items():
            if key not in before.tombstones:
                found.append(Change(key[0], key[1], "Delete", when))
        return sorted(found, key=lambda change: change.at)  # sent in the order they happened

    def payload(self, events: list[Change]) -> bytes:
        realm = self.qbo.realm_id
        body: Any
        if self.format == "legacy":
            entities = [
                {"name": c.entity, "id": c.ident, "operation": c.operation, "lastUpdated": _utc(c.at)}
                for c in events
            ]
            body = {"eventNotifications": [{"realmId": realm, "dataChangeEvent": {"entities": entities}}]}
        else:
            body = [
                {
                    "specversion": "1.0",
                    "id": str(uuid.uuid4()),
                    "source": f"intuit.erpsim.{realm}",
                    "type": f"qbo.{c.entity.lower()}.{PAST[c.operation]}.v1",
                    "datacontenttype": "application/json",
                    "time": _utc(c.at),
                    "intuitentityid": c.ident,
                    "intuitaccountid": realm,
                    "data": {},
                }
                for c in events
            ]
        return json.dumps(body, separators=(",", ":")).encode()

    def configure_extra(self, params: dict[str, Any]) -> dict[str, Any]:
        chosen = str(params.get("format") or "cloudevents")
        if chosen not in FORMATS:
            raise MutateError(f"format must be one of {', '.join(FORMATS)}")
        self.format = chosen
        return {"format": chosen}


routes = QuickBooksNotifier.routes  # sim.routes(): each API write followed by a look for changes
ops = QuickBooksNotifier.ops  # sim.mutate_ops(): each op followed by a look, plus the webhook ops
