"""Fixtures of the reconciliation tests."""

from __future__ import annotations

import pytest
from cryptography.fernet import Fernet

from smartap_erp.db.vault import CredentialVault, KeyRing


@pytest.fixture
def vault() -> CredentialVault:
    return CredentialVault(KeyRing([Fernet.generate_key()], "test"))
