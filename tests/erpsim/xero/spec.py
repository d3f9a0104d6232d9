"""Xero's OpenAPI spec (shared/specs/xero_accounting.yaml) loaded once, for schema checks in tests.

`validate(schema_name, instance)` checks a JSON body against `#/components/schemas/<name>` with
jsonschema (OpenAPI 3.0 schemas are close enough to draft 4 for the keywords Xero uses). The spec is
read from the shared folder, never copied into the repository; tests that need it skip if absent.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

import pytest

SPEC_PATH = Path("/work/shared/specs/xero_accounting.yaml")


@functools.cache
def spec() -> dict[str, Any]:
    import yaml

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    with SPEC_PATH.open(encoding="utf-8") as handle:
        loaded: dict[str, Any] = yaml.load(handle, Loader=loader)  # noqa: S506 (safe loader)
    return loaded


def require_spec() -> None:
    if not SPEC_PATH.exists():
        pytest.skip(f"Xero OpenAPI spec not found at {SPEC_PATH}")


@functools.cache
def _validator(name: str) -> Any:
    import jsonschema

    components = spec()["components"]
    schema = {"$ref": f"#/components/schemas/{name}", "components": components}
    return jsonschema.Draft4Validator(schema)


def validate(name: str, instance: Any) -> None:
    """Raise AssertionError listing every schema violation of `instance` against schema `name`."""
    require_spec()
    errors = sorted(_validator(name).iter_errors(instance), key=lambda e: list(e.absolute_path))
    assert not errors, "\n".join(f"{list(e.absolute_path)}: {e.message}" for e in errors[:10])


def enum_of(schema: str, prop: str) -> list[str]:
    require_spec()
    values: list[str] = spec()["components"]["schemas"][schema]["properties"][prop]["enum"]
    return values
