"""What `connections add` and `connections update` accept, checked before anything is stored.

The four ERPs with a connector (`SupportedSystem`, the only `--system` choices), a connection name
that no other connection has, an `--api-url` that is an http(s) URL with a host, a credentials file
holding a JSON object with every key the ERP needs, and `--conflict-policy ENTITY=POLICY` pairs.
Every refusal is a `ConfigurationError`: one line naming the option, what was given and what was
expected (the CLI exits with code 2).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from enum import StrEnum
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from smartap_erp.connectors.registry import registry
from smartap_erp.db.models import ERPConnection
from smartap_erp.domain.enums import ERPEntity, ERPSystem
from smartap_erp.errors import ConfigurationError
from smartap_erp.sync.imports.planning import Policy

NAME_LENGTH = 255
POLICY_ENTITIES = (ERPEntity.VENDOR, ERPEntity.PURCHASE_ORDER)  # the entities an import can conflict on


class SupportedSystem(StrEnum):
    """The ERPs a connection can be made to (the ones with a connector)."""

    QUICKBOOKS = ERPSystem.QUICKBOOKS.value
    XERO = ERPSystem.XERO.value
    SAP = ERPSystem.SAP.value
    NETSUITE = ERPSystem.NETSUITE.value


def check_name(name: str) -> str:
    cleaned = name.strip()
    if not cleaned:
        raise ConfigurationError("--name: a connection needs a non-empty name")
    if len(cleaned) > NAME_LENGTH:
        raise ConfigurationError(f"--name: at most {NAME_LENGTH} characters, got {len(cleaned)}")
    return cleaned


async def check_name_free(session: AsyncSession, name: str, *, other_than: uuid.UUID | None = None) -> None:
    """Refuse a name another connection already has (names address connections on the CLI)."""
    query = select(ERPConnection.id).where(ERPConnection.name == name)
    if other_than is not None:
        query = query.where(ERPConnection.id != other_than)
    if await session.scalar(query) is not None:
        raise ConfigurationError(
            f"--name: a connection named {name!r} already exists; choose another name "
            "(or change that one with `smartap-erp connections update`)"
        )


def check_api_url(url: str) -> str:
    """An http:// or https:// URL with a host, e.g. http://127.0.0.1:8080 or https://sap.example.com:50000."""
    try:
        parts = urlsplit(url.strip())
        parts.port  # noqa: B018 - raises ValueError for a port that is not a number
    except ValueError:
        parts = None
    if parts is None or parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigurationError(
            f"--api-url {url!r}: expected an http:// or https:// URL with a host, "
            "e.g. https://sap.example.com:50000"
        )
    return url.strip()


def read_credentials_file(path: Path, system: ERPSystem) -> dict[str, Any]:
    if not path.is_file():
        raise ConfigurationError(f"--credentials-file {path}: no such file")
    try:
        data = json.loads(path.read_text())
    except json.JSONDecodeError as exc:
        raise ConfigurationError(
            f"--credentials-file {path}: not JSON ({exc.msg} at line {exc.lineno})"
        ) from None
    if isinstance(data, dict) and isinstance(data.get("credentials"), dict):
        data = data["credentials"]  # the whole `erpsim serve` ready line is accepted too
    if not isinstance(data, dict):
        raise ConfigurationError(f"--credentials-file {path}: expected a JSON object of credentials")
    missing = [key for key in registry.get(system).required_credentials if not data.get(key)]
    if missing:
        raise ConfigurationError(f"--credentials-file {path}: {system.value} needs {', '.join(missing)}")
    return data


def parse_policies(pairs: Sequence[str]) -> dict[str, str]:
    """`vendor=erp_wins` pairs into `conflict_policies` entries."""
    entities = ", ".join(e.value for e in POLICY_ENTITIES)
    policies = ", ".join(p.value for p in Policy)
    parsed: dict[str, str] = {}
    for pair in pairs:
        entity, sep, policy = (part.strip() for part in pair.partition("="))
        if not sep or entity not in {e.value for e in POLICY_ENTITIES}:
            raise ConfigurationError(
                f"--conflict-policy {pair!r}: expected ENTITY=POLICY with ENTITY one of {entities}"
            )
        if policy not in {p.value for p in Policy}:
            raise ConfigurationError(f"--conflict-policy {pair!r}: the policy must be one of {policies}")
        parsed[entity] = policy
    return parsed
