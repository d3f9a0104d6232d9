"""Reading a Service Layer `$batch` body: multipart/mixed parts, change sets, and the HTTP requests inside.

The body (erp-api-facts §3.6, the SAP manual's *Batch Operations*) is a Multipart MIME message whose
boundary comes from the `Content-Type: multipart/mixed;boundary=…` header. Each part is either one request
(`Content-Type: application/http` + `Content-Transfer-Encoding: binary`, then the full HTTP request: request
line, headers, empty line, body) or a change set (`Content-Type: multipart/mixed;boundary=changeset_…`) whose
own parts are such requests. What the manual says a change set must not hold (GET requests, other change
sets) and what it says every sub-request must carry (the two headers above; `Content-ID` in a change set on
OData 4) is refused here as a malformed batch, which the server answers with 400 / -1000 before running
anything (the manual's "Batch Request Format Invalid" case; whether a real server checks all of it before
the first part runs is UNCERTAIN). Lines may end in CRLF or LF. The manual's examples put the request line
right under the part headers, without the empty line the OData spec wants: both are read.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

_HEADER = re.compile(r"^([!#$%&'*+.^_`|~0-9A-Za-z-]+)[ \t]*:[ \t]*(.*)$")
_PARAM = re.compile(r";\s*([A-Za-z-]+)\s*=\s*(\"[^\"]*\"|[^;\s]+)")
_HTTP_VERSION = re.compile(r"^HTTP/\d(\.\d)?$", re.IGNORECASE)
INCOMPLETE = "Incomplete Batch Request Body!"  # the manual's example text for code -1000


class BatchFormatError(Exception):
    """The batch cannot be read: HTTP 400, code -1000 (erp-api-facts §3.5, §3.6)."""


@dataclass
class SubRequest:
    method: str
    url: str
    headers: list[tuple[str, str]]
    body: bytes
    content_id: str | None = None

    def header(self, name: str) -> str | None:
        return next((v for k, v in self.headers if k.lower() == name.lower()), None)


@dataclass
class ChangeSet:
    requests: list[SubRequest] = field(default_factory=list)


Part = SubRequest | ChangeSet


def media_type(content_type: str | None) -> tuple[str, dict[str, str]]:
    """`multipart/mixed; boundary="b"` -> ("multipart/mixed", {"boundary": "b"})."""
    text = content_type or ""
    kind = text.split(";", 1)[0].strip().lower()
    params = {m.group(1).lower(): m.group(2).strip('"') for m in _PARAM.finditer(text)}
    return kind, params


def parse_batch(content_type: str | None, body: bytes, *, version: str) -> list[Part]:
    kind, params = media_type(content_type)
    if kind != "multipart/mixed" or not params.get("boundary"):
        raise BatchFormatError("The batch request must be multipart/mixed with a boundary")
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise BatchFormatError("The batch request body is not UTF-8") from None
    parts: list[Part] = []
    for lines in _split(re.split(r"\r?\n", text), params["boundary"]):
        headers, rest = _mime_headers(lines)
        part_kind, part_params = media_type(_get(headers, "content-type"))
        if part_kind == "multipart/mixed":
            parts.append(_change_set(rest, part_params.get("boundary"), version))
        else:
            parts.append(_request(headers, rest, in_change_set=False, version=version))
    if not parts:
        raise BatchFormatError(INCOMPLETE)
    return parts


def _split(lines: list[str], boundary: str) -> list[list[str]]:
    """The parts between `--boundary` lines; the body must end with `--boundary--`."""
    opening, closing = f"--{boundary}", f"--{boundary}--"
    parts: list[list[str]] = []
    current: list[str] | None = None
    for line in lines:
        marker = line.rstrip(" \t")
        if marker == closing:
            if current is not None:
                parts.append(current)
            return parts
        if marker == opening:
            if current is not None:
                parts.append(current)
            current = []
        elif current is not None:
            current.append(line)
    raise BatchFormatError(INCOMPLETE)


def _mime_headers(lines: list[str]) -> tuple[list[tuple[str, str]], list[str]]:
    """A part's MIME headers and what follows them (after the empty line, or from the request line)."""
    headers: list[tuple[str, str]] = []
    for index, line in enumerate(lines):
        if not line.strip():
            return headers, lines[index + 1 :]
        match = _HEADER.match(line)
        if match is None:  # the request line straight under the headers (the manual's examples)
            return headers, lines[index:]
        headers.append((match.group(1), match.group(2).strip()))
    return headers, []


def _get(headers: list[tuple[str, str]], name: str) -> str | None:
    return next((v for k, v in headers if k.lower() == name), None)


def _change_set(lines: list[str], boundary: str | None, version: str) -> ChangeSet:
    if not boundary:
        raise BatchFormatError("A change set must be multipart/mixed with a boundary")
    change_set = ChangeSet()
    for part in _split(lines, boundary):
        headers, rest = _mime_headers(part)
        if media_type(_get(headers, "content-type"))[0] == "multipart/mixed":
            raise BatchFormatError("A change set must not contain other change sets")
        change_set.requests.append(_request(headers, rest, in_change_set=True, version=version))
    if not change_set.requests:
        raise BatchFormatError("A change set must contain at least one request")
    return change_set


def _request(
    headers: list[tuple[str, str]], lines: list[str], *, in_change_set: bool, version: str
) -> SubRequest:
    if media_type(_get(headers, "content-type"))[0] != "application/http":
        raise BatchFormatError("Each sub request must have Content-Type application/http")
    if (_get(headers, "content-transfer-encoding") or "").lower() != "binary":
        raise BatchFormatError("Each sub request must have Content-Transfer-Encoding binary")
    content_id = _get(headers, "content-id")
    if in_change_set and version == "v2" and not content_id:
        raise BatchFormatError("Content-ID is mandatory in change set requests (OData Version 4)")
    while lines and not lines[0].strip():
        lines = lines[1:]
    if not lines:
        raise BatchFormatError("A sub request has no request line")
    words = lines[0].split()
    if len(words) > 1 and _HTTP_VERSION.match(words[-1]):
        words = words[:-1]
    if len(words) < 2:
        raise BatchFormatError(f"Invalid request line '{lines[0].strip()}'")
    method, url = words[0].upper(), " ".join(words[1:])
    if in_change_set and method == "GET":
        raise BatchFormatError("A change set must not contain GET requests")
    request_headers: list[tuple[str, str]] = []
    index = 1
    while index < len(lines) and lines[index].strip():
        match = _HEADER.match(lines[index])
        if match is None:
            raise BatchFormatError(f"Invalid header line '{lines[index].strip()}'")
        request_headers.append((match.group(1), match.group(2).strip()))
        index += 1
    body = "\n".join(lines[index + 1 :]).strip("\r\n")
    return SubRequest(method, url, request_headers, body.encode("utf-8"), content_id)
