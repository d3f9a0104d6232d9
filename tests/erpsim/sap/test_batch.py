"""The SAP simulator's `$batch` (erp-api-facts §3.6): multipart parsing, change sets, per-part statuses,
stop at the first failure, atomic change sets, `$<Content-ID>` references, malformed bodies (400 / -1000),
the batch's session, and one counted request per batch. Responses are read with the standard library's
MIME parser, not the connector's, so the two implementations check each other."""

from __future__ import annotations

import email
import json
from email.message import Message
from typing import Any

import httpx
import pytest

from erpsim.core import SimConfig
from erpsim.sap import routes
from tests.erpsim.sap.conftest import login_body

ACCOUNT = "_SYS00000000610"


def bill(number: str, card: str = "V10001", day: str = "2024-06-01") -> dict[str, Any]:
    return {
        "CardCode": card,
        "DocType": "dDocument_Service",
        "DocDate": day,
        "NumAtCard": number,
        "DocumentLines": [{"ItemDescription": "Paper", "AccountCode": ACCOUNT, "LineTotal": 10}],
    }


def request_part(
    method: str, url: str, body: Any = None, content_id: str | None = None, eol: str = "\r\n"
) -> str:
    head = ["Content-Type: application/http", "Content-Transfer-Encoding: binary"]
    if content_id:
        head.append(f"Content-ID: {content_id}")
    lines = [*head, "", f"{method} {url} HTTP/1.1"]
    if body is not None:
        lines += ["Content-Type: application/json", "", json.dumps(body)]
    else:
        lines += ["", ""]
    return eol.join(lines)


def change_set(boundary: str, *parts: str) -> str:
    inner = "\r\n".join(f"--{boundary}\r\n{p}" for p in parts)
    return f"Content-Type: multipart/mixed;boundary={boundary}\r\n\r\n{inner}\r\n--{boundary}--"


def batch_body(*parts: str, boundary: str = "batch_1") -> str:
    return "".join(f"--{boundary}\r\n{p}\r\n" for p in parts) + f"--{boundary}--\r\n"


async def post_batch(
    client: httpx.AsyncClient, body: str, version: str = "v1", boundary: str = "batch_1"
) -> httpx.Response:
    return await client.post(
        f"/b1s/{version}/$batch",
        content=body.encode(),
        headers={"Content-Type": f"multipart/mixed;boundary={boundary}"},
    )


def responses(response: httpx.Response) -> list[tuple[int, dict[str, str], Any, str | None]]:
    """(status, headers, JSON body or None, Content-ID) per part, change sets flattened, in order."""
    message = email.message_from_bytes(
        f"Content-Type: {response.headers['content-type']}\r\n\r\n".encode() + response.content
    )
    out: list[tuple[int, dict[str, str], Any, str | None]] = []

    def walk(part: Message) -> None:
        if part.is_multipart():
            for sub in part.get_payload():  # type: ignore[union-attr]
                walk(sub)
            return
        assert part.get_content_type() == "application/http" and part["Content-Transfer-Encoding"] == "binary"
        text = str(part.get_payload())
        head, _, body = text.partition("\r\n\r\n")
        status_line, *header_lines = head.split("\r\n")
        headers = {k.lower(): v.strip() for k, v in (h.split(":", 1) for h in header_lines)}
        out.append(
            (
                int(status_line.split()[1]),
                headers,
                json.loads(body) if body.strip() else None,
                part["Content-ID"],
            )
        )

    walk(message)
    return out


def invoices(app: Any, number: str | None = None) -> list[dict[str, Any]]:
    rows = app.state.sim.companies["SBODEMOUS"].records("PurchaseInvoices")
    return [r for r in rows if number is None or r["NumAtCard"] == number]


async def test_parts_run_in_order_with_their_own_statuses(client: httpx.AsyncClient, app: Any) -> None:
    body = batch_body(
        request_part("GET", "/b1s/v1/PurchaseInvoices?$top=1&$select=DocEntry"),
        change_set("changeset_a", request_part("POST", "/b1s/v1/PurchaseInvoices", bill("B-1"), "1")),
        change_set(
            "changeset_b", request_part("POST", "PurchaseInvoices", bill("B-2"), "2")
        ),  # service-root relative
        request_part("GET", "BusinessPartners('V10001')?$select=CardCode"),
    )
    response = await post_batch(client, body)
    assert response.status_code == 202 and response.headers["content-type"].startswith(
        "multipart/mixed;boundary=batchresponse_"
    )
    parts = responses(response)
    assert [p[0] for p in parts] == [200, 201, 201, 200]
    assert parts[0][2]["value"] == [{"DocEntry": 1}]
    assert parts[1][2]["NumAtCard"] == "B-1" and parts[1][3] == "1" and parts[2][3] == "2"
    assert parts[1][1]["location"].endswith(f"/b1s/v1/PurchaseInvoices({parts[1][2]['DocEntry']})")
    assert parts[2][2]["DocEntry"] == parts[1][2]["DocEntry"] + 1  # numbering as standalone creates
    assert parts[3][2]["CardCode"] == "V10001"
    assert len(invoices(app, "B-1")) == 1 and len(invoices(app, "B-2")) == 1


