"""Domain errors shared by the domain subsystems.

The CLI maps every `DomainError` to a one-line message on stderr and exit code 2; the web layer maps
`NotFound` to 404 and the other kinds to 400/422.
"""

from __future__ import annotations


class DomainError(ValueError):
    """Base of every error the domain services raise on purpose (bad input, missing record...)."""


class NotFound(DomainError):
    """A record that does not exist (or is not visible)."""


class InvalidInput(DomainError):
    """Input that breaks a domain rule (unknown kind, missing outcome, unpublished achievement...)."""


class Conflict(DomainError):
    """The request conflicts with the current state (e.g. a unique value already in use)."""


class KeyStoreError(DomainError):
    """The master key is missing or malformed, or a private key cannot be decrypted with it."""
