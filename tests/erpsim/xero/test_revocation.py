"""Xero's revocation endpoint in the simulator (RFC 7009 at `/connect/revocation`): the app's client
authentication is required, the form names the token, a revoked refresh token is `invalid_grant` at
the token endpoint from then on (also inside the rotation grace), and an unknown token is accepted."""

from __future__ import annotations

import httpx

from .test_identity import FORM, basic, refresh


async def test_revoked_refresh_token_is_refused(client: httpx.AsyncClient, creds: dict[str, str]) -> None:
    token = creds["refresh_token"]
    wrong = await client.post("/connect/revocation", headers=basic(creds, "wrong"), content=f"token={token}")
    assert wrong.status_code == 401 and wrong.json()["error"] == "invalid_client"
    anonymous = await client.post("/connect/revocation", headers=FORM, content=f"token={token}")
    assert anonymous.status_code == 401
    empty = await client.post("/connect/revocation", headers=basic(creds), content="token=")
    assert empty.status_code == 400 and empty.json()["error"] == "invalid_request"
    assert (await refresh(client, creds, token)).status_code == 200  # still good before revocation

    revoked = await client.post("/connect/revocation", headers=basic(creds), content=f"token={token}")
    assert revoked.status_code == 200
    refused = await refresh(client, creds, token)  # within the 30-minute grace, yet refused
    assert refused.status_code == 400 and refused.json()["error"] == "invalid_grant"
    again = await client.post("/connect/revocation", headers=basic(creds), content=f"token={token}")
    assert again.status_code == 200  # RFC 7009 §2.2: an unknown token is not an error
