"""Request statistics and the per-request log behind `GET /_sim/state`.

The core middleware calls `Stats.begin` when an ERP request arrives and `Stats.end` when its
response is done, so every simulator gets, for free: requests served by endpoint (route template,
e.g. `GET /v3/company/{realmId}/query`), responses by status, 429s and errors returned, faults
injected, requests in flight and the peak seen (globally and per tenant key), and a bounded log of
`RequestRecord`s with clock and monotonic start/end times (so tests can assert "no two requests of
tenant X overlapped"). Simulators add their own counters with `incr` (the core reports
`tokens_issued` and `tokens_refreshed` under `auth`). Control endpoints are never counted.
"""

from __future__ import annotations

import itertools
import time
from collections import Counter, deque
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import Any

from erpsim.core.clock import Clock, isoformat_z


@dataclass
class RequestRecord:
    """One ERP request as the simulator saw it."""

    id: int
    method: str
    path: str
    tenant: str | None
    start: float  # simulator clock, epoch seconds
    mono_start: float  # time.monotonic()
    endpoint: str = ""
    status: int | None = None  # None: no response was sent (dropped connection)
    end: float | None = None
    mono_end: float | None = None
    fault: str | None = None
    throttled: bool = False

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["start"] = isoformat_z_from(self.start)
        data["end"] = isoformat_z_from(self.end) if self.end is not None else None
        return data

    def overlaps(self, other: RequestRecord) -> bool:
        """True if the two requests were in flight at the same (monotonic) time."""
        mine_end = self.mono_end if self.mono_end is not None else float("inf")
        other_end = other.mono_end if other.mono_end is not None else float("inf")
        return self.mono_start < other_end and other.mono_start < mine_end


def isoformat_z_from(epoch: float) -> str:
    return isoformat_z(datetime.fromtimestamp(epoch, UTC))


class Stats:
    """Counters and the request log of one simulator instance."""

    def __init__(self, clock: Clock, *, log_size: int = 10_000) -> None:
        self.clock = clock
        self.log_size = log_size
        self.reset()

    def reset(self) -> None:
        self._ids = itertools.count(1)
        self.total = 0
        self.by_endpoint: Counter[str] = Counter()
        self.by_status: Counter[int] = Counter()
        self.throttled = 0
        self.no_response = 0
        self.faults: Counter[str] = Counter()
        self.in_flight = 0
        self.peak_in_flight = 0
        self.in_flight_by_tenant: Counter[str] = Counter()
        self.peak_by_tenant: dict[str, int] = {}
        self.counters: Counter[str] = Counter()
        self.log: deque[RequestRecord] = deque(maxlen=self.log_size)

    def begin(self, method: str, path: str, tenant: str | None) -> RequestRecord:
        record = RequestRecord(next(self._ids), method, path, tenant, self.clock.time(), time.monotonic())
        self.total += 1
        self.in_flight += 1
        self.peak_in_flight = max(self.peak_in_flight, self.in_flight)
        if tenant is not None:
            self.in_flight_by_tenant[tenant] += 1
            current = self.in_flight_by_tenant[tenant]
            self.peak_by_tenant[tenant] = max(self.peak_by_tenant.get(tenant, 0), current)
        self.log.append(record)
        return record

    def end(self, record: RequestRecord, endpoint: str) -> None:
        record.endpoint = endpoint
        record.end = self.clock.time()
        record.mono_end = time.monotonic()
        self.in_flight -= 1
        if record.tenant is not None:
            self.in_flight_by_tenant[record.tenant] -= 1
        self.by_endpoint[endpoint] += 1
        if record.status is not None:
            self.by_status[record.status] += 1
        else:
            self.no_response += 1
        if record.throttled:
            self.throttled += 1
        if record.fault:
            self.faults[record.fault] += 1

    def incr(self, name: str, amount: int = 1) -> None:
        self.counters[name] += amount

    def errors(self) -> int:
        return sum(count for status, count in self.by_status.items() if status >= 400)

    def to_json(self, *, include_log: bool = False) -> dict[str, Any]:
        data: dict[str, Any] = {
            "requests": {"total": self.total, "by_endpoint": dict(sorted(self.by_endpoint.items()))},
            "responses": {
                "by_status": {str(k): v for k, v in sorted(self.by_status.items())},
                "throttled_429": self.by_status.get(429, 0),
                "errors": self.errors(),
                "server_errors": sum(v for k, v in self.by_status.items() if k >= 500),
                "no_response": self.no_response,
            },
            "limits": {"rejected": self.throttled},
            "faults_injected": dict(self.faults),
            "concurrency": {
                "in_flight": self.in_flight,
                "peak": self.peak_in_flight,
                "peak_by_tenant": dict(self.peak_by_tenant),
            },
            "counters": dict(self.counters),
        }
        if include_log:
            data["log"] = [record.to_json() for record in self.log]
        return data
