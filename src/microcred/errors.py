"""The one error model: every error the domain raises on purpose is a `DomainError`; every error of the standards
core is a `microcred.vc.errors.VCError`. `outcome(exc)` maps both families, in one table, to the HTTP status the
web layer answers with and the exit code the CLI ends with (`web/errors.py` and `cli/_runtime.py` both use it).
"""

from __future__ import annotations

from dataclasses import dataclass

from microcred.vc.errors import KeyFormatError, SigningError, VCError

EXIT_BAD_INPUT = 2  # the user can fix it: a message says how
EXIT_UNAVAILABLE = 3  # something the instance needs is not there now (try again later)


class DomainError(ValueError):
    """Base of every error the domain services raise on purpose (bad input, missing record...)."""


class NotFound(DomainError):
    """A record that does not exist (or is not visible)."""


class InvalidInput(DomainError):
    """Input that breaks a domain rule (unknown kind, missing outcome, unpublished achievement...)."""


class Conflict(DomainError):
    """The request conflicts with the current state (e.g. a unique value already in use)."""


class AuthenticationRequired(DomainError):
    """The caller must sign in (or present a token) first."""


class PermissionDenied(DomainError):
    """The caller is known but their role does not allow this."""


class Unavailable(DomainError):
    """Something the request needs cannot be had right now (a status list that cannot be fetched...)."""


class KeyStoreError(DomainError):
    """The master key is missing or malformed, or a private key cannot be decrypted with it."""


@dataclass(frozen=True)
class Outcome:
    """What an error becomes at the edge: an HTTP status and a CLI exit code; ``internal`` errors are logged."""

    http_status: int
    exit_code: int
    internal: bool = False


# Most specific first: the first class the error is an instance of decides.
ERROR_TABLE: tuple[tuple[type[Exception], Outcome], ...] = (
    (NotFound, Outcome(404, EXIT_BAD_INPUT)),
    (InvalidInput, Outcome(422, EXIT_BAD_INPUT)),
    (Conflict, Outcome(409, EXIT_BAD_INPUT)),
    (AuthenticationRequired, Outcome(401, EXIT_BAD_INPUT)),
    (PermissionDenied, Outcome(403, EXIT_BAD_INPUT)),
    (Unavailable, Outcome(503, EXIT_UNAVAILABLE)),
    (KeyStoreError, Outcome(500, EXIT_BAD_INPUT, internal=True)),  # the operator must fix the key
    (DomainError, Outcome(400, EXIT_BAD_INPUT)),
    (SigningError, Outcome(422, EXIT_BAD_INPUT)),
    (KeyFormatError, Outcome(422, EXIT_BAD_INPUT)),
    (VCError, Outcome(400, EXIT_BAD_INPUT)),
)


def outcome(exc: BaseException) -> Outcome | None:
    """The HTTP status and exit code of a domain or standards error; None for anything else (a defect)."""
    for cls, result in ERROR_TABLE:
        if isinstance(exc, cls):
            return result
    return None
