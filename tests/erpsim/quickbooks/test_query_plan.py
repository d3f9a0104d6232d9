"""The QBO simulator's indexed query evaluation (erpsim/quickbooks/queryplan.py) answers exactly what the
straightforward evaluation did: random stores, random statements (WHERE on every kind of property,
LIKE, IN, invalid literals, ORDERBY with ties, STARTPOSITION / MAXRESULTS, COUNT), interleaved with
writes (edits, deactivations, new vendors, bills that change a vendor's Balance in place, payments,
voids, deletions, records hidden by a running batch), each compared with `reference_run`, the
evaluation as it was before the indexes (every record filtered, then sorted), kept here verbatim."""

# ruff: noqa: S608  (these strings are QBO query statements sent to the simulator, not SQL)
from __future__ import annotations

import contextlib
import random
from typing import Any

import pytest

from erpsim.core.simulator import MutateError
from erpsim.quickbooks import faults as f
from erpsim.quickbooks import query as q
from erpsim.quickbooks.predicates import Condition, matches, sort_key
from erpsim.quickbooks.store import QboStore
from tests.erpsim.quickbooks.conftest import make_qbo


def reference_run(store: QboStore, query: q.Query) -> dict[str, Any]:
    """`query.run` before issue 17: filter every stored record, sort, slice."""
    rows = store.records[query.entity].values()
    conditions = list(query.where)
    if "Active" in q.QUERYABLE[query.entity] and not any(c.prop == "Active" for c in conditions):
        conditions.append(Condition("Active", "=", [True]))
    selected = [
        r
        for r in rows
        if (query.entity, r["Id"]) not in store.hidden
        and all(matches(store, query.entity, r, c) for c in conditions)
    ]
    if query.count:
        return {"totalCount": len(selected)}
    for prop, descending in reversed(query.order):
        selected.sort(key=lambda r, p=prop: sort_key(store, query.entity, r, p), reverse=descending)  # type: ignore[misc]
    page = selected[query.start - 1 : query.start - 1 + query.max_results]
    if not page:
        return {}
    return {query.entity: page, "startPosition": query.start, "maxResults": len(page)}


def _outcome(run: Any, store: QboStore, statement: str) -> Any:
    try:
        result = run(store, q.parse(statement))
    except f.QboFault as fault:
        return ("fault", fault.code, fault.message, fault.detail)
    # the same records (objects), in the same order
    return {k: [id(r) for r in v] if isinstance(v, list) else v for k, v in result.items()}


def _stamp(store: QboStore, entity: str, rng: random.Random) -> str:
    times = list(store.updated[entity].values()) or [store.clock.time()]
    when = rng.choice(times) + rng.choice([0, 0, 0, -1, 1, -86400, 0.5])
    text = store.stamp(when)
    return (
        rng.choice([text, text[:19], text[:19] + "Z", "2024-13-45", "garbage"])
        if rng.random() < 0.4
        else text
    )


def _ids(store: QboStore, entity: str, rng: random.Random) -> list[str]:
    ids = list(store.records[entity]) or ["1"]
    return [rng.choice(ids) for _ in range(rng.randint(1, 4))]


RANGE_OPS = [">=", ">", "<", "<=", "="]


def _condition(store: QboStore, entity: str, rng: random.Random) -> str:
    choices = [
        lambda: f"MetaData.LastUpdatedTime {rng.choice(RANGE_OPS)} '{_stamp(store, entity, rng)}'",
        lambda: f"MetaData.CreateTime {rng.choice(['>=', '<'])} '{_stamp(store, entity, rng)}'",
        lambda: "Id IN (" + ", ".join(f"'{i}'" for i in _ids(store, entity, rng)) + ")",
        lambda: f"Id {rng.choice(['=', '>', '<='])} '{_ids(store, entity, rng)[0]}'",
        lambda: f"Id = '{rng.choice(['NON', 'abc', 'TAX'])}'",
        lambda: f"SyncToken {rng.choice(['=', '>'])} '{rng.randint(0, 2)}'",
    ]
    if "Active" in q.QUERYABLE[entity]:
        choices += [
            lambda: "Active IN (true, false)",
            lambda: f"Active = {rng.choice(['true', 'false'])}",
            lambda: f"Active = '{rng.choice(['true', 'false'])}'",
            lambda: f"Active = {rng.choice(['1', '0'])}",
        ]
    if entity == "Vendor":
        choices += [
            lambda: f"Balance {rng.choice(['>', '=', '<='])} {rng.choice(['0', '100.5', '-1'])}",
            lambda: "Balance > 'abc'",
            lambda: f"DisplayName LIKE '%{rng.choice(['a', 'in', 'co', 'zz'])}%'",
            lambda: f"DisplayName LIKE '{rng.choice(['A', 'b', 'Z'])}%'",
            lambda: f"CurrencyRef IN ('{rng.choice(['USD', 'EUR'])}', 'GBP')",
            lambda: f"Vendor1099 = {rng.choice(['true', 'false'])}",
        ]
    if entity in ("Bill", "PurchaseOrder"):
        choices += [
            lambda: f"TxnDate {rng.choice(['>=', '<'])} '2024-{rng.randint(1, 6):02d}-15'",
            lambda: f"TotalAmt >= {rng.randint(0, 3000)}",
            lambda: f"VendorRef = '{_ids(store, 'Vendor', rng)[0]}'",
        ]
    if entity == "PurchaseOrder":
        choices.append(lambda: f"POStatus IN ('{rng.choice(['Open', 'Closed'])}')")
    if entity == "Bill":
        choices.append(lambda: f"Balance > {rng.choice(['0', '0.00'])}")
    return rng.choice(choices)()


