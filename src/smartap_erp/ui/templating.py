"""Rendering pages: one Jinja2 environment (autoescaping on) over `templates/`, and `render`, which
gives every page what the layout needs (the signed-in user, the CSRF token for its forms, the
navigation) and sets the pre-session cookie when the page minted one. Filters format what pages show
the same way everywhere: `when` (ISO 8601 UTC, to the second), `money` (a decimal string with its
currency), `duration` (seconds as "1.2 s" or "3 min 4 s").
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from smartap_erp.ui.security import csrf_token, remember_presession

TEMPLATES = Path(__file__).parent / "templates"

# (path, label): the layout's navigation, in this order.
NAV: list[tuple[str, str]] = [
    ("/ui/connections", "Connections"),
    ("/ui/dashboard", "Dashboard"),
    ("/ui/logs", "Sync logs"),
    ("/ui/mappings", "Field mappings"),
    ("/ui/conflicts", "Conflicts"),
    ("/ui/invoices", "Invoices"),
    ("/ui/reconciliation", "Reconciliation"),
]


def when(value: dt.datetime | None) -> str:
    if value is None:
        return "—"
    return value.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def money(amount: Decimal | str | None, currency: str | None = None) -> str:
    if amount is None:
        return "—"
    return f"{Decimal(amount):,.2f} {currency or ''}".strip()


def duration(seconds: float | None) -> str:
    if seconds is None:
        return "—"
    if seconds < 60:
        return f"{seconds:.1f} s"
    minutes, rest = divmod(round(seconds), 60)
    return f"{minutes} min {rest} s"


environment = Environment(
    loader=FileSystemLoader(TEMPLATES),
    autoescape=select_autoescape(["html"]),
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)
environment.filters.update(when=when, money=money, duration=duration)


def render(request: Request, template: str, status_code: int = 200, **context: Any) -> HTMLResponse:
    """`template` rendered for this request, with `user`, `csrf_token`, `nav` and `path` added."""
    page = environment.get_template(template).render(
        request=request,
        user=getattr(request.state, "user", None),
        csrf_token=csrf_token(request),
        nav=NAV,
        path=request.url.path,
        **context,
    )
    response = HTMLResponse(page, status_code=status_code)
    response.headers["Cache-Control"] = "no-store"
    remember_presession(request, response)
    return response
