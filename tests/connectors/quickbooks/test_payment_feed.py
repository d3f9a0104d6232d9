"""The QuickBooks payment-status feed (connectors/quickbooks/payments.py) against the simulator: every
read rides in `/batch` requests as Query items, the requests follow the formula of the module docstring,
the statuses are those plain queries give, and a Fault inside a Query item is the error the query alone
raises (batchquery.py)."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from math import ceil
from types import SimpleNamespace
from typing import Any

import httpx
import pytest

from smartap_erp.connectors.quickbooks import batchquery, payloads, payments, queries, walks
from smartap_erp.domain import PaymentStatus
from smartap_erp.errors import (
    ERPAuthError,
    ERPError,
    ERPPermissionError,
    ERPProtocolError,
    ERPRateLimitError,
    ERPTransientError,
    ERPValidationError,
    PaginationError,
)
from tests.connectors.quickbooks.conftest import Harness, opened
from tests.connectors.quickbooks.test_connector import invoice


async def _requests(qbo: Harness) -> Counter[str]:
    by_endpoint = (await qbo.state())["requests"]["by_endpoint"]
    return Counter(
        {"batch" if "batch" in k else ("query" if "query" in k else k): v for k, v in by_endpoint.items()}
    )


def _delta(after: Counter[str], before: Counter[str]) -> dict[str, int]:
    return {k: after[k] - before[k] for k in after if after[k] != before[k]}


async def _export(qbo: Harness, connector: Any, count: int) -> list[str]:
    outcomes = await connector.export_invoices([invoice(f"P-{i}") for i in range(count)])
    return [o.result.external_id for o in outcomes if o.result is not None]


async def test_feed_reads_in_batches_with_the_statuses_plain_queries_give(
    qbo: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(queries, "PAGE_SIZE", 5)
    monkeypatch.setattr(payments, "PAGES_PER_BATCH", 3)
    async with opened(qbo) as connector:
        qbo.clock.advance(60)
        since = connector.now()
        qbo.clock.advance(60)
        bills = await _export(qbo, connector, 17)
        for bill in bills[:12]:
            await qbo.mutate("pay_bill", bill_id=bill, amount="100.00")
        qbo.clock.advance(60)
        before = await _requests(qbo)
        pages = [page async for page in connector.iter_payment_changes(since)]
        cost = _delta(await _requests(qbo), before)
        plain = [
            row async for rows in connector._stream("Bill", queries.changed_since(since)) for row in rows
        ]
    # counts, first pages and CompanyInfo (the home currency) in one batch; then 17 // 5 = 3 Bill and
    # 12 // 5 = 2 BillPayment pages, 3 a batch: no other request
    assert cost == {"batch": 1 + ceil((17 // 5 + 12 // 5) / 3)}
    assert all(len(page.outcomes) <= 5 for page in pages)
    read = [item for page in pages for item in page.outcomes]
    expected = [
        payloads.payment_status_from_qbo(raw, [], home_currency="USD", checked_at=read[0].checked_at)
        for raw in plain
    ]
    assert read == expected and len(read) == 17
    statuses = {s.external_invoice_id: s.status for s in read}
    assert [statuses[b] for b in bills] == [PaymentStatus.PARTIAL] * 12 + [PaymentStatus.UNPAID] * 5


async def test_bills_of_changed_payments_are_read_by_id_in_a_batch(qbo: Harness) -> None:
    """Should a payment leave its bill's LastUpdatedTime alone (UNCERTAIN, quickbooks.md §Paid or not),
    the bill is still read, through the changed BillPayment: by id, only if it is one the caller asks."""
    async with opened(qbo) as connector:
        bills = await _export(qbo, connector, 3)
        qbo.clock.advance(60)
        since = connector.now()
        qbo.clock.advance(60)
        for bill in bills[:2]:
            await qbo.mutate("pay_bill", bill_id=bill, amount="100.00")
            qbo.sim.store.updated["Bill"][bill] = qbo.clock.time() - 3600  # as if the payment did not bump it
        ours = [
            s
            async for page in connector.iter_payment_changes(since, {bills[0], bills[2]})
            for s in page.outcomes
        ]
        before = await _requests(qbo)
        every = [s async for page in connector.iter_payment_changes(since) for s in page.outcomes]
        cost = _delta(await _requests(qbo), before)
    assert [(s.external_invoice_id, s.status) for s in ours] == [(bills[0], PaymentStatus.PARTIAL)]
    assert sorted(s.external_invoice_id for s in every) == sorted(bills[:2])
    assert cost == {"batch": 2}  # the COUNTs and first pages, then the `Id IN` read


async def test_a_fault_in_a_query_item_is_the_error_of_the_query_alone(
    qbo: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(queries, "PAGE_SIZE", 1001)  # MAXRESULTS over 1000: QueryValidationError (§1.3)
    since = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)
    async with opened(qbo) as connector:
        with pytest.raises(ERPError) as alone:
            [rows async for rows in connector._stream("Bill", queries.changed_since(since))]
        with pytest.raises(ERPError) as batched:
            [page async for page in connector.iter_payment_changes(since)]
    assert type(batched.value) is type(alone.value) is ERPValidationError
    assert (batched.value.code, batched.value.message, batched.value.status) == (
        alone.value.code,
        alone.value.message,
        alone.value.status,
    )
    assert batched.value.method == "POST" and "/batch" in str(batched.value.url)


def _fake(answer: Any) -> Any:
    """A connector stand-in whose one `/batch` request is answered with `answer` (HTTP 200)."""

    async def send(call: Any) -> httpx.Response:
        request = httpx.Request("POST", "https://qbo.test/v3/company/1/batch")
        return httpx.Response(200, json=answer, request=request)

    return SimpleNamespace(send=send, options=SimpleNamespace(clock=lambda: 0.0))


def _fault(code: str, kind: str) -> dict[str, Any]:
    return {"Error": [{"Message": "refused", "Detail": "refused in the batch", "code": code}], "type": kind}


@pytest.mark.parametrize(
    ("fault", "error"),
    [
        (_fault("4001", "ValidationFault"), ERPValidationError),
        (_fault("3200", "AuthenticationFault"), ERPAuthError),
        (_fault("9999", "AuthenticationFault"), ERPAuthError),  # no class by code: by the type's status
        (_fault("9999", "AuthorizatonFault"), ERPPermissionError),  # the XSD's spelling
        (_fault("9999", "SystemFault"), ERPTransientError),
        (_fault("3001", "ValidationFault"), ERPRateLimitError),  # the code decides first
    ],
)
async def test_item_faults_are_classified_as_plain_answers(
    fault: dict[str, Any], error: type[ERPError]
) -> None:
    answer = {"BatchItemResponse": [{"bId": "0", "QueryResponse": {}}, {"bId": "1", "Fault": fault}]}
    with pytest.raises(ERPError) as caught:
        await batchquery.run(_fake(answer), ["SELECT * FROM Bill", "SELECT * FROM BillPayment"])
    assert type(caught.value) is error and caught.value.code == fault["Error"][0]["code"]


@pytest.mark.parametrize(
    "items",
    [
        [{"bId": "0", "QueryResponse": {}}],  # an item missing
        [{"bId": "0", "QueryResponse": {}}, {"bId": "0", "QueryResponse": {}}],  # twice the same
        [{"bId": "0", "QueryResponse": {}}, {"bId": "7", "QueryResponse": {}}],  # unknown bId
        [{"bId": "0", "QueryResponse": {}}, {"bId": "1"}],  # neither answer nor Fault
        [{"bId": "0", "QueryResponse": {}}, {"bId": "1", "QueryResponse": {"Bill": {}}}],  # rows not a list
    ],
)
async def test_a_short_or_odd_batch_answer_is_a_protocol_error(items: list[Any]) -> None:
    with pytest.raises(ERPProtocolError):
        await batchquery.run(
            _fake({"BatchItemResponse": items}), ["SELECT * FROM Bill", "SELECT * FROM Bill"]
        )


def test_a_walk_asks_the_pages_its_count_promises_then_one_at_a_time(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(queries, "PAGE_SIZE", 5)
    rows = [{"Id": str(i)} for i in range(40)]
    walk = walks.Walk("Bill", [], total=10)
    walk.take({"Bill": rows[:5]})  # the first page, read with the COUNT
    assert walk.plan(max_pages=100) == [6, 11]  # one past the full last page the count promises
    walk.take({"Bill": rows[5:10]})
    walk.take({"Bill": rows[10:15]})  # records changed since the COUNT: page 3 full too
    assert walk.plan(max_pages=100) == [16]
    walk.take({"Bill": rows[15:17]})
    assert walk.plan(max_pages=100) == [] and walk.plan(max_pages=100) == []
    empty = walks.Walk("Bill", [], total=0)
    assert empty.take({}) == [] and empty.plan(max_pages=100) == []
    stuck = walks.Walk("Bill", [], total=10)
    stuck.take({"Bill": rows[:5]})
    with pytest.raises(PaginationError):  # an ERP ignoring STARTPOSITION
        stuck.take({"Bill": rows[:5]})
    with pytest.raises(PaginationError):
        walks.Walk("Bill", [], total=100, full=True).plan(max_pages=3)
