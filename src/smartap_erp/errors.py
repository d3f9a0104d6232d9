"""Every error the product raises on purpose. Callers branch on the class, never on the text.

SmartAPError
└── ConfigurationError          a setting or stored configuration is wrong: a person must fix it
    └── CredentialDecryptionError   stored credentials cannot be decrypted with the configured keys

The ERP error tree (authentication, transient, record-level, bugs) lives in this module too; the HTTP
toolkit issue adds it below `SmartAPError`.
"""

from __future__ import annotations


class SmartAPError(Exception):
    """Base of every deliberate error. `exit_code` is what the CLI exits with when it escapes."""

    exit_code: int = 1


class ConfigurationError(SmartAPError):
    """A setting, key or stored configuration is invalid; retrying will not help."""

    exit_code = 2


class CredentialDecryptionError(ConfigurationError):
    """Stored credentials could not be decrypted with any configured key."""

    exit_code = 1
