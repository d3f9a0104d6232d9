"""Sync logs over HTTP on SQLite and PostgreSQL: the list with the seed's filters (connection,
entity, status, limit, offset) plus direction, start-time range and text; paging by cursor that a log
written meanwhile does not shift; offset and cursor together refused; the detail with per-record
errors; the CSV export streamed page by page (every matching log once, formulas defused); refusals as
problem documents (unknown connection 404, bad cursor 422, naive time 422, a read key is enough and
no key 401)."""

from __future__ import annotations

import csv
import datetime as dt
import io
import uuid
from typing import Any

import httpx
import pytest

from smartap_erp.app import log_export
from smartap_erp.domain import ERPEntity, RecordError
from tests.api.conftest import KeyFor, SimulatedApp, bearer
from tests.api.test_connections_api import problem
from tests.app.simulated import T0
from tests.app.test_logs import _connection, _log

URL = "/api/v1/erp/sync-logs"


async def ids(api: httpx.AsyncClient, **params: Any) -> list[str]:
    response = await api.get(URL, params=params)
    assert response.status_code == 200, response.text
    return [item["id"] for item in response.json()["items"]]


async def test_list_filters(api: httpx.AsyncClient, api_ctx: SimulatedApp) -> None:
    books, other = await _connection(api_ctx, "Books"), await _connection(api_ctx, "Other")
    vendors = str(await _log(api_ctx, books, 0))
    bad = RecordError(record_id="INV-9", field="vendor", message="vendor not mapped")
    invoices = str(await _log(api_ctx, books, 1, ERPEntity.INVOICE, errors=(bad,), by="ap@example.com"))
    stopped = str(await _log(api_ctx, other, 2, stopped="Xero unreachable"))
    orders = str(await _log(api_ctx, other, 3, ERPEntity.PURCHASE_ORDER))

    assert await ids(api) == [orders, stopped, invoices, vendors]
    assert await ids(api, connection_id="Books") == [invoices, vendors]
    assert await ids(api, connection_id=str(other)) == [orders, stopped]
    assert await ids(api, entity_type="invoice") == [invoices] == await ids(api, direction="export")
    assert await ids(api, status="failed") == [stopped]
    window = {"started_from": "2024-06-03T12:01:00Z", "started_before": "2024-06-03T14:03:00+02:00"}
    assert await ids(api, **window) == [stopped, invoices]
    assert await ids(api, text="inv-9") == [invoices]
    assert await ids(api, limit=2, offset=1) == [stopped, invoices]

    item = (await api.get(URL, params={"status": "partial"})).json()["items"][0]
    assert item["connection"] == "Books" and item["started_at"] == "2024-06-03T12:01:00Z"
    assert (item["total_count"], item["success_count"], item["error_count"]) == (3, 2, 1)

    unknown = problem(await api.get(URL, params={"connection_id": "Nope"}), 404)
    assert "no connection" in unknown["detail"]
    naive = problem(await api.get(URL, params={"started_from": "2024-06-03T12:00:00"}), 422)
    assert naive["errors"][0]["pointer"] == "/query/started_from"
    problem(await api.get(URL, params={"limit": 201}), 422)
    problem(await api.get(URL, params={"entity_type": "spaceship"}), 422)


async def test_pages_by_cursor(api: httpx.AsyncClient, api_ctx: SimulatedApp) -> None:
    books = await _connection(api_ctx, "Books")
    newest_first = [str(await _log(api_ctx, books, minute)) for minute in range(5)][::-1]

    first = (await api.get(URL, params={"limit": 2})).json()
    assert [i["id"] for i in first["items"]] == newest_first[:2] and first["next_cursor"]
    await _log(api_ctx, books, 10)  # written while paging: the next page is not shifted
    second = (await api.get(URL, params={"limit": 2, "cursor": first["next_cursor"]})).json()
    assert [i["id"] for i in second["items"]] == newest_first[2:4]
    last = (await api.get(URL, params={"limit": 2, "cursor": second["next_cursor"]})).json()
    assert [i["id"] for i in last["items"]] == newest_first[4:] and last["next_cursor"] is None

    bad = problem(await api.get(URL, params={"cursor": "not-a-cursor"}), 422)
    assert "start again without it" in bad["detail"]
    both = problem(await api.get(URL, params={"cursor": first["next_cursor"], "offset": 0}), 422)
    assert both["errors"] == [{"pointer": "/query/cursor", "detail": "page by offset or by cursor, not both"}]


async def test_detail_with_record_errors(api: httpx.AsyncClient, api_ctx: SimulatedApp) -> None:
    books = await _connection(api_ctx, "Books")
    errors = (
        RecordError(record_id="INV-9", field="vendor", message="vendor not mapped"),
        RecordError(record_id="INV-10", message="closed period", code="6000"),
    )
    log_id = await _log(api_ctx, books, 0, ERPEntity.INVOICE, errors=errors)

    response = await api.get(f"{URL}/{log_id}")

    assert response.status_code == 200, response.text
    detail = response.json()
    assert (detail["id"], detail["status"], detail["direction"]) == (str(log_id), "partial", "export")
    assert detail["record_errors"] == [e.model_dump() for e in errors]
    assert detail["params"] == {"n": 0} and detail["duration_seconds"] == 4
    assert "no sync log with id" in problem(await api.get(f"{URL}/{uuid.uuid4()}"), 404)["detail"]
    problem(await api.get(f"{URL}/nope"), 404)


async def test_csv_streams_every_matching_log(
    api: httpx.AsyncClient, api_ctx: SimulatedApp, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(log_export, "CSV_PAGE", 2)  # five logs: three pages
    books, other = await _connection(api_ctx, "Books"), await _connection(api_ctx, "Other")
    written = [str(await _log(api_ctx, books, minute)) for minute in range(4)]
    await _log(api_ctx, other, 9)
    formula = await _log(api_ctx, books, 5, stopped='=HYPERLINK("http://x")')

    response = await api.get(f"{URL}.csv", params={"connection_id": "Books"})

    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/csv")
    assert "attachment" in response.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert [row["id"] for row in rows] == [str(formula), *written[::-1]]
    assert list(rows[0]) == list(log_export.CSV_COLUMNS)
    assert rows[0]["error_message"] == '\'=HYPERLINK("http://x")' and rows[0]["status"] == "failed"
    assert rows[1]["error_message"] == "" and rows[1]["started_at"] == "2024-06-03T12:03:00Z"
    assert rows[1]["total_count"] == "3" and rows[1]["connection"] == "Books"
    assert dt.datetime.fromisoformat(rows[0]["started_at"]) == T0 + dt.timedelta(minutes=5)

    empty = await api.get(f"{URL}.csv", params={"status": "in_progress"})
    assert empty.text.splitlines() == [",".join(log_export.CSV_COLUMNS)]
    problem(await api.get(f"{URL}.csv", params={"connection_id": "Nope"}), 404)


async def test_read_key_is_enough(anon: httpx.AsyncClient, key_for: KeyFor, api_ctx: SimulatedApp) -> None:
    log_id = await _log(api_ctx, await _connection(api_ctx, "Books"), 0)
    read = bearer(await key_for("read"))
    for path in (URL, f"{URL}.csv", f"{URL}/{log_id}"):
        assert (await anon.get(path, headers=read)).status_code == 200
        problem(await anon.get(path), 401)
