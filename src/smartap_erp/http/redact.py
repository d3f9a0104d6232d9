"""Redaction: the one place that scrubs secrets from URLs, headers, free text and log records.

Three layers, each a safety net for the others: names that look secret (`*token*`, `*secret*`,
`password`, `signature`, `Authorization`, `Cookie`, `B1SESSION` ...) have their values masked; auth
scheme values (`Bearer …`, `Basic …`, `OAuth realm=…, oauth_signature=…`) are masked; and every
secret value the toolkit has seen (credentials, tokens, session ids) is registered here and replaced
wherever it appears. `RedactingFilter` applies this to every record of our loggers and of httpx/httpcore
(whose debug traces include raw headers); `get_logger()` hands out loggers with the filter installed.
Nothing here knows about a particular ERP.
"""

from __future__ import annotations

import logging
import re
import threading
from collections import OrderedDict
from collections.abc import Iterable, Mapping
from urllib.parse import unquote_plus, urlsplit, urlunsplit

MASK = "***"

_SENSITIVE_WORDS = (
    r"token|secret|passw(?:or)?d|pwd|signature|authorization|cookie|session|api[_-]?key|apikey"
    r"|credential|assertion|code[_-]?verifier|private[_-]?key"
)
_SECRET_NAME = re.compile(rf"(?i)(?:{_SENSITIVE_WORDS})|^oauth_")
# Short query-parameter names that are secret only as a whole name (OAuth callback `code`, ...).
_SECRET_EXACT = frozenset({"code", "sig", "key", "state", "pass", "nonce"})

_SCHEME_VALUE = re.compile(
    r"""(?ix)
    \b(?P<scheme>Bearer|Basic|Digest|NLAuth)\s+[A-Za-z0-9\-._~+/=:%]+   # Bearer abc, Basic YWJj
    | \bOAuth\s+(?:[\w-]+\s*=\s*\\?"[^"\\]*\\?"\s*,?\s*)+               # OAuth realm="..", oauth_...
    """
)
_KEY_VALUE = re.compile(
    rf"""(?ix)
    (?P<key>(?<![\w.-])["']?[\w.-]*?(?:{_SENSITIVE_WORDS})[\w.-]*["']?)
    (?P<sep>\s*[:=]\s*)
    (?!(?:Bearer|Basic|Digest|NLAuth|OAuth)\s+\*\*\*)
    (?P<val>\\"(?:[^"\\]|\\[^"])*\\"|"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|[^\s&,;"'}}\])\\]+)
    """
)

_MIN_SECRET_LENGTH = 6
_MAX_KNOWN_SECRETS = 4096
_REGEX_TEXT_LIMIT = 4096  # characters


class _KnownSecrets:
    """Secret values seen at run time, newest kept when the cap is reached. Thread-safe."""

    def __init__(self) -> None:
        self._values: OrderedDict[str, None] = OrderedDict()
        self._lock = threading.Lock()
        self._pattern: re.Pattern[str] | None = None
        self._ordered: list[str] = []

    def add(self, value: str) -> None:
        if len(value) < _MIN_SECRET_LENGTH or value == MASK:
            return
        with self._lock:
            if value in self._values:
                self._values.move_to_end(value)
                return
            self._values[value] = None
            while len(self._values) > _MAX_KNOWN_SECRETS:
                self._values.popitem(last=False)
            self._pattern = None

    def scrub(self, text: str) -> str:
        pattern, ordered = self._compiled()
        if pattern is None:
            return text
        if len(text) <= _REGEX_TEXT_LIMIT:
            return pattern.sub(MASK, text)
        # A long text against thousands of alternatives is slow in `re`; substring search is C-fast.
        for value in ordered:
            if value in text:
                text = text.replace(value, MASK)
        return text

    def _compiled(self) -> tuple[re.Pattern[str] | None, list[str]]:
        with self._lock:
            if self._pattern is None and self._values:
                self._ordered = sorted(self._values, key=len, reverse=True)  # longest first
                self._pattern = re.compile("|".join(re.escape(value) for value in self._ordered))
            return self._pattern, self._ordered


_known = _KnownSecrets()


