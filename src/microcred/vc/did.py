"""did:key (Ed25519) and did:web identifiers and documents."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote, unquote, urlsplit

from microcred.vc.contexts import DID_V1, MULTIKEY_V1
from microcred.vc.errors import KeyResolutionError
from microcred.vc.keys import Ed25519Key


def did_web_from_url(url: str) -> str:
    """``https://host:8000/issuers/abc`` -> ``did:web:host%3A8000:issuers:abc`` (did:web method spec)."""
    parts = urlsplit(url)
    if not parts.hostname:
        raise ValueError(f"not an absolute URL: {url!r}")
    host = parts.hostname + (f":{parts.port}" if parts.port else "")
    segments = [quote(host, safe="")]
    segments += [quote(segment, safe="") for segment in parts.path.split("/") if segment]
    return "did:web:" + ":".join(segments)


def url_from_did_web(did: str, *, scheme: str = "https") -> str:
    """The URL of the DID document of a did:web identifier."""
    if not did.startswith("did:web:"):
        raise KeyResolutionError(f"not a did:web identifier: {did!r}")
    method_specific = did[len("did:web:"):].split("#", 1)[0]
    segments = [unquote(segment) for segment in method_specific.split(":")]
    if not segments[0] or any("/" in segment for segment in segments):
        raise KeyResolutionError(f"malformed did:web identifier: {did!r}")
    host, path = segments[0], segments[1:]
    if path:
        return f"{scheme}://{host}/" + "/".join(quote(p, safe="") for p in path) + "/did.json"
    return f"{scheme}://{host}/.well-known/did.json"


def did_key_document(did: str) -> dict[str, Any]:
    """The DID document a did:key identifier expands to."""
    key = key_from_did_key(did)
    vm = f"{did}#{key.public_multibase}"
    return did_document(did, [(vm, key.public_multibase)])


def key_from_did_key(did_or_vm: str) -> Ed25519Key:
    if not did_or_vm.startswith("did:key:"):
        raise KeyResolutionError(f"not a did:key identifier: {did_or_vm!r}")
    did, _, fragment = did_or_vm.partition("#")
    multibase = did[len("did:key:"):]
    if fragment and fragment != multibase:
        raise KeyResolutionError(f"did:key fragment does not name its key: {did_or_vm!r}")
    try:
        return Ed25519Key.from_public_multibase(multibase)
    except Exception as exc:
        raise KeyResolutionError(f"did:key is not an Ed25519 key: {exc}") from None


def did_document(did: str, verification_methods: list[tuple[str, str]]) -> dict[str, Any]:
    """A DID document listing Multikey verification methods usable for assertions (signing credentials)."""
    methods = [
        {"id": vm_id, "type": "Multikey", "controller": did, "publicKeyMultibase": multibase}
        for vm_id, multibase in verification_methods
    ]
    ids = [m["id"] for m in methods]
    return {
        "@context": [DID_V1, MULTIKEY_V1],
        "id": did,
        "verificationMethod": methods,
        "assertionMethod": ids,
        "authentication": ids,
    }
