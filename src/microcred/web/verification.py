"""Running the one verifier (`microcred.vc.Verifier`) with this instance's key resolution chain.

Order: did:key, this instance's organisations (from the store, with key status), keys pinned in
settings.trusted_keys_file, then did:web / https keys on the configured trusted hosts.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from microcred.issuers.services import InstanceKeyResolver
from microcred.settings import Settings
from microcred.vc import KeyResolver, VerificationResult, Verifier, default_resolver
from microcred.web.deps import SessionFactory

log = logging.getLogger("microcred.web")


def pinned_keys(settings: Settings) -> dict[str, str]:
    """The verification-method -> publicKeyMultibase map of settings.trusted_keys_file (empty if unset)."""
    path = settings.trusted_keys_file
    if path is None:
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        log.warning("trusted keys file %s is unusable, ignoring it: %s", path, exc)
        return {}
    if not isinstance(data, dict):
        log.warning("trusted keys file %s must map verification methods to publicKeyMultibase", path)
        return {}
    return {str(k): v for k, v in data.items() if isinstance(v, str)}


def key_resolver(settings: Settings, session_factory: SessionFactory) -> KeyResolver:
    return default_resolver(
        instance=InstanceKeyResolver(session_factory, settings.base_url),
        pinned=pinned_keys(settings),
        trusted_hosts=settings.trusted_host_list,
    )


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
    verifier = Verifier(key_resolver(settings, session_factory))
    return verifier.verify(unwrap_enveloped(source))


def result_json(result: VerificationResult) -> dict[str, Any]:
    """The VC-API verify response: verified, every check, and the failed checks' reasons as errors."""
    return {
        "verified": result.verified,
        "checks": [c.to_json() for c in result.checks],
        "errors": [f"{c.check}: {c.reason}" for c in result.checks if not c.passed],
        "warnings": [],
        "format": result.format,
    }
