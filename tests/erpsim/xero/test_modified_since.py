"""If-Modified-Since in the Xero simulator (erpsim/xero/query.py `modified_since`) keeps exactly the
records the per-record millisecond test kept (`UpdatedDateUTC` in a later millisecond than the header,
xero.md §Change detection): random timestamps on and around millisecond boundaries, other offsets,
naive values and missing ones, compared with that test written out."""

from __future__ import annotations

import math
import random
from datetime import UTC, datetime, timedelta, timezone

import pytest

from erpsim.xero.query import modified_since


def plain(rows: list[dict[str, object]], since: datetime) -> list[dict[str, object]]:
    def millis(value: datetime) -> int:
        return math.floor(value.timestamp() * 1000)

    return [r for r in rows if r.get("UpdatedDateUTC") and millis(r["UpdatedDateUTC"]) > millis(since)]  # type: ignore[arg-type]


@pytest.mark.parametrize("seed", range(5))
def test_modified_since_keeps_what_the_millisecond_test_kept(seed: int) -> None:
    rng = random.Random(seed)
    base = datetime(2024, 6, 3, 12, 0, 0, tzinfo=UTC) + timedelta(microseconds=rng.randint(0, 10**9))
    for _ in range(40):
        since = base + timedelta(microseconds=rng.choice([0, 1, 999, 1000, rng.randint(0, 5000)]))
        since = since.replace(microsecond=since.microsecond // 1000 * 1000) if rng.random() < 0.5 else since
        rows: list[dict[str, object]] = []
        for _ in range(200):
            offset = rng.choice(
                [0, 1, -1, 999, 1000, 1001, 1999, 2000, 2001, -1000, rng.randint(-5000, 5000)]
            )
            when = since + timedelta(microseconds=offset)
            kind = rng.random()
            if kind < 0.1:
                rows.append({})
            elif kind < 0.15:
                rows.append({"UpdatedDateUTC": None})
            elif kind < 0.25:
                rows.append(
                    {"UpdatedDateUTC": when.astimezone(timezone(timedelta(hours=rng.choice([-8, 5]))))}
                )
            elif kind < 0.3:
                rows.append({"UpdatedDateUTC": when.replace(tzinfo=None)})
            else:
                rows.append({"UpdatedDateUTC": when})
        assert modified_since(rows, since) == plain(rows, since)