async def test_lf_lines_and_request_line_under_the_headers_are_read(client: httpx.AsyncClient) -> None:
    # the manual's examples: no empty line between the part headers and the request line
    part = "Content-Type: application/http\nContent-Transfer-Encoding: binary\n"
    part += "GET /b1s/v1/BusinessPartners('V10001')\n\n"
    body = f"--b\n{part}\n--b--\n"
    response = await post_batch(client, body, boundary="b")
    assert response.status_code == 202 and [p[0] for p in responses(response)] == [200]


async def test_processing_stops_at_the_first_failure(client: httpx.AsyncClient, app: Any) -> None:
    before = len(invoices(app))
    body = batch_body(
        change_set("cs1", request_part("POST", "/b1s/v1/PurchaseInvoices", bill("S-1"), "1")),
        change_set("cs2", request_part("POST", "/b1s/v1/PurchaseInvoices", bill("S-2", card="NOPE"), "2")),
        change_set("cs3", request_part("POST", "/b1s/v1/PurchaseInvoices", bill("S-3"), "3")),
        request_part("GET", "/b1s/v1/BusinessPartners('V10001')"),
    )
    response = await post_batch(client, body)
    assert response.status_code == 202
    parts = responses(response)
    assert [p[0] for p in parts] == [201, 400]  # nothing after the failed part, not even a status
    assert parts[1][2]["error"] == {
        "code": -10,
        "message": {"lang": "en-us", "value": "Invalid BP code 'NOPE'"},
    }
    assert parts[1][3] is None  # the failed change set's one response is a plain part (manual's example)
    assert len(invoices(app)) == before + 1 and not invoices(app, "S-3")


async def test_a_failed_change_set_is_rolled_back(client: httpx.AsyncClient, app: Any) -> None:
    before = len(invoices(app))
    first = request_part("POST", "/b1s/v1/PurchaseInvoices", bill("R-1"), "1")
    second = request_part("POST", "/b1s/v1/PurchaseInvoices", bill("R-2", card="NOPE"), "2")
    parts = responses(await post_batch(client, batch_body(change_set("cs", first, second))))
    assert [p[0] for p in parts] == [400]
    assert len(invoices(app)) == before and not invoices(app, "R-1")
    created = await client.post("/b1s/v1/PurchaseInvoices", json=bill("R-3"))
    assert created.json()["DocEntry"] == before + 1  # the rolled-back DocEntry is given again


async def test_content_id_references_an_entity_created_earlier_in_the_change_set(
    client: httpx.AsyncClient, app: Any
) -> None:
    create = request_part("POST", "/b1s/v1/PurchaseInvoices", bill("C-1"), "1")
    cancel = request_part("POST", "/b1s/v1/$1/Cancel", None, "2")
    parts = responses(await post_batch(client, batch_body(change_set("cs", create, cancel))))
    assert [(p[0], p[3]) for p in parts] == [(201, "1"), (204, "2")]
    assert invoices(app, "C-1")[0]["Cancelled"] == "tYES"


async def test_locked_period_in_a_part_is_refused_as_standalone(client: httpx.AsyncClient, app: Any) -> None:
    app.state.sim.mutate("set_lock_date", {"date": "2024-06-30"})
    standalone = await client.post("/b1s/v1/PurchaseInvoices", json=bill("L-0"))
    part = request_part("POST", "/b1s/v1/PurchaseInvoices", bill("L-1"), "1")
    parts = responses(await post_batch(client, batch_body(change_set("cs", part))))
    assert [p[0] for p in parts] == [standalone.status_code] == [400]
    assert parts[0][2] == standalone.json()


@pytest.mark.parametrize(
    ("content_type", "body", "message"),
    [
        (
            "application/json",
            batch_body(request_part("GET", "/b1s/v1/Items")),
            "multipart/mixed with a boundary",
        ),
        (
            "multipart/mixed",
            batch_body(request_part("GET", "/b1s/v1/Items")),
            "multipart/mixed with a boundary",
        ),
        (None, "--batch_1\r\n" + request_part("GET", "/b1s/v1/Items"), "Incomplete Batch Request Body!"),
        (None, batch_body(change_set("cs", request_part("GET", "/b1s/v1/Items"))), "must not contain GET"),
        (
            None,
            batch_body(change_set("cs", change_set("inner", request_part("POST", "/b1s/v1/Items", {})))),
            "must not contain other change sets",
        ),
        (
            None,
            batch_body("Content-Type: application/http\r\n\r\nGET /b1s/v1/Items\r\n\r\n"),
            "Content-Transfer-Encoding",
        ),
        (
            None,
            batch_body("Content-Type: text/plain\r\nContent-Transfer-Encoding: binary\r\n\r\nGET /x\r\n"),
            "application/http",
        ),
        (
            None,
            batch_body("Content-Type: application/http\r\nContent-Transfer-Encoding: binary\r\n\r\n"),
            "no request line",
        ),
    ],
)
async def test_malformed_batches_are_refused_before_any_part_runs(
    client: httpx.AsyncClient, app: Any, content_type: str | None, body: str, message: str
) -> None:
    before = len(invoices(app))
    create = change_set("first", request_part("POST", "/b1s/v1/PurchaseInvoices", bill("M-1"), "1"))
    whole = batch_body(create).removesuffix("--batch_1--\r\n") + body.removeprefix("")
    response = await client.post(
        "/b1s/v1/$batch",
        content=(whole if content_type is None else body).encode(),
        headers={"Content-Type": content_type or "multipart/mixed;boundary=batch_1"},
    )
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == -1000 and message in error["message"]["value"]
    assert len(invoices(app)) == before


