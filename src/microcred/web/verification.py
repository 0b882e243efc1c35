"""The web side of verification: VC-API envelopes and response shape over `microcred.verification`."""

from __future__ import annotations

from typing import Any

from microcred.settings import Settings
from microcred.vc import VerificationResult
from microcred.verification import instance_verifier
from microcred.web.deps import SessionFactory


def unwrap_enveloped(source: Any) -> Any:
    """An ``EnvelopedVerifiableCredential`` (``id`` = ``data:application/vc+jwt,<jws>``) -> the JWS string."""
    if isinstance(source, dict):
        types = source.get("type")
        type_list = types if isinstance(types, list) else [types]
        ident = source.get("id")
        if "EnvelopedVerifiableCredential" in type_list and isinstance(ident, str) and ident.startswith("data:"):
            header, _, payload = ident.partition(",")
            if "vc+jwt" in header or "vc+sd-jwt" in header or "jwt" in header:
                return payload
    return source


def verify(settings: Settings, session_factory: SessionFactory, source: dict[str, Any] | str) -> VerificationResult:
    # The same verifier as `microcred verify`; a broken trusted-keys file is logged, not fatal, on the server.
    return instance_verifier(session_factory, settings, strict=False).verify(unwrap_enveloped(source))


def result_json(result: VerificationResult) -> dict[str, Any]:
    """The VC-API verify response: verified, every check, and the failed checks' reasons as errors."""
    return {
        "verified": result.verified,
        "checks": [c.to_json() for c in result.checks],
        "errors": [f"{c.check}: {c.reason}" for c in result.checks if not c.passed],
        "warnings": [],
        "format": result.format,
    }
