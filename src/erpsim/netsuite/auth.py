"""Token-Based Authentication as NetSuite verifies it: OAuth 1.0a, HMAC-SHA256, every request.

Written independently of the product's signer (a shared bug would otherwise go unseen). The server
recomputes the signature from the request as received (netsuite-connector.md §Token-based authentication): the
base string is the upper-case method, the base URL (scheme and host lower-case, default port dropped, no
query) and the sorted, RFC 3986-encoded `oauth_*` parameters (minus `oauth_signature` and `realm`) plus every
query parameter; a JSON body is never signed, but an `oauth_body_hash` parameter, when a client sends one, is
signed like any other and must match the body (its SHA-1 digest, as authlib and oauthlib send it, or SHA-256;
`body_hash_matches`). `realm` must be the account id in its upper-case form (`1234567_SB1`,
netsuite-connector.md §Hosts and realm), HMAC-SHA1 is refused
(netsuite-connector.md §Token-based authentication), the timestamp must be within 300 s of the server clock
and a nonce is accepted once per token (netsuite-connector.md §Token-based authentication, [N3]). Requests
sent to the real account host names (`<account>.restlets.api.netsuite.com`) are verified against that https
URL and the host must belong to the realm's account. Every failure is the same opaque `INVALID_LOGIN_ATTEMPT`
on the wire; the precise reason goes to the login audit trail only.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from collections import Counter
from dataclasses import dataclass, field
from urllib.parse import quote, unquote

from starlette.requests import Request

from erpsim.core.clock import Clock

# seconds either side of server time (netsuite-connector.md §Token-based authentication)
TIMESTAMP_TOLERANCE = 300
NONCE_MEMORY = 900  # seconds a (token, nonce) stays remembered; > 2 x tolerance
_PARAM = re.compile(r'\s*([A-Za-z_]+)\s*=\s*"([^"]*)"\s*')
_NETSUITE_HOST = re.compile(r"^(?P<account>[a-z0-9-]+)\.(?P<service>restlets|suitetalk)\.api\.netsuite\.com$")
REQUIRED = (
    "oauth_consumer_key",
    "oauth_token",
    "oauth_signature_method",
    "oauth_timestamp",
    "oauth_nonce",
    "oauth_signature",
)


def encode(value: str) -> str:
    """RFC 3986 percent-encoding: everything but unreserved characters
    (netsuite-connector.md §Token-based authentication)."""
    return quote(value, safe="-._~")


def host_form(account_id: str) -> str:
    """`1234567_SB1` -> `1234567-sb1` (netsuite-connector.md §Hosts and realm)."""
    return account_id.replace("_", "-").lower()


def realm_form(account_id: str) -> str:
    """`1234567-sb1` -> `1234567_SB1` (netsuite-connector.md §Hosts and realm)."""
    return account_id.replace("-", "_").upper()


def base_string(method: str, base_url: str, params: list[tuple[str, str]]) -> str:
    normalized = "&".join(f"{k}={v}" for k, v in sorted((encode(k), encode(v)) for k, v in params))
    return "&".join(encode(part) for part in (method.upper(), base_url, normalized))


def sign(base: str, consumer_secret: str, token_secret: str) -> str:
    key = f"{encode(consumer_secret)}&{encode(token_secret)}".encode()
    return base64.b64encode(hmac.new(key, base.encode(), hashlib.sha256).digest()).decode()


def body_hash_matches(sent: str, body: bytes) -> bool:
    """`oauth_body_hash` = base64(digest of the raw body), SHA-1 or SHA-256.

    The OAuth body-hash draft (draft-eaton-oauth-bodyhash) uses SHA-1, and so do the widely used
    clients NetSuite accepts: the `netsuite` package signs every request with a body through authlib
    with `force_include_body=True` (jacobsvante/netsuite PR 26, since NetSuite 2021.1), and oauthlib
    (requests-oauthlib) adds the hash to any non-form body; both beside an HMAC-SHA256 signature.
    A SHA-256 hash (the signature method's digest) is accepted too: whether NetSuite checks the
    algorithm at all is not documented (UNCERTAIN), so neither form is refused.
    """
    return any(
        hmac.compare_digest(sent.encode(), base64.b64encode(hashlib.new(name, body).digest()))
        for name in ("sha1", "sha256")
    )


def parse_oauth_header(value: str) -> dict[str, str] | None:
    """`OAuth k="v", ...` -> decoded parameters, or None if it is not an OAuth header."""
    scheme, _, rest = value.strip().partition(" ")
    if scheme.lower() != "oauth":
        return None
    params: dict[str, str] = {}
    for part in rest.split(","):
        match = _PARAM.fullmatch(part)
        if not match:
            return None
        params[match.group(1)] = unquote(match.group(2))
    return params


class AuthFailure(Exception):
    """Why a request was refused (kept for the audit trail, never sent to the client)."""


@dataclass
class Credential:
    consumer_key: str
    consumer_secret: str
    token_id: str
    token_secret: str
    revoked: bool = False


@dataclass
class TbaVerifier:
    """Verifies the TBA header of each request of one account."""

    account_id: str
    credential: Credential
    clock: Clock
    audit: Counter[str] = field(default_factory=Counter)
    _nonces: dict[tuple[str, str], float] = field(default_factory=dict)

    def verify(self, request: Request, body: bytes) -> None:
        """Raise `AuthFailure` unless the request is correctly signed; remember its nonce."""
        try:
            self._verify(request, body)
        except AuthFailure as exc:
            self.audit[str(exc)] += 1
            raise
        self.audit["success"] += 1

    def _verify(self, request: Request, body: bytes) -> None:
        params = parse_oauth_header(request.headers.get("authorization", ""))
        if params is None:
            raise AuthFailure("missing_or_malformed_header")
        missing = [name for name in REQUIRED if not params.get(name)]
        if missing:
            raise AuthFailure(f"missing_{missing[0]}")
        if params.get("realm") != realm_form(self.account_id):
            # netsuite-connector.md §Hosts and realm: upper-case realm with underscore
            raise AuthFailure("invalid_realm")
        if params["oauth_signature_method"] != "HMAC-SHA256":
            raise AuthFailure("unsupported_signature_method")  # HMAC-SHA1 ended in 2023.1
        if params.get("oauth_version", "1.0") != "1.0":
            raise AuthFailure("invalid_version")
        cred = self.credential
        if params["oauth_consumer_key"] != cred.consumer_key:
            raise AuthFailure("invalid_consumer_key")
        if params["oauth_token"] != cred.token_id or cred.revoked:
            raise AuthFailure("invalid_token")
        self._check_timestamp(params["oauth_timestamp"])
        if len(params["oauth_nonce"]) < 6:
            raise AuthFailure("invalid_nonce")
        if "oauth_body_hash" in params and not body_hash_matches(params["oauth_body_hash"], body):
            raise AuthFailure("body_hash_mismatch")
        signed = [(k, v) for k, v in params.items() if k not in ("realm", "oauth_signature")]
        signed += list(request.query_params.multi_items())
        base = base_string(request.method, self._base_url(request), signed)
        expected = sign(base, cred.consumer_secret, cred.token_secret)
        if not hmac.compare_digest(params["oauth_signature"], expected):
            raise AuthFailure("invalid_signature")
        self._use_nonce(params["oauth_token"], params["oauth_nonce"])

    def _check_timestamp(self, raw: str) -> None:
        if not raw.isdigit():
            raise AuthFailure("invalid_timestamp")
        if abs(int(raw) - self.clock.time()) > TIMESTAMP_TOLERANCE:
            raise AuthFailure("timestamp_refused")  # netsuite-connector.md §Token-based authentication

    def _use_nonce(self, token: str, nonce: str) -> None:
        now = self.clock.time()
        if len(self._nonces) > 10_000:
            self._nonces = {k: t for k, t in self._nonces.items() if now - t < NONCE_MEMORY}
        seen = self._nonces.get((token, nonce))
        if seen is not None and now - seen < NONCE_MEMORY:
            raise AuthFailure("nonce_used")  # netsuite-connector.md §Token-based authentication
        self._nonces[(token, nonce)] = now

    def _base_url(self, request: Request) -> str:
        """The URL the client signed: the real account host over https, or the simulator's own URL."""
        host = (request.headers.get("host") or "").lower()
        hostname, _, port = host.partition(":")
        match = _NETSUITE_HOST.match(hostname)
        if match:
            if match.group("account") != host_form(self.account_id):
                raise AuthFailure("wrong_account_host")
            return f"https://{hostname}{request.url.path}"
        scheme = request.url.scheme.lower()
        default = {"http": "80", "https": "443"}.get(scheme)
        netloc = hostname if not port or port == default else f"{hostname}:{port}"
        return f"{scheme}://{netloc}{request.url.path}"

    def reset(self) -> None:
        self._nonces.clear()
        self.audit.clear()
        self.credential.revoked = False
