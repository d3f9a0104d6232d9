"""The state of an OAuth connect flow in progress (`app.oauth`), kept in `oauth_flows`: the `state`
sent with the authorize URL, and the one-time `choice` token of a Xero login that reaches several
organisations, are Fernet tokens of the credential vault (signed and encrypted with the
installation's keys, so a foreign or altered one fails to open) naming their flow and their purpose,
stored only as their SHA-256. A token is valid for `FLOW_TTL` and spent by a compare-and-set on first
use, so a replay is refused (`OAuthStateError`); what the flow keeps between its steps (the PKCE
verifier, a new connection's client, a token pair awaiting a tenant choice) is vault-encrypted too.
Flows past their expiry are swept as new ones start.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from smartap_erp.app.context import AppContext
from smartap_erp.db.models.oauth import OAuthFlow
from smartap_erp.errors import ConfigurationError, CredentialDecryptionError

FLOW_TTL = dt.timedelta(minutes=10)  # an authorize round trip (or a tenant choice) takes minutes
_PURPOSE = {"authorize": "oauth-state", "choose_tenant": "oauth-tenant-choice"}


class OAuthStateError(ConfigurationError):
    """A state (or tenant choice) that is unknown, altered, expired or already used."""


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def new_token(ctx: AppContext, flow: OAuthFlow) -> str:
    """A fresh state (or choice) for `flow` at its stage: signed and encrypted by the vault, stored
    hashed."""
    token = ctx.vault.encrypt(
        {"flow": str(flow.id), "purpose": _PURPOSE[flow.stage], "nonce": secrets.token_urlsafe(16)}
    ).decode()
    flow.state_hash = _hash(token)
    return token


async def sweep_expired(session: AsyncSession, now: dt.datetime) -> None:
    """Delete the flows past their expiry (abandoned, refused, spent)."""
    await session.execute(delete(OAuthFlow).where(OAuthFlow.expires_at < now))


async def claim(
    ctx: AppContext, session: AsyncSession, token: str, stage: str, now: dt.datetime
) -> OAuthFlow:
    """The flow `token` belongs to, marked used; refused unless it was ours, unused and unexpired."""
    try:
        opened = ctx.vault.decrypt(token.encode(), owner="an OAuth state")
    except (CredentialDecryptionError, UnicodeError):
        raise OAuthStateError("OAuth state not recognised: start the connection again") from None
    if opened.get("purpose") != _PURPOSE[stage]:
        raise OAuthStateError("OAuth state not recognised: start the connection again")
    claimed = await session.execute(
        update(OAuthFlow)
        .where(
            OAuthFlow.state_hash == _hash(token),
            OAuthFlow.stage == stage,
            OAuthFlow.used_at.is_(None),
            OAuthFlow.expires_at > now,
        )
        .values(used_at=now)
        .execution_options(synchronize_session=False)
    )
    await session.commit()
    if getattr(claimed, "rowcount", 0) != 1:
        raise OAuthStateError("OAuth state already used or expired: start the connection again")
    flow = await session.scalar(select(OAuthFlow).where(OAuthFlow.state_hash == _hash(token)))
    assert flow is not None  # just claimed
    return flow


def kept_secrets(ctx: AppContext, flow: OAuthFlow) -> dict[str, Any]:
    """What the flow keeps encrypted between its steps."""
    return ctx.vault.decrypt(flow.secrets, owner="an OAuth flow").to_dict()
