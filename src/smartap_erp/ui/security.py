"""Who is signed in to the web UI, and proof that a form came from our own page.

The session cookie (`smartap_session`) holds a random token whose SHA-256 is stored
(`app.users`); it is HttpOnly, SameSite=Lax, and Secure when the request came over https (uvicorn
honours `X-Forwarded-Proto` from trusted proxies). Every form that changes something carries a CSRF
token: an HMAC of the cookie token that binds the browser (the session cookie once signed in; before
that, a random `smartap_presession` cookie set by the sign-in page). The token reveals nothing about the
cookie, is checked in constant time, and a POST whose `Origin` names another site is refused too.

    @router.get("/ui/things")
    async def things(request: Request, user: Viewer) -> HTMLResponse: ...

    @router.post("/ui/things")
    async def make(request: Request, user: Operator, form: CheckedForm) -> Response: ...
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from typing import Annotated

from fastapi import Depends, HTTPException, Request, Response
from starlette.datastructures import FormData

from smartap_erp.app import users
from smartap_erp.app.context import AppContext
from smartap_erp.app.users import Role, UserInfo

SESSION_COOKIE = "smartap_session"
PRESESSION_COOKIE = "smartap_presession"
CSRF_FIELD = "csrf_token"
_CSRF_CONTEXT = b"smartap-ui-csrf-v1"


class SignInRequired(Exception):
    """No live session: the browser is sent to the sign-in page (then back to `next`)."""

    def __init__(self, next_path: str) -> None:
        self.next_path = next_path


def csrf_token_for(binding: str) -> str:
    return hmac.new(binding.encode(), _CSRF_CONTEXT, hashlib.sha256).hexdigest()


def binding_of(request: Request) -> str | None:
    """The cookie value CSRF tokens are bound to: the session's, else the pre-session one."""
    return request.cookies.get(SESSION_COOKIE) or request.cookies.get(PRESESSION_COOKIE)


def csrf_token(request: Request) -> str:
    """The token a form on this page must send back (ensures a binding cookie exists)."""
    binding = binding_of(request) or getattr(request.state, "new_presession", None)
    if binding is None:
        binding = secrets.token_urlsafe(32)
        request.state.new_presession = binding  # set on the response by `remember_presession`
    return csrf_token_for(binding)


def remember_presession(request: Request, response: Response) -> None:
    fresh = getattr(request.state, "new_presession", None)
    if fresh is not None:
        set_cookie(request, response, PRESESSION_COOKIE, fresh, max_age=3600)


def set_cookie(request: Request, response: Response, name: str, value: str, *, max_age: int) -> None:
    response.set_cookie(
        name,
        value,
        max_age=max_age,
        path="/",
        httponly=True,
        samesite="lax",
        secure=request.url.scheme == "https",
    )


def _context(request: Request) -> AppContext:
    ctx: AppContext = request.app.state.ctx
    return ctx


async def optional_user(request: Request) -> UserInfo | None:
    token = request.cookies.get(SESSION_COOKIE)
    if not token:
        return None
    user = await users.session_user(_context(request), token)
    request.state.user = user
    return user


def require_role(role: Role) -> object:
    async def check(request: Request) -> UserInfo:
        user = await optional_user(request)
        if user is None:
            path = request.url.path + (f"?{request.url.query}" if request.url.query else "")
            raise SignInRequired(path if request.method == "GET" else "/ui/")
        if not user.role.allows(role):
            raise HTTPException(403, f"this needs the {role.value} role; you are {user.role.value}")
        return user

    check.__name__ = f"require_{role.value}"
    return Depends(check)


async def checked_form(request: Request) -> FormData:
    """The submitted form, once its CSRF token and origin are checked (403 otherwise)."""
    origin = request.headers.get("origin")
    if origin and origin != "null" and origin.rstrip("/") != str(request.base_url).rstrip("/"):
        raise HTTPException(403, "this form was sent from another site")
    form = await request.form()
    sent = form.get(CSRF_FIELD)
    binding = binding_of(request)
    if not isinstance(sent, str) or binding is None or not hmac.compare_digest(sent, csrf_token_for(binding)):
        raise HTTPException(
            403, "the form's security token is missing or stale: reload the page and try again"
        )
    return form


Viewer = Annotated[UserInfo, require_role(Role.VIEWER)]
Operator = Annotated[UserInfo, require_role(Role.OPERATOR)]
Admin = Annotated[UserInfo, require_role(Role.ADMIN)]
CheckedForm = Annotated[FormData, Depends(checked_form)]
