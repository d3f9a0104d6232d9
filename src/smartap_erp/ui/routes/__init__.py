"""The UI's page routers: each module here exposes `router: APIRouter` (its routes left out of the
OpenAPI document). `ROUTERS` holds every module's router, found by file, so a new screen is one new
module here and nothing else to edit; `auth` comes first (it owns `/ui/` and `/ui/login`)."""

import importlib
import pkgutil

from fastapi import APIRouter


def _discover() -> list[APIRouter]:
    names = sorted(info.name for info in pkgutil.iter_modules(__path__) if not info.name.startswith("_"))
    names.sort(key=lambda name: name != "auth")
    return [importlib.import_module(f"{__name__}.{name}").router for name in names]


ROUTERS: list[APIRouter] = _discover()
