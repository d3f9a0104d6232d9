"""Enums that command-line options take as their types: API key scopes, UI user roles and the closed-period
policy of a connection.

They live here, with no import beyond the standard library, so that `smartap-erp --help` (Typer builds
every option's choices when the app is assembled) does not import SQLAlchemy, the models and httpx
(issue 17, CLI start). Their homes re-export them: `smartap_erp.app.api_keys.Scope`,
`smartap_erp.app.users.Role`, `smartap_erp.sync.export.guards.ClosedPeriodPolicy`.
"""

from __future__ import annotations

from enum import StrEnum


class Scope(StrEnum):
    """What an API key may do. Scopes nest: admin > write > read."""

    READ = "read"
    WRITE = "write"
    ADMIN = "admin"

    @property
    def rank(self) -> int:
        return _RANKS[self]

    def allows(self, needed: Scope) -> bool:
        """Whether a key of this scope may do what `needed` guards (admin includes write, write read)."""
        return self.rank >= needed.rank


_RANKS = {Scope.READ: 0, Scope.WRITE: 1, Scope.ADMIN: 2}


class Role(StrEnum):
    """A UI user's role; roles match the REST API's scopes: viewer = read, operator = write, admin = admin."""

    VIEWER = "viewer"
    OPERATOR = "operator"
    ADMIN = "admin"

    @property
    def scope(self) -> Scope:
        """The API scope this role may do what it does: viewer read, operator write, admin admin."""
        return {Role.VIEWER: Scope.READ, Role.OPERATOR: Scope.WRITE, Role.ADMIN: Scope.ADMIN}[self]

    def allows(self, needed: Role) -> bool:
        return self.scope.allows(needed.scope)


class ClosedPeriodPolicy(StrEnum):
    """What export does with an invoice dated in a period the ERP has closed."""

    REVIEW = "review"  # a person decides (the default)
    REDATE = "redate"  # the bill is dated the first open day
    DRAFT = "draft"  # Xero only: the bill goes in as a DRAFT, which a locked period accepts

    @classmethod
    def of(cls, value: str | None) -> ClosedPeriodPolicy:
        return cls(value) if value in {p.value for p in cls} else cls.REVIEW
