"""API keys over HTTP (admin scope): create (the key is in this one response, never again), list
(prefix, scope, last use; never the key or its hash), revoke (refused from the next request on)."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Depends

from smartap_erp.api.deps import Ctx, require
from smartap_erp.app import api_keys
from smartap_erp.app.api_keys import APIKeyCreate, APIKeyInfo, CreatedAPIKey

router = APIRouter(prefix="/api/v1/api-keys", tags=["api keys"], dependencies=[Depends(require("admin"))])


@router.post("", status_code=201, summary="Create a key (shown once)")
async def create_key(ctx: Ctx, body: APIKeyCreate) -> CreatedAPIKey:
    return await api_keys.create(ctx, body)


@router.get("", summary="List keys")
async def list_keys(ctx: Ctx, include_revoked: bool = True) -> list[APIKeyInfo]:
    return await api_keys.list_keys(ctx, include_revoked=include_revoked)


@router.post("/{key_id}/revoke", summary="Revoke a key")
async def revoke_key(ctx: Ctx, key_id: uuid.UUID) -> APIKeyInfo:
    return await api_keys.revoke(ctx, str(key_id))
