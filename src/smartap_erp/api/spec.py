"""The OpenAPI document as committed to `docs/openapi.json`: the app's own spec, JSON with a stable
layout (two-space indent, keys in the app's order, a final newline), so a diff shows what changed.
`smartap-erp api openapi` writes it; a test fails when the committed file drifts from the app."""

from __future__ import annotations

import json

from fastapi import FastAPI


def openapi_text(app: FastAPI | None = None) -> str:
    if app is None:
        from smartap_erp.api.app import create_app  # lazily: the CLI imports this module

        app = create_app()
    return json.dumps(app.openapi(), indent=2, ensure_ascii=False) + "\n"
