"""Sign-in and sign-out pages (`/ui/login`, `/ui/logout`) and `/ui/`, which sends a signed-in person
to the connections screen. A refused sign-in says only "wrong username or password" (never which);
too many failures answer 429 with `Retry-After`; `next` may only name a page of the UI."""

from __future__ import annotations

import math

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from smartap_erp.app import users
from smartap_erp.app.users import SignInRefused, TooManyAttempts
from smartap_erp.ui.security import (
    PRESESSION_COOKIE,
    SESSION_COOKIE,
    CheckedForm,
    Viewer,
    optional_user,
    set_cookie,
)
from smartap_erp.ui.templating import render

router = APIRouter(include_in_schema=False)


def safe_next(value: object) -> str:
    """Where to go after signing in: a path inside the UI, never another site."""
    text = value if isinstance(value, str) else ""
    if text.startswith("/ui") and not text.startswith("//") and "\\" not in text:
        return text
    return "/ui/"


@router.get("/ui/")
async def home(user: Viewer) -> RedirectResponse:
    return RedirectResponse("/ui/connections", status_code=303)


@router.get("/ui/login")
async def login_page(request: Request, next: str = "/ui/") -> Response:
    if await optional_user(request) is not None:
        return RedirectResponse(safe_next(next), status_code=303)
    return render(request, "login.html", next=safe_next(next), error=None, username="")


@router.post("/ui/login")
async def login(request: Request, form: CheckedForm) -> Response:
    username = str(form.get("username", ""))
    target = safe_next(form.get("next"))
    client = request.client.host if request.client else "unknown"
    try:
        signed_in = await users.sign_in(
            request.app.state.ctx, username, str(form.get("password", "")), client=client
        )
    except TooManyAttempts as exc:
        page = render(request, "login.html", 429, next=target, error=str(exc), username=username)
        page.headers["Retry-After"] = str(max(1, math.ceil(exc.retry_after.total_seconds())))
        return page
    except SignInRefused as exc:
        return render(request, "login.html", 401, next=target, error=str(exc), username=username)
    response = RedirectResponse(target, status_code=303)
    set_cookie(
        request, response, SESSION_COOKIE, signed_in.token, max_age=int(users.LIFETIME.total_seconds())
    )
    response.delete_cookie(PRESESSION_COOKIE, path="/")
    return response


@router.post("/ui/logout")
async def logout(request: Request, form: CheckedForm) -> Response:
    token = request.cookies.get(SESSION_COOKIE)
    if token:
        await users.sign_out(request.app.state.ctx, token)
    response = RedirectResponse("/ui/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response
