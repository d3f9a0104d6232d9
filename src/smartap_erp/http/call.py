"""`Call`: one HTTP call as plain, immutable data, plus the request extensions the layers share.

Connectors and paginators build `Call`s; `send_call` turns one into a request on the connector's client.
Extensions are how the layers talk without knowing each other: `idempotent` (this write may be sent
twice, so the retry loop may replay it), resend hooks (run by the retry loop before every replay, e.g.
to re-sign an OAuth 1.0a request with a fresh nonce, or to take another rate-limit slot) and
`skip_rate_limit` (token endpoints are not metered by the ERP's API limits). `read_json` parses a
body with decimals as `Decimal` (for error envelopes, best effort), as `json.loads(parse_float=Decimal)`
does, through jiter where it can (`loads`); `json_body` is how every connector
reads a success body: parsed, and checked against the shape it expects (a JSON object or list,
required keys and their types), so an empty 200, a non-JSON page or a 200 of another shape is an
`ERPProtocolError` naming the ERP and the redacted URL, never an `AttributeError` or an empty import.
"""

from __future__ import annotations

import json as jsonlib
from collections.abc import Awaitable, Callable, Collection, Mapping
from dataclasses import dataclass, replace
from decimal import Decimal, InvalidOperation
from typing import Any

import httpx
import jiter

from smartap_erp.domain.enums import ERPSystem
from smartap_erp.errors import ERPProtocolError

IDEMPOTENT = "idempotent"
RESEND_HOOKS = "smartap.resend_hooks"
SKIP_RATE_LIMIT = "smartap.skip_rate_limit"

ResendHook = Callable[[httpx.Request], Awaitable[None]]
Pairs = tuple[tuple[str, str], ...]


def _pairs(values: Mapping[str, object] | None) -> Pairs:
    return tuple((str(k), str(v)) for k, v in (values or {}).items())


@dataclass(frozen=True, slots=True)
class Call:
    """An HTTP call as data. `url` is a path relative to the client's base URL, or absolute."""

    method: str
    url: str
    params: Pairs = ()
    headers: Pairs = ()
    json: Any = None
    content: str | bytes | None = None
    idempotent: bool = False

    @classmethod
    def get(
        cls, url: str, params: Mapping[str, object] | None = None, headers: Mapping[str, str] | None = None
    ) -> Call:
        return cls("GET", url, params=_pairs(params), headers=_pairs(headers))

    def param(self, name: str) -> str | None:
        """The last value of query parameter `name`, or None."""
        found = [value for key, value in self.params if key == name]
        return found[-1] if found else None

    def with_params(self, changes: Mapping[str, object]) -> Call:
        """A copy with these query parameters set: an existing one changes in place, a new one is added."""
        pending = dict(_pairs(changes))
        updated: list[tuple[str, str]] = []
        for name, value in self.params:
            if name in pending:
                updated.append((name, pending.pop(name)))
            elif name not in changes:  # a repeated parameter being set collapses to one
                updated.append((name, value))
        return replace(self, params=(*updated, *pending.items()))

    def with_headers(self, changes: Mapping[str, str]) -> Call:
        lowered = {name.lower() for name in changes}
        kept = tuple((k, v) for k, v in self.headers if k.lower() not in lowered)
        return replace(self, headers=kept + _pairs(changes))

    def key(self) -> str:
        """A stable identity of the call, used by the paging loop to spot a repeated request."""
        body = self.content if self.content is not None else self.json
        if isinstance(body, bytes):
            body = body.decode("utf-8", "replace")
        return jsonlib.dumps(
            [self.method.upper(), self.url, sorted(self.params), body], sort_keys=True, default=str
        )

    def build(self, client: httpx.AsyncClient) -> httpx.Request:
        return client.build_request(
            self.method,
            self.url,
            params=list(self.params) or None,
            headers=list(self.headers) or None,
            json=self.json,
            content=self.content,
            extensions={IDEMPOTENT: True} if self.idempotent else None,
        )


async def send_call(client: httpx.AsyncClient, call: Call) -> httpx.Response:
    """Send one call through the client's full stack (auth, rate limit, retry) and read the body."""
    return await client.send(call.build(client))


def read_json(response: httpx.Response) -> Any:
    """The body as JSON with every non-integer number as `Decimal` (money never passes through float).
    None for an empty body; ValueError if it is not JSON."""
    if not response.content:
        return None
    return loads(response.content)


