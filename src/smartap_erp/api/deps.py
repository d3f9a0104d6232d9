"""What endpoints depend on: `Ctx`, the application's `AppContext` (opened once by the app's
lifespan), and `require(scope)`, the API-key check: `Authorization: Bearer <key>`, missing or unknown
or revoked key 401 (with `WWW-Authenticate: Bearer`), a key whose scope is too small 403. Scopes nest:
admin includes write, write includes read. The key is looked up on every request, so a revocation
holds from the next request on; the key itself is never logged or echoed.

    @router.post("/things", dependencies=[Depends(require("write"))])
    async def make(ctx: Ctx, caller: Annotated[APIKeyInfo, Depends(require("write"))]) -> ...
"""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import Depends, HTTPException, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from smartap_erp.app import api_keys
from smartap_erp.app.api_keys import APIKeyInfo, Scope
from smartap_erp.app.context import AppContext

_CHALLENGE = {"WWW-Authenticate": 'Bearer realm="smartap-erp"'}

bearer = HTTPBearer(auto_error=False, description="An API key: `smartap-erp api-keys create`")


async def app_context(request: Request) -> AppContext:
    ctx: AppContext = request.app.state.ctx
    return ctx


Ctx = Annotated[AppContext, Depends(app_context)]
Credentials = Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]


@functools.cache  # one callable per scope: FastAPI then checks a key once per request, however often named
def require(scope: str) -> Callable[..., Awaitable[APIKeyInfo]]:
    """A dependency that admits a live key of `scope` or above and returns it."""
    needed = Scope(scope)

    async def check(request: Request, ctx: Ctx, credentials: Credentials) -> APIKeyInfo:
        if credentials is None:
            raise HTTPException(401, "an API key is required: Authorization: Bearer <key>", _CHALLENGE)
        key = await api_keys.verify(ctx, credentials.credentials)
        if key is None:
            raise HTTPException(401, "the API key is not valid (unknown or revoked)", _CHALLENGE)
        if not key.scope.allows(needed):
            raise HTTPException(
                403, f"this needs a key of scope {needed.value}; this key is {key.scope.value}"
            )
        request.state.api_key = key
        return key

    check.__name__ = f"require_{needed.value}"
    return check


ReadKey = Annotated[APIKeyInfo, Depends(require("read"))]
WriteKey = Annotated[APIKeyInfo, Depends(require("write"))]
AdminKey = Annotated[APIKeyInfo, Depends(require("admin"))]
