"""QBO OAuth 2.0: seeded credentials, the token server state, and its HTTP endpoints
(quickbooks.md §OAuth 2.0 tokens).

Endpoints, at the real paths under the simulator's base URL:
    GET  /connect/oauth2                 authorize: approves at once, redirects with code, state, realmId
    POST /oauth2/v1/tokens/bearer        grant_type=authorization_code | refresh_token; client auth by
                                         HTTP Basic (client_secret_basic) or form (client_secret_post)
    POST /v2/oauth2/tokens/revoke        {"token": ...}; revokes the whole grant
    GET  /.well-known/openid_configuration   the discovery document naming the three above (and the
                                         sandbox / hyphenated names of it)
Access tokens last 3600 s on the simulator clock; refresh tokens 100 days (`x_refresh_token_expires_in`
8726400) and rotate on every refresh. An older refresh token of a grant is refused with
`invalid_grant` once a newer one has been used (quickbooks.md §OAuth 2.0 tokens). Errors follow RFC 6749
(`{"error": "invalid_grant", "error_description": ...}`). Tokens never appear in messages or reprs.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import random
import secrets
import string
from dataclasses import dataclass, field
from urllib.parse import parse_qs, urlencode

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from erpsim.core.clock import Clock
from erpsim.core.jsonutil import SimJSONResponse
from erpsim.core.simulator import SimConfig
from erpsim.core.stats import Stats

ACCESS_TTL = 3600
# 101 days in seconds as QBO reports it; "rolling 100 days" (quickbooks.md §OAuth 2.0 tokens)
REFRESH_TTL = 8_726_400
CODE_TTL = 600  # authorization codes: short-lived; exact lifetime not in Intuit's docs
SCOPE = "com.intuit.quickbooks.accounting"
_ALNUM = string.ascii_letters + string.digits


def credentials(config: SimConfig) -> dict[str, str]:
    """The seeded credentials: same seed, same values; valid from the moment the simulator starts."""
    rng = random.Random(f"quickbooks-credentials-{config.seed}")  # noqa: S311 (deterministic test data)

    def text(n: int, alphabet: str = _ALNUM) -> str:
        return "".join(rng.choice(alphabet) for _ in range(n))

    return {
        "client_id": "AB" + text(48),
        "client_secret": text(40),
        "realm_id": "9130" + text(15, string.digits),
        "access_token": "eyJlbmMiOiJBMTI4Q0JDLUhTMjU2IiwiYWxnIjoiZGlyIn0.." + text(96) + "." + text(22),
        "refresh_token": "RT1-" + text(12, string.digits) + "-H0-" + text(34),
    }


@dataclass
class _Refresh:
    grant: int
    generation: int
    expires: float


@dataclass
class _Access:
    grant: int
    expires: float


@dataclass
class TokenServer:
    """Every token and code issued by this simulator, keyed by a hash (the raw values are not kept)."""

    clock: Clock
    stats: Stats
    client_id: str
    client_secret: str
    realm_id: str
    access: dict[str, _Access] = field(default_factory=dict)
    refresh: dict[str, _Refresh] = field(default_factory=dict)
    newest_used: dict[int, int] = field(default_factory=dict)  # grant -> newest generation used
    revoked: set[int] = field(default_factory=set)
    codes: dict[str, tuple[str, float]] = field(default_factory=dict)  # code -> (redirect_uri, expires)
    _grants: int = 0

    def __repr__(self) -> str:
        return (
            f"TokenServer(realm_id={self.realm_id!r}, access={len(self.access)}, refresh={len(self.refresh)})"
        )

    def seed(self, access_token: str, refresh_token: str) -> None:
        grant = self._new_grant()
        now = self.clock.time()
        self.access[_h(access_token)] = _Access(grant, now + ACCESS_TTL)
        self.refresh[_h(refresh_token)] = _Refresh(grant, 0, now + REFRESH_TTL)

    def _new_grant(self) -> int:
        self._grants += 1
        self.newest_used[self._grants] = -1
        return self._grants

    def check_access(self, token: str) -> str | None:
        """None if the token is good, else the 401 detail ("Token expired" / "Token revoked" / ...)."""
        entry = self.access.get(_h(token))
        if entry is None:
            return "Token invalid"
        if entry.grant in self.revoked:
            return "Token revoked"
        if self.clock.time() >= entry.expires:
            return "Token expired"
        return None

    def expire_all(self) -> None:
        now = self.clock.time()
        for entry in self.access.values():
            entry.expires = min(entry.expires, now)

    def issue(self, grant: int, generation: int) -> dict[str, object]:
        access, refresh = _token("eyJ", 160), _token("RT1-", 50)
        now = self.clock.time()
        self.access[_h(access)] = _Access(grant, now + ACCESS_TTL)
        self.refresh[_h(refresh)] = _Refresh(grant, generation, now + REFRESH_TTL)
        self.stats.incr("tokens_issued")
        return {
            "token_type": "bearer",
            "access_token": access,
            "expires_in": ACCESS_TTL,
            "refresh_token": refresh,
            "x_refresh_token_expires_in": REFRESH_TTL,
        }

    def redeem_refresh(self, token: str) -> dict[str, object] | None:
        entry = self.refresh.get(_h(token))
        if entry is None or entry.grant in self.revoked or self.clock.time() >= entry.expires:
            return None
        if entry.generation < self.newest_used[entry.grant]:  # superseded by a newer token already used
            return None
        self.newest_used[entry.grant] = entry.generation
        self.stats.incr("tokens_refreshed")
        return self.issue(entry.grant, entry.generation + 1)

    def new_code(self, redirect_uri: str) -> str:
        code = _token("AB11", 40)
        self.codes[code] = (redirect_uri, self.clock.time() + CODE_TTL)
        return code

    def redeem_code(self, code: str, redirect_uri: str) -> dict[str, object] | None:
        stored = self.codes.pop(code, None)  # single use
        if stored is None or stored[0] != redirect_uri or self.clock.time() >= stored[1]:
            return None
        return self.issue(self._new_grant(), 0)

    def revoke(self, token: str) -> bool:
        key = _h(token)
        entry = self.refresh.get(key) or self.access.get(key)
        if entry is None:
            return False
        self.revoked.add(entry.grant)
        return True


def _h(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _token(prefix: str, length: int) -> str:
    return prefix + "".join(secrets.choice(_ALNUM) for _ in range(length))


def _oauth_error(error: str, description: str, status: int = 400) -> Response:
    return SimJSONResponse({"error": error, "error_description": description}, status_code=status)


def _client(request: Request, form: dict[str, str]) -> tuple[str, str] | None:
    header = request.headers.get("authorization", "")
    if header.lower().startswith("basic "):
        try:
            user, _, password = base64.b64decode(header[6:].strip()).decode().partition(":")
        except (binascii.Error, UnicodeDecodeError):
            return None
        return user, password
    if "client_id" in form:  # client_secret_post
        return form["client_id"], form.get("client_secret", "")
    return None


def _client_ok(server: TokenServer, client: tuple[str, str] | None) -> bool:
    return (
        client is not None
        and secrets.compare_digest(client[0], server.client_id)
        and secrets.compare_digest(client[1], server.client_secret)
    )


async def token_endpoint(server: TokenServer, request: Request) -> Response:
    if not request.headers.get("content-type", "").startswith("application/x-www-form-urlencoded"):
        return _oauth_error("invalid_request", "Content-Type must be application/x-www-form-urlencoded")
    form = {k: v[0] for k, v in parse_qs((await request.body()).decode("utf-8", "replace")).items()}
    if not _client_ok(server, _client(request, form)):
        return _oauth_error("invalid_client", "Client authentication failed", 401)
    grant_type = form.get("grant_type")
    if grant_type == "refresh_token":
        issued = server.redeem_refresh(form.get("refresh_token", ""))
        if issued is None:
            return _oauth_error("invalid_grant", "Incorrect or invalid refresh token")
    elif grant_type == "authorization_code":
        issued = server.redeem_code(form.get("code", ""), form.get("redirect_uri", ""))
        if issued is None:
            return _oauth_error("invalid_grant", "Invalid or expired authorization code")
    else:
        return _oauth_error("unsupported_grant_type", f"Unsupported grant_type {grant_type!r}")
    return SimJSONResponse(issued, headers={"Cache-Control": "no-store", "Pragma": "no-cache"})


async def authorize_endpoint(server: TokenServer, request: Request) -> Response:
    params = request.query_params
    redirect_uri, state = params.get("redirect_uri", ""), params.get("state", "")
    if params.get("client_id") != server.client_id or not redirect_uri:
        return _oauth_error("invalid_request", "Unknown client_id or missing redirect_uri")
    if params.get("response_type") != "code":
        error = {"error": "unsupported_response_type", "state": state}
        return RedirectResponse(f"{redirect_uri}?{urlencode(error)}", status_code=302)
    if SCOPE not in params.get("scope", "").split():
        error = {"error": "invalid_scope", "state": state}
        return RedirectResponse(f"{redirect_uri}?{urlencode(error)}", status_code=302)
    query = urlencode({"code": server.new_code(redirect_uri), "state": state, "realmId": server.realm_id})
    return RedirectResponse(f"{redirect_uri}?{query}", status_code=302)


async def revoke_endpoint(server: TokenServer, request: Request) -> Response:
    if not _client_ok(server, _client(request, {})):
        return _oauth_error("invalid_client", "Client authentication failed", 401)
    try:
        token = (await request.json()).get("token", "")
    except (ValueError, AttributeError):
        return _oauth_error("invalid_request", 'Body must be {"token": ...}')
    server.revoke(str(token))
    return Response(status_code=200)


# intuit-oauth reads the underscore forms; quickbooks.md §OAuth 2.0 tokens [Q16] cites the hyphen form
DISCOVERY_PATHS = (
    "/.well-known/openid_configuration",
    "/.well-known/openid_sandbox_configuration",
    "/.well-known/openid-configuration",
    "/.well-known/openid-sandbox-configuration",
)


async def discovery_endpoint(request: Request) -> Response:
    """The OpenID discovery document (quickbooks.md §OAuth 2.0 tokens [Q16]): Intuit's endpoints at the
    simulator's base URL.

    Clients such as intuit-oauth read the token, authorize and revoke URLs from it; the real document
    spreads them over several Intuit hosts, here every path is under the one simulator base URL.
    The userinfo and jwks paths are listed as Intuit names them but not served (no OpenID scopes).
    """
    base = str(request.base_url).rstrip("/")
    return SimJSONResponse(
        {
            "issuer": f"{base}/op/v1",
            "authorization_endpoint": f"{base}/connect/oauth2",
            "token_endpoint": f"{base}/oauth2/v1/tokens/bearer",
            "userinfo_endpoint": f"{base}/v1/openid_connect/userinfo",
            "revocation_endpoint": f"{base}/v2/oauth2/tokens/revoke",
            "jwks_uri": f"{base}/op/v1/jwks",
            "response_types_supported": ["code"],
            "grant_types_supported": ["authorization_code", "refresh_token"],
            "scopes_supported": [SCOPE],
            "token_endpoint_auth_methods_supported": ["client_secret_post", "client_secret_basic"],
        }
    )
