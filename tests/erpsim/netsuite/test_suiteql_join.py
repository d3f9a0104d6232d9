"""Joins in the simulator's SuiteQL (erpsim/netsuite/suiteql_join.py): a bill with its currency's code and
each payment applied to it, as REST-mode payment status reads them (connectors/netsuite/payments.py)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from erpsim.netsuite import suiteql
from erpsim.netsuite.errors import NetSuiteError

QUERY = (
    "SELECT b.id AS id, c.symbol AS symbol, l.nextdoc, l.foreignamount AS amount, p.tranid AS number "
    "FROM transaction b LEFT JOIN currency c ON c.id = b.currency "
    "LEFT JOIN nexttransactionlinelink l ON l.previousdoc = b.id AND l.linktype = 'Payment' "
    "LEFT JOIN transaction p ON p.id = l.nextdoc WHERE b.type = 'VendBill' AND b.id IN ('{a}', '{b}') "
    "ORDER BY b.id, l.nextdoc"
)


def test_left_joins_give_a_row_per_payment_and_one_for_an_unpaid_bill(sim: Any) -> None:
    unpaid, paid = [b for b in sim.store.ordered("vendorBill") if b["statusRef"] == "open"][:2]
    first = sim.mutate("pay_bill", {"bill_id": paid["id"], "amount": "10"})["payment_id"]
    second = sim.mutate("pay_bill", {"bill_id": paid["id"], "amount": "5.5"})["payment_id"]
    rows = suiteql.run(sim.store, QUERY.format(a=unpaid["id"], b=paid["id"]))
    code = {c["id"]: c["symbol"] for c in sim.store.records["currency"].values()}
    assert rows == sorted(rows, key=lambda r: (int(r["id"]), int(r.get("nextdoc", 0))))
    assert rows[0] == {"id": unpaid["id"], "symbol": code[unpaid["currency"]["id"]]}  # no payment columns
    assert [(r["id"], r["nextdoc"], Decimal(r["amount"])) for r in rows[1:]] == [
        (paid["id"], first, Decimal("10")),
        (paid["id"], second, Decimal("5.5")),
    ]
    assert rows[1]["number"] == sim.store.get("vendorPayment", first)["tranId"]
    inner = QUERY.replace("LEFT JOIN nexttransactionlinelink", "JOIN nexttransactionlinelink")
    assert {r["id"] for r in suiteql.run(sim.store, inner.format(a=unpaid["id"], b=paid["id"]))} == {
        paid["id"]
    }


@pytest.mark.parametrize(
    "query",
    [
        "SELECT b.id FROM transaction b JOIN currency c ON c.symbol = 'USD'",  # no column pair
        "SELECT id FROM transaction b",  # an aliased table's columns are b.column
        "SELECT b.id FROM transaction b LEFT JOIN nosuch n ON n.id = b.id",
        "SELECT b.id FROM transaction b JOIN currency c ON c.nosuch = b.currency",
    ],
)
def test_join_refusals(sim: Any, query: str) -> None:
    with pytest.raises(NetSuiteError, match="Invalid search query"):
        suiteql.run(sim.store, query)