def register_secret(*values: str | None) -> None:
    """Remember secret values so they are masked wherever they appear (logs, error messages)."""
    for value in values:
        if isinstance(value, str) and value:
            _known.add(value)


def is_secret_name(name: str) -> bool:
    """True for names whose values must never be shown (header, parameter, credential or JSON key)."""
    return bool(_SECRET_NAME.search(name)) or name.lower() in _SECRET_EXACT


def redact_text(text: str) -> str:
    """Mask auth scheme values, secret-looking `key=value` / `"key": "value"` pairs and known secrets."""
    text = _known.scrub(text)
    text = _SCHEME_VALUE.sub(_mask_scheme, text)
    return _KEY_VALUE.sub(_mask_value, text)


def redact_url(url: object) -> str:
    """The URL without user info, with secret-looking query parameters masked and known secrets removed."""
    raw = str(url)
    try:
        parts = urlsplit(raw)
    except ValueError:
        return redact_text(raw)
    netloc = parts.netloc
    if "@" in netloc:
        netloc = f"{MASK}@{netloc.rpartition('@')[2]}"
    query = "&".join(_mask_query_pair(pair) for pair in parts.query.split("&")) if parts.query else ""
    return _known.scrub(urlunsplit((parts.scheme, netloc, parts.path, query, "")))


def redact_headers(headers: Mapping[str, str] | Iterable[tuple[str, str]]) -> dict[str, str]:
    """A copy of the headers, fit for a log line: secret-looking header values replaced by the mask."""
    items = headers.items() if isinstance(headers, Mapping) else headers
    return {name: MASK if is_secret_name(name) else redact_text(value) for name, value in items}


def _mask_query_pair(pair: str) -> str:
    name, sep, _value = pair.partition("=")
    return f"{name}={MASK}" if sep and is_secret_name(unquote_plus(name)) else pair


def _mask_scheme(match: re.Match[str]) -> str:
    scheme = match.group("scheme") or "OAuth"
    return f"{scheme} {MASK}"


def _mask_value(match: re.Match[str]) -> str:
    value = match.group("val")
    quote = '\\"' if value.startswith('\\"') else value[0] if value[:1] in ("'", '"') else ""
    return f"{match.group('key')}{match.group('sep')}{quote}{MASK}{quote}"


class RedactingFilter(logging.Filter):
    """Rewrites each record's message (and formatted traceback) with secrets masked. Never drops one."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a bad format string must not hide the record
            message = f"{record.msg!s} {record.args!r}"
        record.msg = redact_text(message)
        record.args = None
        if record.exc_info and not record.exc_text:
            record.exc_text = redact_text(logging.Formatter().formatException(record.exc_info))
        elif record.exc_text:
            record.exc_text = redact_text(record.exc_text)
        if record.stack_info:
            record.stack_info = redact_text(record.stack_info)
        return True


_FILTER = RedactingFilter()
# httpcore logs raw request/response headers (Set-Cookie, Authorization) in its debug traces.
THIRD_PARTY_LOGGERS = (
    "httpx",
    "httpcore",
    "httpcore.connection",
    "httpcore.http11",
    "httpcore.http2",
    "httpcore.proxy",
)


def install_redaction(logger: logging.Logger | str) -> logging.Logger:
    """Attach the redacting filter to one logger (idempotent). Filters do not inherit: every
    logger that emits records needs its own, which is why modules use `get_logger`."""
    target = logging.getLogger(logger) if isinstance(logger, str) else logger
    if _FILTER not in target.filters:
        target.addFilter(_FILTER)
    return target


def install_third_party_redaction() -> None:
    """Attach the filter to the httpx/httpcore loggers. Called by the client factory."""
    for name in THIRD_PARTY_LOGGERS:
        install_redaction(name)


def install_handler_redaction(logger: logging.Logger | None = None) -> None:
    """Attach the filter to every handler of `logger` (the root logger by default), so records from
    any library that reach those handlers are scrubbed too. The CLI and the worker call it once
    after configuring logging."""
    for handler in (logger or logging.getLogger()).handlers:
        if _FILTER not in handler.filters:
            handler.addFilter(_FILTER)


def get_logger(name: str) -> logging.Logger:
    """`logging.getLogger(name)` with the redacting filter installed; use it for every module logger."""
    return install_redaction(name)
