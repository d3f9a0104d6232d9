"""Serving QBO queries from indexes: the same records, in the same order, as evaluating every stored
record (`predicates.scan` then `predicates.sort`), without doing so for every page.

An import asks `SELECT COUNT(*)` and then a page of 1,000 after another with the same WHERE and ORDERBY
(quickbooks.md §Query language); evaluating every record for each of them made a page cost about 0.1 s
of CPU at 50,000 vendors. Here:
- A WHERE whose conditions all name a GUARDED property (one that changes only through the store's insert,
  touch and delete: Id, SyncToken, the MetaData times, Active) is evaluated once per store `version` of
  the entity: its result (insertion order) and its ORDERBY view (when the keys are GUARDED too) are
  kept until the next write to the entity; a COUNT is the length of the kept list and a page a slice.
- A condition on `MetaData.LastUpdatedTime` (=, <, <=, >, >=) narrows the records evaluated to a range
  of the store's (LastUpdatedTime, rank, Id) index found by bisection (an incremental read).
- Other properties (Balance changes in place, quickbooks/bills.py) are evaluated on every query, on the
  records the GUARDED conditions kept.
Narrowing is only done when no condition can raise: a literal is coerced lazily, so an invalid one is
a fault only if some record reaches it (`predicates`); such a query, and any query while a batch hides
records it created, is evaluated as before over every record. tests/erpsim/quickbooks/
test_query_plan.py compares the two on random stores, queries and writes.
"""

from __future__ import annotations

import math
import weakref
from bisect import bisect_left, bisect_right
from decimal import Decimal, InvalidOperation
from typing import Any

from erpsim.quickbooks import faults as f
from erpsim.quickbooks.predicates import (
    DATE_PROPS,
    DATETIME_PROPS,
    Condition,
    as_date,
    instant,
    matches,
    scan,
    sort,
)
from erpsim.quickbooks.store import QboStore

GUARDED = frozenset({"Id", "SyncToken", "Active", "MetaData.CreateTime", "MetaData.LastUpdatedTime"})
_UPDATED = "MetaData.LastUpdatedTime"
_RANGE_OPS = frozenset({"=", "<", "<=", ">", ">="})
_KEPT = 32  # results kept per store (each a list of references)

Rows = list[dict[str, Any]]
_results: weakref.WeakKeyDictionary[QboStore, dict[tuple[Any, ...], Rows]] = weakref.WeakKeyDictionary()


def count(store: QboStore, entity: str, conditions: list[Condition]) -> int:
    return len(_selected(store, entity, conditions)[0])


def page(
    store: QboStore,
    entity: str,
    conditions: list[Condition],
    order: list[tuple[str, bool]],
    offset: int,
    limit: int,
) -> Rows:
    """Records `offset` to `offset + limit` of the query's result in ORDERBY order."""
    rows, kept = _selected(store, entity, conditions)
    if not order:
        return rows[offset : offset + limit]
    if not (kept and all(prop in GUARDED for prop, _ in order)):
        return sort(store, entity, list(rows), order)[offset : offset + limit]
    key = ("order", entity, store.version[entity], _signature(conditions), tuple(order))
    ordered = _kept(store).get(key)
    if ordered is None:
        ordered = _keep(store, key, sort(store, entity, list(rows), order))
    return ordered[offset : offset + limit]


def _selected(store: QboStore, entity: str, conditions: list[Condition]) -> tuple[Rows, bool]:
    """The matching records in insertion order, and whether that list is kept (shared: never change it)."""
    if any(hidden_entity == entity for hidden_entity, _ in store.hidden):
        return scan(store, entity, conditions), False
    if all(c.prop in GUARDED for c in conditions):
        key = ("where", entity, store.version[entity], _signature(conditions))
        rows = _kept(store).get(key)
        if rows is None:
            rows = _keep(store, key, _evaluate(store, entity, conditions))
        return rows, True
    if not all(_cannot_raise(c) for c in conditions):
        return scan(store, entity, conditions), False
    base, _ = _selected(store, entity, [c for c in conditions if c.prop in GUARDED])
    live = [c for c in conditions if c.prop not in GUARDED]
    return [r for r in base if all(matches(store, entity, r, c) for c in live)], False


def _evaluate(store: QboStore, entity: str, conditions: list[Condition]) -> Rows:
    bounds = _updated_range(store, entity, conditions)
    if bounds is None:
        return scan(store, entity, conditions)
    entries = sorted(store.by_updated(entity)[bounds[0] : bounds[1]], key=lambda entry: entry[1])
    records = store.records[entity]
    return scan(store, entity, conditions, [records[ident] for _, _, ident in entries])


def _updated_range(store: QboStore, entity: str, conditions: list[Condition]) -> tuple[int, int] | None:
    """Bounds in `store.by_updated(entity)` holding every record the first LastUpdatedTime comparison
    can keep; None when there is none or some condition could raise (then every record is evaluated)."""
    cond = next((c for c in conditions if c.prop == _UPDATED and c.op in _RANGE_OPS), None)
    if cond is None or not all(_cannot_raise(c) for c in conditions):
        return None
    moment = instant(cond.values[0])
    index = store.by_updated(entity)
    low, high = 0, len(index)
    if cond.op in (">=", "="):
        low = bisect_left(index, (moment,))
    if cond.op == ">":
        low = bisect_right(index, (moment, math.inf))
    if cond.op in ("<=", "="):
        high = bisect_right(index, (moment, math.inf))
    if cond.op == "<":
        high = bisect_left(index, (moment,))
    return low, max(low, high)


def _cannot_raise(cond: Condition) -> bool:
    """Whether coercing the condition's literals can never fail, whatever the stored value
    (`predicates.coerce`): times and dates that parse, booleans against Active (always a bool),
    and otherwise literals that are numbers (a numeric stored value makes them Decimal)."""
    try:
        if cond.prop in DATETIME_PROPS:
            for value in cond.values:
                instant(value)
            return True
        if cond.prop in DATE_PROPS:
            for value in cond.values:
                as_date(value)
            return True
    except f.QboFault:
        return False
    if cond.prop == "Active" and all(isinstance(value, bool) for value in cond.values):
        return True
    for value in cond.values:
        try:
            Decimal(str(value))
        except InvalidOperation:
            return False
    return True


def _signature(conditions: list[Condition]) -> tuple[Any, ...]:
    # the literal's type too: True, 1 and Decimal("1") are equal and hash alike, but coerce differently
    return tuple((c.prop, c.op, tuple((type(v), v) for v in c.values)) for c in conditions)


def _kept(store: QboStore) -> dict[tuple[Any, ...], Rows]:
    kept = _results.get(store)
    if kept is None:
        kept = _results[store] = {}
    return kept


def _keep(store: QboStore, key: tuple[Any, ...], rows: Rows) -> Rows:
    kept = _kept(store)
    _, entity, version = key[:3]
    for stale in [k for k in kept if k[1] == entity and k[2] != version]:
        del kept[stale]
    while len(kept) >= _KEPT:
        del kept[next(iter(kept))]
    kept[key] = rows
    return rows
