"""Three workers on PostgreSQL, the REAL sync engine, twenty sync requests for two connections (one
QuickBooks simulator each, on loopback): every request completes and no two syncs of one connection
overlap, judged from the simulator's own request log (`GET /_sim/state?log=1`, monotonic start/end of
every ERP request).

Every request carries its own `--since`, which QuickBooks sees in the query text
(`MetaData.LastUpdatedTime >= '...'`, quickbooks.md §Query language); the simulator's log records paths, not
query strings, so a thin ASGI wrapper notes each request's query in arrival order. Nothing awaits between the
wrapper's entry and the simulator's `Stats.begin`, so the Nth noted query belongs to log record N.
"""

from __future__ import annotations

import datetime as dt
import itertools
import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs

import pytest

from erpsim.core import Clock, SimConfig
from erpsim.core.testing import LiveServer, live_server
from erpsim.quickbooks import create_app
from tests.jobs.conftest import Jobs
from tests.jobs.real import add_qbo_connection, job_status, queue, sim_state, use_real_engine, wait_exit

SINCE = re.compile(r"LastUpdatedTime >= '([^']+)'")
REQUESTS = 20


class QueryTagger:
    """ASGI wrapper: the `query` parameter of every ERP request, in the order the simulator logs them."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.state = app.state
        self.queries: list[str] = []

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http" and not scope.get("path", "").startswith("/_sim"):
            raw = scope.get("query_string", b"").decode()
            self.queries.append(parse_qs(raw).get("query", [""])[0])
        await self.app(scope, receive, send)


@pytest.fixture
def two_qbos() -> Iterator[list[tuple[LiveServer, QueryTagger]]]:
    taggers = [QueryTagger(create_app(SimConfig(clock=Clock.real(), seed=n, vendors=20))) for n in (1, 2)]
    with live_server(taggers[0]) as first, live_server(taggers[1]) as second:
        yield [(first, taggers[0]), (second, taggers[1])]


def sync_spans(server: LiveServer, tagger: QueryTagger) -> dict[str, tuple[float, float]]:
    """Per `--since` tag (one sync): the first start and last end of its requests in the simulator's log."""
    log = sim_state(server, log=True)["log"]
    assert [record["id"] for record in log] == list(range(1, len(tagger.queries) + 1))
    spans: dict[str, tuple[float, float]] = {}
    for record, query in zip(log, tagger.queries, strict=True):
        found = SINCE.search(query)
        assert found, query  # every request of these syncs names its own --since
        start, end = record["mono_start"], record["mono_end"]
        assert end is not None and record["status"] == 200, record
        old = spans.get(found.group(1), (start, end))
        spans[found.group(1)] = (min(old[0], start), max(old[1], end))
    return spans


@pytest.mark.slow
def test_three_workers_on_postgres_never_overlap_syncs_of_one_connection(
    pg_jobs: Jobs, two_qbos: list[tuple[LiveServer, QueryTagger]]
) -> None:
    jobs = use_real_engine(pg_jobs)
    names = ["qa", "qb"]
    for name, (server, _) in zip(names, two_qbos, strict=True):
        add_qbo_connection(jobs, server, name)
    workflows = []
    for i in range(REQUESTS):
        since = (dt.datetime(2020, 1, 1, tzinfo=dt.UTC) + dt.timedelta(days=i)).isoformat()
        workflows.append(queue(jobs, "sync", "vendors", names[i % 2], "--since", since))
    assert len(set(workflows)) == REQUESTS  # different --since: none joined another

    procs = [jobs.worker("--exit-when-idle", "--worker-id", f"w{n}") for n in range(3)]
    for proc in procs:
        code, output = wait_exit(proc, timeout=90)
        assert code == 0, output
    assert {job_status(jobs, wf)["status"] for wf in workflows} == {"SUCCESS"}

    for server, tagger in two_qbos:
        spans = sorted(sync_spans(server, tagger).values())
        assert len(spans) == REQUESTS // 2  # each of the connection's syncs reached its ERP
        overlaps = [(a, b) for a, b in itertools.pairwise(spans) if a[1] > b[0]]
        assert not overlaps, overlaps