def loads(content: bytes) -> Any:
    """`json.loads(content, parse_float=Decimal)`, in about two thirds of its CPU for a page of vendors
    (issue 17): jiter reads the bytes (its decimals are built from the number's text, as parse_float's
    are), and what it refuses goes to json.loads, so the result and the errors are json's: NaN and
    Infinity (json reads them as floats), a byte-order mark or UTF-16, lone surrogates, nesting deeper
    than 200. Raises ValueError for what is not JSON, a number no `Decimal` can hold included."""
    try:
        return jiter.from_json(content, float_mode="decimal", cache_mode="keys", allow_inf_nan=False)
    except ValueError:
        pass
    try:
        return jsonlib.loads(content, parse_float=Decimal)
    except (InvalidOperation, RecursionError) as exc:  # 1e999999999999999999, [[[[…]]]]
        raise ValueError(f"unreadable JSON: {type(exc).__name__}") from None


Shape = type | tuple[type, ...]


def erp_name(erp: ERPSystem) -> str:
    """The ERP's display name ("QuickBooks Online", "SAP Business One"), from its provider description;
    the system key for an ERP without one."""
    from smartap_erp.connectors.registry import registry  # connectors build on http: import on use

    provider = registry.find(erp)
    return provider.name if provider is not None else str(erp)


def _kind(value: Any) -> str:
    names = {dict: "an object", list: "a list", str: "a string", bool: "a boolean", type(None): "null"}
    return next((name for cls, name in names.items() if isinstance(value, cls)), "a number")


def _shape_name(shape: Shape) -> str:
    kinds = shape if isinstance(shape, tuple) else (shape,)
    names = {dict: "an object", list: "a list", str: "a string", int: "a number", bool: "a boolean"}
    return " or ".join(names.get(k, k.__name__) for k in kinds)


def json_body(
    response: httpx.Response,
    erp: ERPSystem,
    *,
    shape: Shape = dict,
    keys: Mapping[str, Shape] | None = None,
    non_empty: Collection[str] = (),
) -> Any:
    """The success body as JSON (decimals as `Decimal`), checked: it must not be empty, must parse,
    must be of `shape` (`dict`, `list`, a tuple of types, or `object` for anything), and, when it is
    an object, hold every key of `keys` with a value of that key's shape (lists named in `non_empty`
    must have at least one element). Anything else raises `ERPProtocolError` naming the ERP, the
    method, status and redacted URL."""
    if not response.content.strip():
        raise unexpected_answer(response, erp, "an empty body where JSON was expected")
    try:
        body = loads(response.content)
    except ValueError:
        media = response.headers.get("Content-Type", "no content type").split(";")[0]
        raise unexpected_answer(response, erp, f"a body that is not JSON ({media})") from None
    if not isinstance(body, shape):
        raise unexpected_answer(response, erp, f"{_kind(body)} where {_shape_name(shape)} was expected")
    for key, key_shape in (keys or {}).items():
        value = body.get(key) if isinstance(body, dict) else None
        if value is None or not isinstance(value, key_shape):
            found = "no" if value is None else _kind(value) + " as"
            raise unexpected_answer(
                response, erp, f"{found} {key!r} where {_shape_name(key_shape)} was expected"
            )
        if key in non_empty and not value:
            raise unexpected_answer(response, erp, f"an empty {key!r}")
    return body


def unexpected_answer(response: httpx.Response, erp: ERPSystem, what: str) -> ERPProtocolError:
    try:
        request: httpx.Request | None = response.request
    except RuntimeError:  # a response built without a request (tests)
        request = None
    return ERPProtocolError(
        f"{erp_name(erp)} sent an unexpected answer: {what}",
        erp=erp,
        url=str(request.url) if request is not None else None,
        method=request.method if request is not None else None,
        status=response.status_code,
    )


def is_idempotent(request: httpx.Request) -> bool:
    return bool(request.extensions.get(IDEMPOTENT))


def add_resend_hook(request: httpx.Request, hook: ResendHook) -> None:
    """Ask the retry loop to run `hook(request)` before it sends this request again."""
    hooks: list[ResendHook] = request.extensions.setdefault(RESEND_HOOKS, [])
    if hook not in hooks:
        hooks.append(hook)


async def run_resend_hooks(request: httpx.Request) -> None:
    for hook in list(request.extensions.get(RESEND_HOOKS, ())):
        await hook(request)