async def test_v2_answers_200_and_wants_content_ids_in_change_sets(
    anon: httpx.AsyncClient, config: SimConfig
) -> None:
    client = anon  # B1SESSION has no Path: the v1 login's cookie stays on /b1s/v1
    assert (await client.post("/b1s/v2/Login", json=login_body(config))).status_code == 200
    without = batch_body(change_set("cs", request_part("POST", "/b1s/v2/PurchaseInvoices", bill("V-1"))))
    refused = await post_batch(client, without, version="v2")
    assert refused.status_code == 400 and refused.json()["error"]["code"] == "-1000"  # v2 error shape
    with_id = batch_body(change_set("cs", request_part("POST", "/b1s/v2/PurchaseInvoices", bill("V-1"), "1")))
    accepted = await post_batch(client, with_id, version="v2")
    assert accepted.status_code == 200 and [p[0] for p in responses(accepted)] == [201]


async def test_the_batch_needs_a_session_and_its_session_applies_to_every_part(
    anon: httpx.AsyncClient, app: Any, config: SimConfig
) -> None:
    body = batch_body(request_part("GET", "/b1s/v1/BusinessPartners('V10001')"))
    refused = await post_batch(anon, body)
    assert refused.status_code == 401 and refused.json()["error"]["code"] == 301
    assert (await anon.post("/b1s/v1/Login", json=login_body(config))).status_code == 200
    # a part naming another (unknown) session is still run with the batch's own
    part = request_part("GET", "/b1s/v1/BusinessPartners('V10001')").replace(
        "HTTP/1.1\r\n", "HTTP/1.1\r\nCookie: B1SESSION=someone-else\r\n"
    )
    assert [p[0] for p in responses(await post_batch(anon, batch_body(part)))] == [200]
    second = await anon.post("/b1s/v1/Login", json=login_body(config, "SBODEMOGB"))  # the UK company
    assert second.status_code == 200
    parts = responses(await post_batch(anon, batch_body(request_part("GET", "/b1s/v1/VatGroups?$top=1"))))
    assert parts[0][0] == 200 and parts[0][2]["value"]  # the batch's company decides, as standalone


async def test_a_batch_is_one_request_in_the_stats(client: httpx.AsyncClient, app: Any) -> None:
    stats = app.state.sim.stats
    total, parts_before = stats.total, stats.counters["batch_parts"]
    body = batch_body(
        *(
            change_set(f"cs{n}", request_part("POST", "/b1s/v1/PurchaseInvoices", bill(f"N-{n}"), "1"))
            for n in range(5)
        ),
        request_part("GET", "/b1s/v1/PurchaseInvoices?$top=1"),
    )
    assert (await post_batch(client, body)).status_code == 202
    assert stats.total == total + 1 and stats.by_endpoint["POST /b1s/v1/$batch"] >= 1
    assert stats.counters["batch_parts"] == parts_before + 6


async def test_commit_then_fail_runs_the_batch_and_loses_its_answer(
    client: httpx.AsyncClient, app: Any
) -> None:
    await client.post("/_sim/faults", content="commit_then_fail=1;lost_response=504")
    body = batch_body(change_set("cs", request_part("POST", "/b1s/v1/PurchaseInvoices", bill("LOST-B"), "1")))
    assert (await post_batch(client, body)).status_code == 504
    assert len(invoices(app, "LOST-B")) == 1


async def test_a_part_that_breaks_is_its_500_and_stops_the_batch(
    client: httpx.AsyncClient, app: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = routes.build_document

    def build(company: Any, set_name: str, body: dict[str, Any]) -> dict[str, Any]:
        if body.get("NumAtCard") == "BOOM":
            raise RuntimeError("the DI core fell over")
        return real(company, set_name, body)

    monkeypatch.setattr(routes, "build_document", build)
    body = batch_body(
        *(
            change_set(f"cs{n}", request_part("POST", "/b1s/v1/PurchaseInvoices", bill(n), "1"))
            for n in ("K-1", "BOOM", "K-2")
        )
    )
    response = await post_batch(client, body)
    parts = responses(response)
    assert response.status_code == 202 and [p[0] for p in parts] == [201, 500]
    assert parts[1][2]["error"]["code"] == -1
    assert invoices(app, "K-1") and not invoices(app, "K-2")
