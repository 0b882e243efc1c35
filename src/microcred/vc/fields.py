"""Small accessors for credential JSON shared by the signer, the verifier and the status check."""

from __future__ import annotations

from typing import Any


def as_list(value: Any) -> list[Any]:
    """A JSON-LD set as a list: a single value is a one-element set."""
    return value if isinstance(value, list) else [value]


def issuer_id(credential: dict[str, Any]) -> str | None:
    """The issuer's id, whether ``issuer`` is a Profile object or a bare URI."""
    issuer = credential.get("issuer")
    if isinstance(issuer, dict):
        issuer = issuer.get("id")
    return issuer if isinstance(issuer, str) else None
