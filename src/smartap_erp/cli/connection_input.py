"""What `connections add` and `connections update` accept, checked before anything is stored.

The registered ERP providers (`SupportedSystem`, the only `--system` choices: the built-in ones and any
`ERP_PROVIDERS` adds), a non-empty connection name (the application layer refuses one another connection
has), an `--api-url` that is an http(s) URL with a host, credentials that pass the provider's field
checks (from a JSON file, or asked for field by field at a terminal: `credentials_for`), and
`--conflict-policy ENTITY=POLICY` pairs. Every refusal is a `ConfigurationError`: one line naming the
option, what was given and what was expected (the CLI exits with code 2).
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Sequence
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import typer

from smartap_erp.cli.lazy import lazy
from smartap_erp.domain.enums import ERPEntity, ERPSystem
from smartap_erp.errors import ConfigurationError
from smartap_erp.settings import get_settings

if TYPE_CHECKING:
    import smartap_erp.connectors.registry as providers
    from smartap_erp.connectors.provider import ERPProvider
    from smartap_erp.sync.imports import planning
else:
    providers = lazy("smartap_erp.connectors.registry")
    planning = lazy("smartap_erp.sync.imports.planning")

NAME_LENGTH = 255
POLICY_ENTITIES = (ERPEntity.VENDOR, ERPEntity.PURCHASE_ORDER)  # the entities an import can conflict on
Ask = Callable[[str, bool, bool], str]  # (prompt text, hide input, required) -> the answer


def _system_keys() -> list[str]:
    try:
        return providers.registry.keys()
    except ConfigurationError:  # bad settings: the command itself reports them; offer the built-ins
        return list(providers.BUILTIN_PROVIDERS)


# The ERPs a connection can be made to: every registered provider (typer needs the choices up front).
SupportedSystem = StrEnum("SupportedSystem", {key.upper(): key for key in _system_keys()})  # type: ignore[misc]


def check_name(name: str) -> str:
    cleaned = name.strip()
    if not cleaned:
        raise ConfigurationError("--name: a connection needs a non-empty name")
    if len(cleaned) > NAME_LENGTH:
        raise ConfigurationError(f"--name: at most {NAME_LENGTH} characters, got {len(cleaned)}")
    return cleaned


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


def read_credentials_file(path: Path, system: ERPSystem | str) -> dict[str, Any]:
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
    check_credentials(providers.registry.provider(str(system)), data, source=f"--credentials-file {path}")
    return data


def check_credentials(provider: ERPProvider, credentials: dict[str, Any], *, source: str) -> None:
    """Every field the provider declares, checked once the settings it reads have filled the gaps
    (QUICKBOOKS_CLIENT_ID ...); the credentials are stored as given, so a setting changed later
    applies. One ConfigurationError names every bad field."""
    provider.validate_credentials(provider.with_settings(credentials, get_settings()), source=source)


def credentials_for(
    system: ERPSystem | str,
    credentials_file: Path | None,
    *,
    interactive: bool | None = None,
    ask: Ask | None = None,
) -> dict[str, Any]:
    """The credentials of a new connection: read from `credentials_file`, or, without one, asked for
    field by field when stdin is a terminal (secret fields hidden); otherwise a one-line error."""
    if credentials_file is not None:
        return read_credentials_file(credentials_file, system)
    provider = providers.registry.provider(str(system))
    if not (sys.stdin.isatty() if interactive is None else interactive):
        raise ConfigurationError(
            f"--credentials-file: required when stdin is not a terminal (give a JSON file of the "
            f"{provider.name} credentials: {', '.join(provider.required_credentials)})"
        )
    return prompt_credentials(provider, ask or _typer_ask)


def prompt_credentials(provider: ERPProvider, ask: Ask) -> dict[str, Any]:
    """Ask for each credential field with its label and help; a field a setting fills, or an optional
    one, may be left empty. The answers are checked like a credentials file's."""
    filled_by_settings = set(provider.with_settings({}, get_settings()))
    answers: dict[str, Any] = {}
    for spec in provider.credential_fields:
        required = spec.required and spec.name not in filled_by_settings
        note = "" if required else " (optional, Enter to skip)"
        text = f"{spec.label} [{spec.name}]" + (f" - {spec.help}" if spec.help else "") + note
        while True:
            value = ask(text, spec.secret, required).strip()
            problem = spec.problem(value) if value or required else None
            if problem is None:
                break
            typer.echo(f"{spec.name}: {problem}", err=True)
        if value:
            answers[spec.name] = value
    check_credentials(provider, answers, source="connections add")
    return answers


def _typer_ask(text: str, secret: bool, required: bool) -> str:
    return str(typer.prompt(text, hide_input=secret, default=None if required else "", show_default=False))


def parse_policies(pairs: Sequence[str]) -> dict[str, str]:
    """`vendor=erp_wins` pairs into `conflict_policies` entries."""
    entities = ", ".join(e.value for e in POLICY_ENTITIES)
    policies = ", ".join(p.value for p in planning.Policy)
    parsed: dict[str, str] = {}
    for pair in pairs:
        entity, sep, policy = (part.strip() for part in pair.partition("="))
        if not sep or entity not in {e.value for e in POLICY_ENTITIES}:
            raise ConfigurationError(
                f"--conflict-policy {pair!r}: expected ENTITY=POLICY with ENTITY one of {entities}"
            )
        if policy not in {p.value for p in planning.Policy}:
            raise ConfigurationError(f"--conflict-policy {pair!r}: the policy must be one of {policies}")
        parsed[entity] = policy
    return parsed
