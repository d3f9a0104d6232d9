"""The identity routes of the Xero simulator: authorize, `/connect/token`, `/connect/revocation` and
`/connections`.

Real hosts are `login.xero.com/identity/connect/authorize`, `identity.xero.com/connect/token` and
`api.xero.com/connections` (xero.md §Tenancy and OAuth 2.0); under the simulator's base URL they keep
their paths. The authorize endpoint approves at once (302 to `redirect_uri` with `code` and `state`),
binding the code to a PKCE S256 `code_challenge` when one is sent. The token endpoint takes form-encoded
`authorization_code` and `refresh_token` grants with client authentication (Basic or form fields) and
counts issued and refreshed tokens for `/_sim/state`. The revocation endpoint (`identity.xero.com/
connect/revocation`, RFC 7009: Basic client authentication, form `token=<refresh token>`, 200) makes
that refresh token `invalid_grant`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING
from urllib.parse import parse_qsl

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from erpsim.core.jsonutil import SimJSONResponse
from erpsim.xero import responses
from erpsim.xero.identity import OAuthError

if TYPE_CHECKING:
    from erpsim.xero.simulator import XeroSim


def identity_routes(sim: XeroSim) -> list[BaseRoute]:
    async def authorize(request: Request) -> Response:
        params = request.query_params
        if params.get("client_id") != sim.tokens.client_id or params.get("response_type") != "code":
            return responses.oauth_error("invalid_request", 400)
        redirect_uri = params.get("redirect_uri")
        if not redirect_uri:
            return responses.oauth_error("invalid_request", 400)
        challenge = params.get("code_challenge")
        if challenge is not None and params.get("code_challenge_method") != "S256":
            return responses.oauth_error("invalid_request", 400)  # only S256 is offered
        location = sim.tokens.authorize(redirect_uri, params.get("state"), challenge)
        return RedirectResponse(location, status_code=302)

    async def client_form(request: Request) -> dict[str, str]:
        """The form of a request the app's client authenticated (`OAuthError` otherwise)."""
        if not request.headers.get("content-type", "").startswith("application/x-www-form-urlencoded"):
            raise OAuthError("invalid_request")
        form = dict(parse_qsl((await request.body()).decode("utf-8", "replace")))
        sim.tokens.check_client(request.headers.get("authorization"), form)
        return form

    async def token(request: Request) -> Response:
        try:
            form = await client_form(request)
            issued = sim.tokens.grant(form)
        except OAuthError as exc:
            return responses.oauth_error(exc.code, exc.status)
        sim.stats.incr("tokens_issued")
        if form.get("grant_type") == "refresh_token":
            sim.stats.incr("tokens_refreshed")
        return SimJSONResponse(issued, headers={"Cache-Control": "no-store"})

    async def revocation(request: Request) -> Response:
        try:
            form = await client_form(request)
        except OAuthError as exc:
            return responses.oauth_error(exc.code, exc.status)
        if not form.get("token"):
            return responses.oauth_error("invalid_request", 400)
        sim.tokens.revoke(form["token"])
        sim.stats.incr("tokens_revoked")
        return Response(status_code=200)

    async def connections(request: Request) -> Response:
        denied = sim.authenticate(request)
        if denied is not None:
            return denied
        return SimJSONResponse(list(sim.connections.values()))

    async def disconnect(request: Request) -> Response:
        denied = sim.authenticate(request)
        if denied is not None:
            return denied
        if sim.connections.pop(request.path_params["id"].lower(), None) is None:
            return Response(status_code=404)
        return Response(status_code=204)

    return [
        Route("/identity/connect/authorize", authorize, methods=["GET"]),
        Route("/connect/token", token, methods=["POST"]),
        Route("/connect/revocation", revocation, methods=["POST"]),
        # Xero documents `/connections`; the identity spec spells it `/Connections` (both work).
        Route("/connections", connections, methods=["GET"]),
        Route("/Connections", connections, methods=["GET"]),
        Route("/connections/{id}", disconnect, methods=["DELETE"]),
        Route("/Connections/{id}", disconnect, methods=["DELETE"]),
    ]
