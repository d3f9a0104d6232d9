"""Xero identity: the OAuth 2.0 token store and the `/connect/token`, authorize and `/connections` routes.

xero.md §Tenancy and OAuth 2.0: access tokens live 30 minutes; every refresh returns a new refresh token
(rotation) and the previous one keeps working for a 30-minute grace window (in case the response was
lost), after which it is `invalid_grant`; an unused refresh token expires after 60 days. Clients
authenticate with HTTP Basic `client_id:client_secret` (or the two form fields). The authorize endpoint
approves at once and redirects with a one-time code; a `code_challenge` (PKCE, RFC 7636, method S256,
which Xero's auth-code flow supports) binds the code to the `code_verifier` the token request must then
carry. `/connect/revocation` (RFC 7009, client authenticated like the token endpoint, form `token=`) revokes a
refresh token: it is `invalid_grant` from then on. Xero's revocation also removes the user's
connections to the app (xero-ruby PR #125 quoting Xero's "Revoking tokens"); the simulator has a single
implicit user whose connections every grant shares, so it does not model that removal.
`/connections` lists the tenants the token set may use (an array of `{id, authEventId, tenantId,
tenantType, tenantName, createdDateUtc, updatedDateUtc}`, xero.md §Tenancy and OAuth 2.0 [X2]); it is not
tenant-scoped.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
from dataclasses import dataclass, field
from urllib.parse import urlencode

from erpsim.core.clock import Clock
from erpsim.core.seeding import SeededData

ACCESS_TTL = 30 * 60
REFRESH_GRACE = 30 * 60
REFRESH_TTL = 60 * 24 * 3600
CODE_TTL = 5 * 60
SCOPES = "offline_access accounting.transactions accounting.contacts accounting.settings"


class OAuthError(Exception):
    """An RFC 6749 error response: `{"error": code}` with an HTTP status."""

    def __init__(self, code: str, status: int = 400) -> None:
        super().__init__(code)
        self.code, self.status = code, status


@dataclass
class _Refresh:
    expires_at: float
    superseded_at: float | None = None  # when a refresh rotated it away


@dataclass
class TokenStore:
    """Issued access tokens, refresh tokens (with rotation grace) and authorization codes."""

    clock: Clock
    client_id: str
    client_secret: str
    data: SeededData
    access: dict[str, float] = field(default_factory=dict)  # token -> expires at (epoch)
    refresh: dict[str, _Refresh] = field(default_factory=dict)
    # code -> (expires, redirect_uri, PKCE S256 challenge or None)
    codes: dict[str, tuple[float, str, str | None]] = field(default_factory=dict)

    def install(self, access_token: str, refresh_token: str) -> None:
        """The token pair handed out by `credentials()`, valid from the start."""
        now = self.clock.time()
        self.access[access_token] = now + ACCESS_TTL
        self.refresh[refresh_token] = _Refresh(now + REFRESH_TTL)

    def access_valid(self, token: str) -> bool:
        expires = self.access.get(token)
        return expires is not None and self.clock.time() < expires

    def expire_all(self) -> None:
        now = self.clock.time()
        for token in self.access:
            self.access[token] = min(self.access[token], now)

    def check_client(self, authorization: str | None, form: dict[str, str]) -> None:
        client_id, secret = form.get("client_id"), form.get("client_secret")
        if authorization and authorization.lower().startswith("basic "):
            try:
                decoded = base64.b64decode(authorization[6:].strip(), validate=True).decode()
            except (binascii.Error, UnicodeDecodeError):
                raise OAuthError("invalid_client", 401) from None
            client_id, _, secret = decoded.partition(":")
        if client_id != self.client_id or secret != self.client_secret:
            raise OAuthError("invalid_client", 401)

    def authorize(self, redirect_uri: str, state: str | None, challenge: str | None = None) -> str:
        """Approve at once: the redirect location carrying a fresh one-time code (bound to `challenge`,
        an S256 PKCE challenge, when one was sent)."""
        code = self.data.token(40)
        self.codes[code] = (self.clock.time() + CODE_TTL, redirect_uri, challenge)
        query = {"code": code, "scope": SCOPES}
        if state is not None:
            query["state"] = state
        separator = "&" if "?" in redirect_uri else "?"
        return f"{redirect_uri}{separator}{urlencode(query)}"

    def grant(self, form: dict[str, str]) -> dict[str, object]:
        grant_type = form.get("grant_type")
        if grant_type == "authorization_code":
            self._redeem_code(form.get("code", ""), form.get("redirect_uri", ""), form.get("code_verifier"))
        elif grant_type == "refresh_token":
            self._rotate(form.get("refresh_token", ""))
        else:
            raise OAuthError("unsupported_grant_type")
        return self._issue()

    def _redeem_code(self, code: str, redirect_uri: str, verifier: str | None) -> None:
        entry = self.codes.pop(code, None)
        if entry is None or entry[0] <= self.clock.time() or entry[1] != redirect_uri:
            raise OAuthError("invalid_grant")
        challenge = entry[2]
        if challenge is not None and not _verifier_matches(verifier, challenge):
            raise OAuthError("invalid_grant")  # RFC 7636 §4.6: a missing or wrong verifier

    def _rotate(self, token: str) -> None:
        now = self.clock.time()
        entry = self.refresh.get(token)
        if entry is None or entry.expires_at <= now:
            raise OAuthError("invalid_grant")
        if entry.superseded_at is not None and now - entry.superseded_at > REFRESH_GRACE:
            raise OAuthError("invalid_grant")
        if entry.superseded_at is None:
            entry.superseded_at = now

    def revoke(self, token: str) -> None:
        """RFC 7009 revocation of a refresh token: refused from now on (a token it does not know, or
        an access token, is accepted and changes nothing, as RFC 7009 §2.2 asks)."""
        self.refresh.pop(token, None)

    def _issue(self) -> dict[str, object]:
        now = self.clock.time()
        access_token = "xat_" + self.data.token(60)
        refresh_token = "xrt_" + self.data.token(40)
        self.access[access_token] = now + ACCESS_TTL
        self.refresh[refresh_token] = _Refresh(now + REFRESH_TTL)
        return {
            "access_token": access_token,
            "expires_in": ACCESS_TTL,
            "token_type": "Bearer",
            "refresh_token": refresh_token,
            "scope": SCOPES,
        }


def _verifier_matches(verifier: str | None, challenge: str) -> bool:
    """RFC 7636 S256: BASE64URL(SHA256(verifier)) without padding equals the challenge."""
    if not verifier:
        return False
    digest = hashlib.sha256(verifier.encode("ascii", "replace")).digest()
    expected = base64.urlsafe_b64encode(digest).rstrip(b"=").decode()
    return hmac.compare_digest(expected, challenge)
