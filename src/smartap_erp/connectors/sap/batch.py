"""The Service Layer's `$batch`, client side: several requests in one `POST /b1s/v1/$batch` (sap.md §Batch).

A batch is a multipart/mixed body (boundary `batch_<uuid>`): a read is one `application/http` part
(`Content-Transfer-Encoding: binary`, then the request line, headers and body); a write goes in a change set
of its own (`multipart/mixed;boundary=changeset_<uuid>`, with a `Content-ID`, mandatory on OData 4), so a
refused write rolls back nothing but itself. The answer (202 on v1, 200 on v2) is multipart/mixed too, one
`application/http` part per request run, in order: status line, headers, body; a change set that succeeded
comes back as a nested multipart (flattened here), one that failed as that single failed response. The
Service Layer runs the parts in order and STOPS at the first failure: the parts after it get no answer at
all, so `Answer`s are matched to parts by position and the unanswered tail is known not to have run.
`send` returns the answers; the batch itself failing (401 is handled by the session auth, which logs in
and repeats it; 400 / -1000 is our bug) raises as any request does. `error_of` gives an answer's typed
error exactly as the same request sent alone would raise it (`SAPConnector.error_details`). `get_many`
sends reads: one alone is a plain GET, several a `$batch` of GET parts (no change set may hold a GET),
each part's `odata.nextLink` followed by plain GETs.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from email.message import Message
from email.parser import BytesParser
from email.policy import compat32
from typing import TYPE_CHECKING, Any
from urllib.parse import urljoin

import httpx

from smartap_erp.connectors.responses import error_for_response
from smartap_erp.errors import ERPError, ERPProtocolError, ERPRecordError
from smartap_erp.http.call import Call, read_json

if TYPE_CHECKING:
    from smartap_erp.connectors.sap.connector import SAPConnector

MAX_READ_PARTS = 50  # GET parts of one read batch: 50 x 40 supplier numbers; no published maximum
_NEXT_LINK = ("odata.nextLink", "@odata.nextLink")


@dataclass(frozen=True)
class Part:
    """One request of a batch; `change_set` puts it in a change set of its own (writes)."""

    method: str
    url: str  # relative to the service root, query included
    json: Any = None
    headers: tuple[tuple[str, str], ...] = ()
    change_set: bool = False


@dataclass
class Answer:
    status: int
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300


def encode(parts: Sequence[Part], root_path: str) -> tuple[str, bytes]:
    """(Content-Type, body) of a batch; `root_path` is the service root's path, e.g. `/b1s/v1/`."""
    boundary = f"batch_{uuid.uuid4()}"
    chunks: list[str] = []
    for number, part in enumerate(parts, start=1):
        request = _request_text(part, root_path)
        if part.change_set:
            inner = f"changeset_{uuid.uuid4()}"
            request = (
                f"Content-Type: multipart/mixed;boundary={inner}\r\n\r\n--{inner}\r\n"
                f"{_HTTP_PART}Content-ID: {number}\r\n\r\n{request}\r\n--{inner}--"
            )
        else:
            request = f"{_HTTP_PART}\r\n{request}"
        chunks.append(f"--{boundary}\r\n{request}\r\n")
    body = "".join(chunks) + f"--{boundary}--\r\n"
    return f"multipart/mixed;boundary={boundary}", body.encode("utf-8")


_HTTP_PART = "Content-Type: application/http\r\nContent-Transfer-Encoding: binary\r\n"


