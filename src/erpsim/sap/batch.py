"""`POST /b1s/v1/$batch` (and `/b1s/v2/$batch`): several Service Layer requests in one HTTP request.

erp-api-facts §3.6 and the SAP manual's *Batch Operations* (§3.9 there). The body is read by `multipart.py`;
a malformed one is refused with HTTP 400, code -1000, before any part runs. Each part then goes through the
same routes as a standalone request (same validation, same business rules, same posting-period checks),
with the batch's own `B1SESSION` / `ROUTEID` cookies: the batch needs a live session like any request
(401 / 301 otherwise, nothing run), and a part cannot bring another one. Parts run in order and processing
STOPS at the first part that fails (status >= 400): the parts after it get no response at all (§3.6,
"the batch will stop executing once a sub request fails"). A change set is atomic: when one of its requests
fails, what the earlier ones did is rolled back and the change set answers with that one failed response,
as a plain `application/http` part (the manual's example); when all succeed, a nested
`multipart/mixed;boundary=changesetresponse_…` part holds each response with its `Content-ID`. Inside a
change set `$<Content-ID>` at the start of a URL stands for the entity an earlier POST of the change set
created (its `Location`). The answer is `202 Accepted` on v1 and `200 OK` on v2, `multipart/mixed` with a
`batchresponse_…` boundary, each response as status line, headers and body.

Counting: the core middleware counts the `$batch` as ONE request (its parts never pass through it, so they
are neither counted, limited nor faulted one by one; a fault plan hits the whole batch, e.g. a
`commit_then_fail` runs every part and loses the batch's answer). The `batch_parts` counter adds up the
parts run. The per-part effects (documents created, DocEntry numbering, period and duplicate checks) are
those of the standalone calls because they are the standalone handlers.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Sequence
from dataclasses import dataclass
from http import HTTPStatus
from itertools import count
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote, urlsplit

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route, Router
from starlette.types import Message

from erpsim.sap.envelope import error
from erpsim.sap.multipart import BatchFormatError, ChangeSet, SubRequest, parse_batch

if TYPE_CHECKING:
    from erpsim.sap.company import Company
    from erpsim.sap.sessions import Session
    from erpsim.sap.sim import SapSim

MALFORMED_CODE = -1000  # erp-api-facts §3.5, §3.6
_REFERENCE = re.compile(r"^\$([^/?(]+)")


@dataclass
class PartResult:
    status: int
    headers: list[tuple[str, str]]
    body: bytes
    content_id: str | None = None

    @property
    def failed(self) -> bool:
        return self.status >= 400


class BatchRunner:
    """Runs the parts of one `$batch` through `router` (the simulator's own routes)."""

    def __init__(self, sim: SapSim, routes: Sequence[BaseRoute]) -> None:
        self.sim = sim
        self.routes = routes
        self._router: Router | None = None
        self._ids = count(1)

    @property
    def router(self) -> Router:
        if self._router is None:  # the route list is complete only once build_routes returned it
            self._router = Router(routes=list(self.routes))
        return self._router

    async def __call__(self, request: Request, version: str, company: Company) -> Response:
        try:
            parts = parse_batch(request.headers.get("content-type"), await request.body(), version=version)
        except BatchFormatError as exc:
            return error(version, 400, MALFORMED_CODE, str(exc))
        chunks: list[str] = []
        boundary = self._boundary("batchresponse")
        for part in parts:
            if isinstance(part, ChangeSet):
                results = await self._change_set(request, version, company, part)
                if len(results) == 1 and results[0].failed:
                    # one response for the failed change set, a plain part without its Content-ID, as
                    # in the manual's example (erp-api-facts §3.6); clients match parts by position
                    results[0].content_id = None
                    chunks.append(_render_part(boundary, results[0]))
                    break
                chunks.append(self._render_change_set(boundary, results))
                continue
            result = await self._run(request, version, part)
            chunks.append(_render_part(boundary, result))
            if result.failed:  # processing stops at the first failure (erp-api-facts §3.6)
                break
        body = "".join(chunks) + f"--{boundary}--\r\n"
        return Response(
            body.encode("utf-8"),
            status_code=202 if version == "v1" else 200,  # OData 3 / OData 4 (erp-api-facts §3.6)
            media_type=f"multipart/mixed;boundary={boundary}",
        )

    async def _change_set(
        self, request: Request, version: str, company: Company, change_set: ChangeSet
    ) -> list[PartResult]:
        # A single request is atomic by itself (validated before anything is stored); several are
        # rolled back together from a copy of the company taken before the first.
        saved = _snapshot(company) if len(change_set.requests) > 1 else None
        results: list[PartResult] = []
        created: dict[str, str] = {}
        for sub in change_set.requests:
            result = await self._run(request, version, sub, created)
            result.content_id = sub.content_id
            if result.failed:
                if saved is not None:
                    _restore(company, saved)
                return [result]
            location = next((v for k, v in result.headers if k.lower() == "location"), None)
            if sub.content_id and location:
                created[sub.content_id] = urlsplit(location).path.rsplit("/", 1)[-1]
            results.append(result)
        return results

    async def _run(
        self, request: Request, version: str, sub: SubRequest, created: dict[str, str] | None = None
    ) -> PartResult:
        self.sim.stats.incr("batch_parts")
        url = urlsplit(sub.url)
        path = unquote(url.path)
        if not path.startswith("/"):  # relative to the service root ("post orders" in the manual)
            path = f"/b1s/{version}/{path}"
        if created:
            prefix = f"/b1s/{version}/"
            rest = path.removeprefix(prefix)
            reference = _REFERENCE.match(rest)
            if reference and reference.group(1) in created:
                path = prefix + created[reference.group(1)] + rest[reference.end() :]
        headers = [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in sub.headers]
        headers = [h for h in headers if h[0] not in (b"cookie", b"host", b"content-length")]
        headers += [(b"host", (request.headers.get("host") or "localhost").encode("latin-1"))]
        headers += [(b"content-length", str(len(sub.body)).encode())]
        if cookie := request.headers.get("cookie"):  # the batch's session applies to every part
            headers.append((b"cookie", cookie.encode("latin-1")))
        scope: dict[str, Any] = {
            **{k: v for k, v in request.scope.items() if k not in ("route", "path_params", "endpoint")},
            "method": sub.method,
            "path": path,
            "raw_path": path.encode("utf-8"),
            "query_string": url.query.encode("utf-8"),
            "headers": headers,
        }
        return await self._dispatch(scope, sub.body)

    async def _dispatch(self, scope: dict[str, Any], body: bytes) -> PartResult:
        sent = False
        status, headers, chunks = 500, [], []

        async def receive() -> Message:
            nonlocal sent
            if sent:
                return {"type": "http.disconnect"}
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}

        async def send(message: Message) -> None:
            nonlocal status, headers
            if message["type"] == "http.response.start":
                status = int(message["status"])
                headers = [(k.decode("latin-1"), v.decode("latin-1")) for k, v in message.get("headers", [])]
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))

        try:
            await self.router(scope, receive, send)
        except Exception:  # a fault in one part is that part's 500 (and stops the batch), not the batch's
            version = "v2" if scope["path"].startswith("/b1s/v2/") else "v1"
            response = error(version, 500, -1, "Internal error (-1) occurred")
            status, chunks = 500, [bytes(response.body)]
            headers = [("content-type", "application/json")]
        kept = [(k, v) for k, v in headers if k.lower() not in ("content-length", "set-cookie")]
        return PartResult(status, kept, b"".join(chunks))

    def _boundary(self, kind: str) -> str:
        # deterministic, like the simulator's session ids
        return f"{kind}_{next(self._ids):08x}-0000-4000-8000-{self.sim.config.seed:012x}"

    def _render_change_set(self, boundary: str, results: list[PartResult]) -> str:
        inner = self._boundary("changesetresponse")
        body = "".join(_render_part(inner, r) for r in results) + f"--{inner}--\r\n"
        return f"--{boundary}\r\nContent-Type: multipart/mixed;boundary={inner}\r\n\r\n{body}"


