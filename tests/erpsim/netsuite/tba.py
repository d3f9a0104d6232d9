"""A deliberately simple TBA signer for the simulator tests, with knobs to get things wrong on purpose.

It builds the header from `erpsim.netsuite.auth.base_string` / `sign`, which `test_auth.py` checks
against the published HMAC-SHA256 test vector (netsuite-connector.md §Signature test vector) first, so the
simulator is verified against known-good signatures. Knobs: a fixed nonce or timestamp, another secret,
another realm or signature method, and `tamper`, a function that changes the request *after* it was signed.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Generator
from dataclasses import dataclass, field

import httpx

from erpsim.core import Clock
from erpsim.netsuite.auth import base_string, encode, realm_form, sign

_counter = itertools.count(1)


@dataclass
class SigningTBA(httpx.Auth):
    creds: dict[str, str]
    clock: Clock
    nonce: str | None = None
    timestamp: int | None = None
    consumer_secret: str | None = None
    realm: str | None = None
    method: str = "HMAC-SHA256"
    extra: dict[str, str] = field(default_factory=dict)
    tamper: Callable[[httpx.Request], httpx.Request] | None = None

    def base_url(self, url: httpx.URL) -> str:
        port = f":{url.port}" if url.port not in (None, 80, 443) else ""
        return f"{url.scheme}://{url.host}{port}{url.path}"

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        oauth = {
            "oauth_consumer_key": self.creds["consumer_key"],
            "oauth_token": self.creds["token_id"],
            "oauth_signature_method": self.method,
            "oauth_timestamp": str(self.timestamp if self.timestamp is not None else int(self.clock.time())),
            "oauth_nonce": self.nonce or f"nonce{next(_counter):08d}abcdefghij",
            "oauth_version": "1.0",
            **self.extra,
        }
        params = [*oauth.items(), *request.url.params.multi_items()]
        base = base_string(request.method, self.base_url(request.url), params)
        secret = self.consumer_secret or self.creds["consumer_secret"]
        oauth["oauth_signature"] = sign(base, secret, self.creds["token_secret"])
        realm = self.realm if self.realm is not None else realm_form(self.creds["account_id"])
        fields = [f'realm="{realm}"'] + [f'{k}="{encode(v)}"' for k, v in oauth.items()]
        request.headers["Authorization"] = "OAuth " + ", ".join(fields)
        yield self.tamper(request) if self.tamper else request