def _order(entity: str, rng: random.Random) -> str:
    props = ["Id", "MetaData.LastUpdatedTime", "MetaData.CreateTime", "SyncToken"]
    props += {"Vendor": ["DisplayName", "Balance", "Active"], "Bill": ["TotalAmt", "TxnDate"]}.get(entity, [])
    keys = [f"{rng.choice(props)}{rng.choice(['', ' DESC', ' ASC'])}" for _ in range(rng.randint(1, 2))]
    return " ORDERBY " + ", ".join(keys)


def _statement(store: QboStore, rng: random.Random) -> str:
    entity = rng.choice(["Vendor"] * 5 + ["Bill", "Bill", "PurchaseOrder", "BillPayment", "TaxCode", "Term"])
    conditions = [_condition(store, entity, rng) for _ in range(rng.choice([0, 1, 1, 2, 2, 3]))]
    if rng.random() < 0.3:
        return f"SELECT COUNT(*) FROM {entity}" + (f" WHERE {' AND '.join(conditions)}" if conditions else "")
    text = f"SELECT * FROM {entity}" + (f" WHERE {' AND '.join(conditions)}" if conditions else "")
    if rng.random() < 0.7:
        text += _order(entity, rng)
    if rng.random() < 0.8:
        text += f" STARTPOSITION {rng.choice([1, 1, 2, 5, 10, 30, 200])}"
    if rng.random() < 0.8:
        text += f" MAXRESULTS {rng.choice([1, 3, 10, 25, 1000])}"
    return text


def _write(qbo: Any, rng: random.Random) -> None:
    store, ops = qbo.sim.store, qbo.sim.mutate_ops()
    if rng.random() < 0.5:
        qbo.clock.advance(rng.choice([0, 1, 60, 3600]))
    bills = list(store.records["Bill"])
    kind = rng.choice(["edit", "edit", "add", "deactivate", "po", "pay", "void", "delete", "balance", "hide"])
    if not store.records["Vendor"]:
        kind = "add"
    if kind == "edit":
        ops["edit_vendors"]({"count": rng.randint(1, 3)})
    elif kind == "add":
        ops["add_vendors"]({"count": rng.randint(1, 3)})
    elif kind == "deactivate":
        ops["deactivate_vendor"]({"vendor_id": rng.choice(list(store.records["Vendor"]))})
    elif kind == "po":
        with contextlib.suppress(MutateError):  # every vendor inactive
            ops["add_purchase_orders"]({"count": 1})
    elif kind in ("pay", "void", "delete") and bills:
        bill = rng.choice(bills)
        with contextlib.suppress(MutateError):  # paid, voided or zero bills refuse some: the state counts
            ops[{"pay": "pay_bill", "void": "void_bill", "delete": "delete_bill"}[kind]]({"bill_id": bill})
    elif kind == "balance":  # a vendor's Balance changes in place, no touch (quickbooks/bills.py)
        vendor = rng.choice(list(store.records["Vendor"].values()))
        vendor["Balance"] = vendor.get("Balance", 0) + rng.choice([-50, 25, 100])
    elif kind == "hide":  # as a running batch does for what it created
        entity = rng.choice(["Vendor", "Bill"] if bills else ["Vendor"])
        store.hidden.add((entity, rng.choice(list(store.records[entity]))))
    if kind != "hide" and rng.random() < 0.5:
        store.hidden.clear()


@pytest.mark.parametrize("seed", range(6))
def test_indexed_queries_answer_as_the_plain_evaluation(seed: int) -> None:
    rng = random.Random(seed)
    qbo = make_qbo(vendors=rng.choice([0, 5, 60]), purchase_orders=15, bills=20)
    store = qbo.sim.store
    checked = faults = 0
    previous: list[str] = []
    for _ in range(25):
        fresh = [_statement(store, rng) for _ in range(8)]
        # repeats, in this round and after the write, are served from what was kept (or must not be)
        statements = fresh + fresh[:2] + previous
        previous = fresh
        for statement in statements:
            expected = _outcome(reference_run, store, statement)
            assert _outcome(q.run, store, statement) == expected, statement
            checked += 1
            faults += isinstance(expected, tuple)
        _write(qbo, rng)
    assert checked == 442 and 0 < faults < checked  # some statements are refused


def test_paging_while_records_change_sees_each_write() -> None:
    """A walk by STARTPOSITION re-evaluates after every write, as before: an edited vendor moves to the
    end of a LastUpdatedTime order, and a new vendor appears in the count."""
    qbo = make_qbo(vendors=30)
    store, ops = qbo.sim.store, qbo.sim.mutate_ops()
    where = "WHERE Active IN (true, false)"
    for statement in (
        f"SELECT * FROM Vendor {where} ORDERBY MetaData.LastUpdatedTime STARTPOSITION 1 MAXRESULTS 10",
        f"SELECT COUNT(*) FROM Vendor {where}",
    ):
        before = q.run(store, q.parse(statement))
        assert before == reference_run(store, q.parse(statement))
    first = q.run(
        store, q.parse(f"SELECT * FROM Vendor {where} ORDERBY MetaData.LastUpdatedTime MAXRESULTS 1")
    )
    qbo.clock.advance(60)
    ops["edit_vendors"]({"ids": [first["Vendor"][0]["Id"]]})
    ops["add_vendors"]({"count": 1})
    last = f"SELECT * FROM Vendor {where} ORDERBY MetaData.LastUpdatedTime DESC MAXRESULTS 2"
    assert {v["Id"] for v in q.run(store, q.parse(last))["Vendor"]} >= {first["Vendor"][0]["Id"]}
    assert q.run(store, q.parse(f"SELECT COUNT(*) FROM Vendor {where}")) == {
        "totalCount": len(store.records["Vendor"])
    }