def _render_part(boundary: str, result: PartResult) -> str:
    lines = [f"--{boundary}", "Content-Type: application/http", "Content-Transfer-Encoding: binary"]
    if result.content_id:
        lines.append(f"Content-ID: {result.content_id}")
    lines += ["", f"HTTP/1.1 {result.status} {_reason(result.status)}"]
    lines += [f"{name}: {value}" for name, value in result.headers]
    text = result.body.decode("utf-8")
    lines += [f"Content-Length: {len(result.body)}", "", text]
    return "\r\n".join(lines) + "\r\n"


def _reason(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return ""


def _snapshot(company: Company) -> tuple[Any, ...]:
    # one deepcopy of everything together, so the index keeps pointing at the copied records
    return copy.deepcopy((company.sets, company.index, company.next_entry, company.manually_closed))


def _restore(company: Company, saved: tuple[Any, ...]) -> None:
    company.sets, company.index, company.next_entry, company.manually_closed = saved


def batch_route(sim: SapSim, version: str, runner: BatchRunner, guard: Any) -> BaseRoute:
    """`POST /b1s/<version>/$batch`, behind the session check of every Service Layer request."""

    async def run(request: Request, session: Session, company: Company) -> Response:
        return await runner(request, version, company)

    return Route(f"/b1s/{version}/$batch", guard(sim, version, run), methods=["POST"])