def _request_text(part: Part, root_path: str) -> str:
    lines = [f"{part.method} {root_path}{part.url} HTTP/1.1"]
    lines += [f"{name}: {value}" for name, value in part.headers]
    body = ""
    if part.json is not None:
        lines.append("Content-Type: application/json")
        body = json.dumps(part.json, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    return "\r\n".join(lines) + "\r\n\r\n" + body


def decode(response: httpx.Response) -> list[Answer]:
    """The answers of a batch response, change sets flattened, in order (ERPProtocolError if unreadable)."""
    content_type = response.headers.get("content-type", "")
    if not content_type.lower().startswith("multipart/mixed"):
        raise ValueError(f"a $batch answer must be multipart/mixed, not {content_type or 'untyped'}")
    message = BytesParser(policy=compat32).parsebytes(
        f"Content-Type: {content_type}\r\n\r\n".encode("latin-1") + response.content
    )
    if not message.is_multipart():
        raise ValueError("a $batch answer without parts")
    answers: list[Answer] = []
    _collect(message, answers)
    return answers


def _collect(message: Message, answers: list[Answer]) -> None:
    payload = message.get_payload()
    for part in payload if isinstance(payload, list) else []:
        if not isinstance(part, Message):
            continue
        if part.is_multipart():
            _collect(part, answers)
            continue
        text = part.get_payload()
        raw = text.encode("ascii", "surrogateescape") if isinstance(text, str) else b""
        answers.append(_answer(raw))


def _answer(raw: bytes) -> Answer:
    # CRLF or LF lines; a JSON body holds no raw line breaks, so normalising them changes nothing in it
    head, _, body = raw.replace(b"\r\n", b"\n").lstrip(b"\n").partition(b"\n\n")
    lines = head.decode("utf-8").splitlines()
    words = lines[0].split() if lines else []
    if len(words) < 2 or not words[0].upper().startswith("HTTP/") or not words[1].isdigit():
        raise ValueError(f"a $batch part without a status line: {lines[0] if lines else ''!r}")
    headers = {}
    for line in lines[1:]:
        name, sep, value = line.partition(":")
        if sep:
            headers[name.strip().lower()] = value.strip()
    return Answer(int(words[1]), headers, body.rstrip(b"\n"))


async def send(connector: SAPConnector, parts: Sequence[Part], *, reads_only: bool = False) -> list[Answer]:
    """POST the batch and return its answers (fewer than `parts` when the server stopped at a failure)."""
    content_type, body = encode(parts, connector.http.base_url.raw_path.decode("ascii"))
    call = Call(
        "POST", "$batch", headers=(("Content-Type", content_type),), content=body, idempotent=reads_only
    )
    try:
        response = await connector.send(call)
    except ERPRecordError as exc:  # 400 -1000: the body we built is wrong; nothing ran
        raise ERPProtocolError(
            f"SAP refused the $batch request: {exc}", erp=connector.system, url=exc.url, method="POST"
        ) from None
    try:
        answers = decode(response)
    except (ValueError, UnicodeDecodeError, IndexError) as exc:
        raise ERPProtocolError(
            f"unreadable $batch answer: {exc}", erp=connector.system, url=str(response.url), method="POST"
        ) from None
    if len(answers) > len(parts):
        raise ERPProtocolError(
            f"the $batch answer has {len(answers)} parts for {len(parts)} requests",
            erp=connector.system,
            url=str(response.url),
            method="POST",
        )
    return answers


def error_of(connector: SAPConnector, answer: Answer, part: Part) -> ERPError:
    """The typed error the same request would have raised alone."""
    request = httpx.Request(part.method, connector.http.base_url.join(part.url))
    response = httpx.Response(answer.status, headers=answer.headers, content=answer.body, request=request)
    return error_for_response(
        connector.system, response, connector.error_details(response), now=connector.options.clock()
    )


def json_of(connector: SAPConnector, answer: Answer, part: Part) -> Any:
    try:
        return read_json(httpx.Response(answer.status, content=answer.body))
    except ValueError:
        raise ERPProtocolError(
            f"unreadable answer to {part.method} {part.url.split('?')[0]} in a $batch",
            erp=connector.system,
        ) from None


async def get_many(connector: SAPConnector, calls: Sequence[Call]) -> list[list[Any]]:
    """The rows of each GET (all pages), in as few requests as the batch allows."""
    if len(calls) <= 1:
        return [await connector._rows(call) for call in calls]
    rows: list[list[Any]] = []
    for start in range(0, len(calls), MAX_READ_PARTS):
        chunk = calls[start : start + MAX_READ_PARTS]
        parts = [Part("GET", _relative(connector, call), headers=call.headers) for call in chunk]
        answers = await send(connector, parts, reads_only=True)
        for index, (call, part) in enumerate(zip(chunk, parts, strict=True)):
            if index >= len(answers):
                raise ERPProtocolError("the $batch answer ended early", erp=connector.system)
            if not answers[index].ok:
                raise error_of(connector, answers[index], part)
            rows.append(await _all_pages(connector, call, part, json_of(connector, answers[index], part)))
    return rows


async def _all_pages(connector: SAPConnector, call: Call, part: Part, body: Any) -> list[Any]:
    value = body.get("value") if isinstance(body, dict) else None
    if not isinstance(value, list):
        raise ERPProtocolError(
            f"a $batch answer to {part.url.split('?')[0]} without a value list", erp=connector.system
        )
    link = next((body[k] for k in _NEXT_LINK if body.get(k)), None)
    if not link:
        return list(value)
    # the rest, as a standalone walk from the next link (resolved like sap.md §Paging says)
    url = urljoin(str(connector.http.base_url.join(part.url)), str(link))
    return [*value, *await connector._rows(Call("GET", url, headers=call.headers))]


def _relative(connector: SAPConnector, call: Call) -> str:
    request = call.build(connector.http)
    root = connector.http.base_url.raw_path
    path = request.url.raw_path
    return (path[len(root) :] if path.startswith(root) else path.lstrip(b"/")).decode("ascii")
