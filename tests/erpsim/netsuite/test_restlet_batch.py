"""The bill RESTlet's batch POST in the simulator: the shipped script's contract (docs/netsuite.md 10.4.1)
with its governance accounting: per-bill answers in order, exactly once by externalId, an early stop
answering `notAttempted` when the 5,000 units (or a lower test limit) run low."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import httpx

from erpsim.core.jsonutil import loads
from erpsim.netsuite import batch
from tests.erpsim.netsuite.conftest import RESTLET, restlet_params
from tests.erpsim.netsuite.test_restlet import _bill_body


def _bills(sim: Any, count: int, first: int = 0) -> list[dict[str, Any]]:
    return [
        {**_bill_body(sim, f"smartap-inv-{i}"), "tranId": f"SUP-{i}"} for i in range(first, first + count)
    ]


async def _post(client: httpx.AsyncClient, bills: Any) -> httpx.Response:
    return await client.post(RESTLET, params=restlet_params("bill"), json={"bills": bills})


def _statuses(response: httpx.Response) -> list[str]:
    assert response.status_code == 200, response.text
    return [r["status"] for r in loads(response.content)["results"]]


def _units(sim: Any) -> int:
    return int(sim.stats.counters["restlet_batch_units"])


async def test_batch_answers_each_bill_in_order_and_counts_units(client: httpx.AsyncClient, sim: Any) -> None:
    before = sim.store.count("vendorBill")
    sent = _bills(sim, 3)
    sent[1]["expense"][0]["account"] = {"id": "999999"}  # NetSuite refuses this bill only
    response = await _post(client, sent)
    assert _statuses(response) == ["created", "error", "created"]
    results = loads(response.content)["results"]
    assert [r["index"] for r in results] == [0, 1, 2]
    assert results[1]["externalId"] == "smartap-inv-1" and results[1]["error"]["code"] == "INVALID_KEY_OR_REF"
    bill = sim.store.get("vendorBill", results[0]["id"])
    assert (results[0]["tranId"], results[0]["total"]) == ("SUP-0", Decimal("231.60"))
    assert bill["externalId"] == "smartap-inv-0" and results[0]["lastModifiedDate"].endswith("Z")
    assert sim.store.count("vendorBill") == before + 2
    # look-up 10 + two bills created 2 x 30 + one failed 40 + read-back 10, as the script spends
    assert _units(sim) == 10 + 2 * 30 + 40 + 10
    assert sim.stats.counters["bills_created"] == 2


async def test_retried_batch_creates_nothing_twice(client: httpx.AsyncClient, sim: Any) -> None:
    sent = [*_bills(sim, 2), _bills(sim, 1)[0]]  # smartap-inv-0 twice in one batch
    first = loads((await _post(client, sent)).content)["results"]
    assert [r["status"] for r in first] == ["created", "created", "existing"]
    assert first[2]["id"] == first[0]["id"]
    count = sim.store.count("vendorBill")
    again = loads((await _post(client, sent[:2])).content)["results"]
    assert [(r["status"], r["id"]) for r in again] == [
        ("existing", first[0]["id"]),
        ("existing", first[1]["id"]),
    ]
    assert sim.store.count("vendorBill") == count


async def test_full_batch_fits_and_low_usage_stops_early(client: httpx.AsyncClient, sim: Any) -> None:
    assert _statuses(await _post(client, _bills(sim, batch.MAX_BILLS))) == ["created"] * 100
    assert _units(sim) == 3020  # well under 5,000
    sim.mutate("set_restlet_usage_limit", {"units": 200})
    sent = _bills(sim, 7, first=100)
    assert _statuses(await _post(client, sent)) == ["created"] * 4 + ["notAttempted"] * 3
    assert _statuses(await _post(client, sent[4:])) == ["created"] * 3
    sim.mutate("set_restlet_usage_limit", {"units": 90})
    refused = await _post(client, _bills(sim, 1, first=200))
    assert refused.status_code == 400 and refused.json()["error"]["code"] == "SSS_USAGE_LIMIT_EXCEEDED"


async def test_batch_must_hold_1_to_100_bills(client: httpx.AsyncClient, sim: Any) -> None:
    for bills in ([], "x", _bills(sim, 101)):
        response = await _post(client, bills)
        assert response.status_code == 400
        assert response.json()["error"] == {
            "code": "INVALID_FIELD_VALUE",
            "message": "bills must be a list of 1 to 100 bills",
        }


async def test_external_ids_are_trimmed_as_the_script_does(client: httpx.AsyncClient, sim: Any) -> None:
    body = {**_bill_body(sim, " smartap-inv-pad "), "tranId": "SUP-PAD"}
    first = loads((await _post(client, [body])).content)["results"][0]
    again = loads((await _post(client, [{**body, "externalId": "smartap-inv-pad"}])).content)["results"][0]
    assert (first["status"], first["externalId"]) == ("created", "smartap-inv-pad")
    assert (again["status"], again["id"]) == ("existing", first["id"])
    missing = loads((await _post(client, [{**body, "externalId": "  "}])).content)["results"][0]
    assert missing["error"]["code"] == "MISSING_REQUIRED_FIELD"
