"""`install_ui(app)`: mounts the web UI on the API's FastAPI application: the static files, the page
routers of `routes/`, a redirect from `/` to the UI, security headers on UI pages, and error pages:
for a path under `/ui` an error is an HTML page (a missing session a redirect to sign-in); everywhere
else the API's problem documents stay as they are.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from http import HTTPStatus
from pathlib import Path
from typing import Any
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException  # the base FastAPI's own subclasses, as api.errors handles

from smartap_erp.api.errors import correlation_id, status_of
from smartap_erp.errors import SmartAPError
from smartap_erp.ui.routes import ROUTERS
from smartap_erp.ui.security import SignInRequired
from smartap_erp.ui.templating import render

STATIC = Path(__file__).parent / "static"
Handler = Callable[[Request, Exception], Awaitable[Response]]
AnyHandler = Callable[[Request, Any], Response | Awaitable[Response]]

# Pages load only our own files: no inline script, no third-party origin, no framing.
_SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "frame-ancestors 'none'; form-action 'self' http: https:; base-uri 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}


def install_ui(app: FastAPI) -> None:
    app.mount("/ui/static", StaticFiles(directory=STATIC), name="ui-static")
    for router in ROUTERS:
        app.include_router(router)

    @app.get("/", include_in_schema=False)
    async def root() -> RedirectResponse:
        return RedirectResponse("/ui/", status_code=307)

    @app.middleware("http")
    async def security_headers(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        response = await call_next(request)
        if request.url.path.startswith("/ui"):
            for name, value in _SECURITY_HEADERS.items():
                response.headers.setdefault(name, value)
        return response

    app.add_exception_handler(SignInRequired, _sign_in)
    for kind in (HTTPException, SmartAPError, RequestValidationError):
        app.add_exception_handler(kind, _pages_or(app.exception_handlers[kind]))


async def _sign_in(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, SignInRequired)
    return RedirectResponse(f"/ui/login?next={quote(exc.next_path, safe='/')}", status_code=303)


def _pages_or(api_handler: AnyHandler) -> Handler:
    """An HTML error page for UI paths; the API's own handler for every other path."""

    async def handle(request: Request, exc: Exception) -> Response:
        if not request.url.path.startswith("/ui"):
            answer = api_handler(request, exc)
            return answer if isinstance(answer, Response) else await answer
        if isinstance(exc, HTTPException):
            status, message = exc.status_code, str(exc.detail)
        elif isinstance(exc, SmartAPError):
            status, message = status_of(exc), str(exc)
        else:
            status, message = 422, "the form is not valid: check the fields and send it again"
        return render(
            request,
            "error.html",
            status_code=status,
            title=HTTPStatus(status).phrase,
            message=message,
            correlation_id=correlation_id(request),
        )

    return handle
