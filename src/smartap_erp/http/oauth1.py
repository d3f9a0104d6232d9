"""NetSuite Token-Based Authentication: OAuth 1.0a request signing (HMAC-SHA256) as an `httpx.Auth` flow.

The signature base string follows RFC 5849 §3.4.1 exactly, as NetSuite documents it
(netsuite-connector.md §Token-based authentication): the upper-case method, the base string URI (scheme and
host lower-case, default port dropped, no query), and the normalised parameters: every `oauth_*` parameter
except the signature, every query parameter and, only for `application/x-www-form-urlencoded` bodies, the form
fields; each percent-encoded per RFC 3986, sorted by name then value, joined, then encoded again as a whole.
JSON bodies are never part of the signature and no body hash is sent (NetSuite does not use the body-hash
extension). `realm` (the account id upper-case with `_`, e.g. `1234567_SB1`,
netsuite-connector.md §Hosts and realm) goes in the header only. Each send gets a fresh nonce and timestamp,
including every retry (netsuite-connector.md §Token-based authentication): the flow registers a resend hook
that the retry loop runs before replaying. Clock and nonce generator are injectable, so the published test
vector (netsuite-connector.md §Signature test vector) is reproducible.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from collections.abc import Callable, Generator, Iterable
from urllib.parse import parse_qsl, quote

import httpx

from smartap_erp.http.call import add_resend_hook
from smartap_erp.http.clock import Clock, system_clock
from smartap_erp.http.redact import register_secret

# HMAC-SHA1 is refused since NetSuite 2023.1 (netsuite-connector.md §Token-based authentication)
SIGNATURE_METHOD = "HMAC-SHA256"
_DEFAULT_PORTS = {"http": 80, "https": 443}
_FORM = "application/x-www-form-urlencoded"

Nonce = Callable[[], str]


def default_nonce() -> str:
    """20+ random URL-safe characters (NetSuite wants at least 6; its examples use 20,
    netsuite-connector.md §Token-based authentication)."""
    return secrets.token_urlsafe(24)


def percent_encode(value: str) -> str:
    """RFC 5849 §3.6: UTF-8, then every byte except RFC 3986 unreserved characters as %XX."""
    return quote(value, safe="-._~")


def realm_for(account_id: str) -> str:
    """`1234567-sb1` (host form) -> `1234567_SB1` (realm form), netsuite-connector.md §Hosts and realm."""
    return account_id.strip().replace("-", "_").upper()


def base_string_uri(url: httpx.URL) -> str:
    """RFC 5849 §3.4.1.2: scheme://host[:non-default port]/path, lower-case scheme and host, no query."""
    scheme, host = url.scheme.lower(), (url.host or "").lower()
    port = f":{url.port}" if url.port is not None and url.port != _DEFAULT_PORTS.get(scheme) else ""
    path = url.raw_path.decode("ascii").split("?", 1)[0] or "/"
    return f"{scheme}://{host}{port}{path}"


def normalized_parameters(params: Iterable[tuple[str, str]]) -> str:
    """RFC 5849 §3.4.1.3.2: encode names and values, sort by name then value, join `k=v` with `&`."""
    encoded = sorted((percent_encode(name), percent_encode(value)) for name, value in params)
    return "&".join(f"{name}={value}" for name, value in encoded)


def signature_base_string(method: str, url: httpx.URL, params: Iterable[tuple[str, str]]) -> str:
    """RFC 5849 §3.4.1.1. `params` are the oauth_* protocol parameters plus query and form fields."""
    parts = (method.upper(), base_string_uri(url), normalized_parameters(params))
    return "&".join(percent_encode(part) for part in parts)


def hmac_sha256_signature(base_string: str, consumer_secret: str, token_secret: str) -> str:
    """RFC 5849 §3.4.2 with SHA-256: key = enc(consumer secret) & enc(token secret), base64 digest."""
    key = f"{percent_encode(consumer_secret)}&{percent_encode(token_secret)}"
    digest = hmac.new(key.encode(), base_string.encode(), hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def request_parameters(request: httpx.Request) -> list[tuple[str, str]]:
    """Query parameters (decoded) plus form fields when the body is form-encoded (RFC 5849 §3.4.1.3.1)."""
    params = list(request.url.params.multi_items())
    content_type = request.headers.get("Content-Type", "").split(";", 1)[0].strip().lower()
    if content_type == _FORM and request.content:
        params += parse_qsl(request.content.decode("utf-8"), keep_blank_values=True)
    return params


class OAuth1TBAAuth(httpx.Auth):
    """Signs every request with the four TBA credentials; re-signs before every retry."""

    requires_request_body = True  # form bodies are part of the signature

    def __init__(
        self,
        *,
        account_id: str,
        consumer_key: str,
        consumer_secret: str,
        token_id: str,
        token_secret: str,
        clock: Clock = system_clock,
        nonce: Nonce = default_nonce,
    ) -> None:
        register_secret(consumer_key, consumer_secret, token_id, token_secret)
        self.realm = realm_for(account_id)
        self._consumer_key = consumer_key
        self._consumer_secret = consumer_secret
        self._token_id = token_id
        self._token_secret = token_secret
        self._clock = clock
        self._nonce = nonce

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        self.sign(request)
        add_resend_hook(request, self._resign)
        yield request

    async def _resign(self, request: httpx.Request) -> None:
        self.sign(request)

    def oauth_parameters(self) -> dict[str, str]:
        """The protocol parameters of one signature, with a fresh nonce and timestamp."""
        return {
            "oauth_consumer_key": self._consumer_key,
            "oauth_nonce": self._nonce(),
            "oauth_signature_method": SIGNATURE_METHOD,
            "oauth_timestamp": str(int(self._clock())),
            "oauth_token": self._token_id,
            "oauth_version": "1.0",
        }

    def signature(self, request: httpx.Request, oauth: dict[str, str]) -> str:
        base = signature_base_string(
            request.method, request.url, [*oauth.items(), *request_parameters(request)]
        )
        return hmac_sha256_signature(base, self._consumer_secret, self._token_secret)

    def sign(self, request: httpx.Request) -> None:
        """Set `Authorization: OAuth realm="…", oauth_…="…", oauth_signature="…"` (RFC 5849 §3.5.1)."""
        oauth = self.oauth_parameters()
        oauth["oauth_signature"] = self.signature(request, oauth)
        fields = [f'realm="{self.realm}"'] + [f'{k}="{percent_encode(v)}"' for k, v in oauth.items()]
        request.headers["Authorization"] = "OAuth " + ", ".join(fields)
