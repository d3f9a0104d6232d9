"""Fault plans: what goes wrong on purpose, parsed from one string, decided from the seed.

The same syntax is used by `erpsim serve --faults SPEC` and `POST /_sim/faults`. A spec is a list of
items separated by `;` (whitespace ignored); an item is `key=value` or a bare flag. Empty, `none` or
`off` means no faults.

    latency=50ms        added to every ERP request (units ms, s, m; a bare number is ms)
    jitter=20ms         plus a uniform random 0..jitter on top of latency
    rate429=0.1         probability that a request is refused with the ERP's throttle response
    rate5xx=0.05        probability of the ERP's server-error response (5xx)
    timeout=0.01        probability that the ERP answers only after `timeout_after` (then a 504)
    timeout_after=130s delay used by timeouts (default 130 s: QBO cuts requests at 120 s,
    quickbooks.md §Rate limits) drop=0.01 probability that the connection is closed with no response at all
    next429=N, next5xx=N, nexttimeout=N, nextdrop=N
                        the next N ERP requests get that fault for sure (deterministic tests)
    nextmalformed=N     the next N ERP requests get a broken HTTP 200 instead of the ERP's answer
    malformed=empty     what that 200 carries: `empty` (no body, default), `html` (an HTML page, as a
                        proxy or maintenance page sends) or `shape` (valid JSON of the wrong shape)
    commit_then_fail=N  the next N successful writes are stored by the ERP but their response is lost
    lost_response=drop  how a commit_then_fail response is lost: `drop` (default: connection closed
                        with no response), or an HTTP status such as `504` / `500`
    expire_tokens       one-shot: expire every access token / session now (alias `expire_sessions`)
    path=/v3/           only requests whose path starts with this prefix get faults (default: all)

Probabilities are floats in [0, 1] or percentages (`10%`). The random faults are exclusive per
request (one uniform draw from a `random.Random` seeded with the simulator seed), so a run with the
same seed and the same request order sees the same faults. Control endpoints (`/_sim/...`) never get
faults. A malformed 200 is not any ERP's envelope: it models what a proxy, a load balancer or a
broken deployment in front of the ERP can send, the same for every simulator. "Dropped connection"
needs a real server (see `erpsim.core.server`); in-process under
`httpx.ASGITransport` it surfaces as `httpx.RemoteProtocolError` raised by the transport.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass, field, fields, replace
from enum import StrEnum

from starlette.responses import Response


class FaultSpecError(ValueError):
    """A fault spec string that does not parse."""


class FaultKind(StrEnum):
    """What the simulator must render for an injected fault (in its ERP's own envelope)."""

    THROTTLE = "throttle"
    SERVER_ERROR = "server_error"
    TIMEOUT = "timeout"
    DROP = "drop"
    LOST_RESPONSE = "lost_response"
    MALFORMED = "malformed"  # a broken 200, rendered by `malformed_response`, not by the simulator


MALFORMED_BODIES: dict[str, tuple[bytes, str]] = {
    "empty": (b"", "application/json"),
    "html": (
        b"<!DOCTYPE html><html><head><title>Service Unavailable</title></head>"
        b"<body><h1>Please try again later</h1></body></html>",
        "text/html; charset=utf-8",
    ),
    "shape": (b'{"status": "ok", "result": "accepted"}', "application/json"),
}


def malformed_response(style: str) -> Response:
    """HTTP 200 with the `malformed=` body: empty, an HTML page or JSON of an unexpected shape."""
    body, media_type = MALFORMED_BODIES[style]
    return Response(body, status_code=200, media_type=media_type)


_DURATION = re.compile(r"^(\d+(?:\.\d+)?)\s*(ms|s|m)?$")
_RATE_KEYS = {"rate429": "rate429", "rate5xx": "rate5xx", "timeout": "timeout", "drop": "drop"}
_NEXT_KEYS = {
    "next429": "next429",
    "next5xx": "next5xx",
    "nexttimeout": "next_timeout",
    "nextdrop": "next_drop",
    "nextmalformed": "next_malformed",
}
_FLAG_KEYS = {"expire_tokens", "expire_sessions"}


def parse_duration(text: str) -> float:
    """`50ms`, `1.5s`, `2m` or a bare number of milliseconds, to seconds."""
    match = _DURATION.match(text.strip().lower())
    if not match:
        raise FaultSpecError(f"bad duration {text!r}: use e.g. 50ms, 1.5s or 2m")
    number, unit = float(match.group(1)), match.group(2) or "ms"
    return number * {"ms": 0.001, "s": 1.0, "m": 60.0}[unit]


def _format_duration(value: float) -> str:
    millis = value * 1000
    return f"{int(millis)}ms" if millis == int(millis) else f"{millis:g}ms"


def parse_probability(text: str) -> float:
    raw = text.strip()
    try:
        value = float(raw[:-1]) / 100 if raw.endswith("%") else float(raw)
    except ValueError:
        raise FaultSpecError(f"bad probability {text!r}: use a number in [0, 1] or a percentage") from None
    if not 0.0 <= value <= 1.0:
        raise FaultSpecError(f"probability {text!r} is outside [0, 1]")
    return value


def _parse_count(key: str, text: str) -> int:
    if not text.strip().isdigit():
        raise FaultSpecError(f"{key} needs a whole number, got {text!r}")
    return int(text)


@dataclass(frozen=True)
class FaultPlan:
    """A parsed fault spec. Immutable: counters that run down live in `FaultInjector`."""

    latency: float = 0.0
    jitter: float = 0.0
    rate429: float = 0.0
    rate5xx: float = 0.0
    timeout: float = 0.0
    drop: float = 0.0
    timeout_after: float = 130.0
    next429: int = 0
    next5xx: int = 0
    next_timeout: int = 0
    next_drop: int = 0
    next_malformed: int = 0
    malformed: str = "empty"
    commit_then_fail: int = 0
    lost_response: str = "drop"
    expire_tokens: bool = False
    path: str = ""
    _explicit: frozenset[str] = field(default=frozenset(), compare=False, repr=False)

    @classmethod
    def parse(cls, spec: str | None) -> FaultPlan:
        """Parse a spec string (see the module docstring); raises `FaultSpecError`."""
        text = (spec or "").strip()
        if text.lower() in {"", "none", "off"}:
            return cls()
        values: dict[str, object] = {}
        for item in filter(None, (part.strip() for part in text.split(";"))):
            key, has_value, value = (part.strip() for part in item.partition("="))
            parsed = cls._parse_item(key.lower(), value if has_value else None)
            if values.keys() & parsed.keys():
                raise FaultSpecError(f"fault {key!r} given twice")
            values.update(parsed)
        if sum(float(str(values.get(name, 0.0))) for name in _RATE_KEYS.values()) > 1.0 + 1e-9:
            raise FaultSpecError("rate429 + rate5xx + timeout + drop must not exceed 1")
        return cls(**values, _explicit=frozenset(values))  # type: ignore[arg-type]

    @staticmethod
    def _parse_item(key: str, value: str | None) -> dict[str, object]:
        if key in _FLAG_KEYS:
            if value not in (None, "", "1", "true"):
                raise FaultSpecError(f"{key} is a flag and takes no value")
            return {"expire_tokens": True}
        if value is None:
            raise FaultSpecError(f"fault {key!r} needs a value ({key}=...)")
        if key in ("latency", "jitter", "timeout_after"):
            return {key: parse_duration(value)}
        if key in _RATE_KEYS:
            return {_RATE_KEYS[key]: parse_probability(value)}
        if key in _NEXT_KEYS:
            return {_NEXT_KEYS[key]: _parse_count(key, value)}
        if key == "commit_then_fail":
            return {key: _parse_count(key, value)}
        if key == "lost_response":
            if value != "drop" and not (value.isdigit() and 400 <= int(value) <= 599):
                raise FaultSpecError("lost_response is `drop` or an HTTP status 400-599")
            return {key: value}
        if key == "malformed":
            if value not in MALFORMED_BODIES:
                raise FaultSpecError(f"malformed is one of {', '.join(MALFORMED_BODIES)}, not {value!r}")
            return {key: value}
        if key == "path":
            if not value.startswith("/"):
                raise FaultSpecError("path must start with /")
            return {key: value}
        known = (
            "latency, jitter, rate429, rate5xx, timeout, timeout_after, drop, next429, next5xx, "
            "nexttimeout, nextdrop, nextmalformed, malformed, commit_then_fail, lost_response, "
            "expire_tokens, path"
        )
        raise FaultSpecError(f"unknown fault {key!r}; known: {known}")

    def with_latency(self, seconds: float) -> FaultPlan:
        """This plan with `latency` set, unless the spec set it explicitly (CLI `--latency-ms`)."""
        if "latency" in self._explicit or seconds <= 0:
            return self
        return replace(self, latency=seconds, _explicit=self._explicit | {"latency"})

    def to_spec(self) -> str:
        """Canonical spec text; `FaultPlan.parse(plan.to_spec()) == plan`."""
        default = FaultPlan()
        parts: list[str] = []
        names = {v: k for k, v in {**_RATE_KEYS, **_NEXT_KEYS}.items()}
        for f in fields(self):
            value = getattr(self, f.name)
            if f.name == "_explicit" or value == getattr(default, f.name):
                continue
            key = names.get(f.name, f.name)
            if f.name in ("latency", "jitter", "timeout_after"):
                parts.append(f"{key}={_format_duration(value)}")
            elif f.name == "expire_tokens":
                parts.append(key)
            else:
                parts.append(f"{key}={value}")
        return ";".join(parts)

    def applies_to(self, path: str) -> bool:
        return path.startswith(self.path) if self.path else True


@dataclass
class FaultDecision:
    """What the injector decided for one request."""

    latency: float = 0.0
    kind: FaultKind | None = None
    timeout_after: float = 0.0


class FaultInjector:
    """Holds the current plan and its run-down counters; decides each request's faults from the seed."""

    def __init__(self, plan: FaultPlan | None = None, *, seed: int = 1) -> None:
        self._seed = seed
        self.rng = random.Random(f"faults-{seed}")  # noqa: S311 (simulation, not crypto)
        self.plan = FaultPlan()
        self.remaining: dict[str, int] = {}
        self.injected: dict[str, int] = {}
        self.set_plan(plan or FaultPlan())

    def set_plan(self, plan: FaultPlan) -> None:
        """Replace the plan; counters start again from the plan's values. The rng is not reseeded."""
        self.plan = plan
        self.remaining = {
            "next429": plan.next429,
            "next5xx": plan.next5xx,
            "next_timeout": plan.next_timeout,
            "next_drop": plan.next_drop,
            "next_malformed": plan.next_malformed,
            "commit_then_fail": plan.commit_then_fail,
        }

    def reset(self, plan: FaultPlan) -> None:
        """Back to a fresh injector with `plan` (same seed, same sequence of draws)."""
        self.rng = random.Random(f"faults-{self._seed}")  # noqa: S311
        self.injected = {}
        self.set_plan(plan)

    def _take(self, counter: str) -> bool:
        if self.remaining.get(counter, 0) > 0:
            self.remaining[counter] -= 1
            return True
        return False

    def decide(self, path: str) -> FaultDecision:
        """Latency and at most one fault for a request on `path` (commit_then_fail is separate)."""
        plan = self.plan
        if not plan.applies_to(path):
            return FaultDecision()
        latency = plan.latency + (self.rng.uniform(0, plan.jitter) if plan.jitter else 0.0)
        kind = self._forced() or self._drawn()
        if kind is not None:
            self.injected[kind.value] = self.injected.get(kind.value, 0) + 1
        return FaultDecision(latency, kind, plan.timeout_after if kind is FaultKind.TIMEOUT else 0.0)

    def _forced(self) -> FaultKind | None:
        for counter, kind in (
            ("next_drop", FaultKind.DROP),
            ("next_timeout", FaultKind.TIMEOUT),
            ("next429", FaultKind.THROTTLE),
            ("next5xx", FaultKind.SERVER_ERROR),
            ("next_malformed", FaultKind.MALFORMED),
        ):
            if self._take(counter):
                return kind
        return None

    def _drawn(self) -> FaultKind | None:
        plan = self.plan
        if not (plan.rate429 or plan.rate5xx or plan.timeout or plan.drop):
            return None
        draw, edge = self.rng.random(), 0.0
        for rate, kind in (
            (plan.rate429, FaultKind.THROTTLE),
            (plan.rate5xx, FaultKind.SERVER_ERROR),
            (plan.timeout, FaultKind.TIMEOUT),
            (plan.drop, FaultKind.DROP),
        ):
            edge += rate
            if draw < edge:
                return kind
        return None

    def commit_pending(self, path: str) -> bool:
        """True if a write on `path` should lose its response (counter not yet consumed)."""
        return self.plan.applies_to(path) and self.remaining.get("commit_then_fail", 0) > 0

    def consume_commit(self) -> None:
        if self._take("commit_then_fail"):
            key = FaultKind.LOST_RESPONSE.value
            self.injected[key] = self.injected.get(key, 0) + 1
