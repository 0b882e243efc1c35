"""Key resolution: verification method URL -> public key, in a fixed order and no other.

1. ``did:key`` locally; 2. this instance's own did:web / issuer URLs (a resolver the app supplies);
3. keys pinned by the user; 4. other hosts only when configured as trusted (HTTPS, short timeouts, size limits).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol
from urllib.parse import urlsplit

from microcred.vc.did import key_from_did_key, url_from_did_web
from microcred.vc.errors import KeyFormatError, KeyResolutionError
from microcred.vc.fetch import fetch_json
from microcred.vc.keys import Ed25519Key


@dataclass(frozen=True)
class ResolvedKey:
    key: Ed25519Key
    controller: str
    status: str = "active"  # active | retired | compromised
    compromised_since: datetime | None = None


class KeyResolver(Protocol):
    def resolve(self, verification_method: str) -> ResolvedKey: ...


def _controller_of(verification_method: str) -> str:
    return verification_method.split("#", 1)[0]


class DidKeyResolver:
    def resolve(self, verification_method: str) -> ResolvedKey:
        if not verification_method.startswith("did:key:"):
            raise KeyResolutionError(f"{verification_method!r} is not a did:key")
        return ResolvedKey(key_from_did_key(verification_method), _controller_of(verification_method))


class PinnedKeyResolver:
    """Keys the user pinned: verification-method URL -> publicKeyMultibase."""

    def __init__(self, pinned: Mapping[str, str]) -> None:
        self._keys: dict[str, Ed25519Key] = {}
        for vm, multibase in pinned.items():
            if not isinstance(vm, str) or not isinstance(multibase, str):
                raise KeyFormatError("trusted keys must map verification-method URLs to publicKeyMultibase strings")
            self._keys[vm] = Ed25519Key.from_public_multibase(multibase)

    def resolve(self, verification_method: str) -> ResolvedKey:
        key = self._keys.get(verification_method)
        if key is None:
            raise KeyResolutionError(f"no pinned key for {verification_method}")
        return ResolvedKey(key, _controller_of(verification_method))


Fetcher = Callable[[str], Any]


def _default_fetch(url: str) -> Any:
    """A did:web or key document from a trusted host (the shared size-limited fetch of :mod:`microcred.vc.fetch`)."""
    return fetch_json(url, accept="application/did+json, application/json", error=KeyResolutionError)


def find_verification_method(document: Any, verification_method: str) -> ResolvedKey:
    """Find ``verification_method`` in a DID/controller document (or a Multikey document itself)."""
    if not isinstance(document, dict):
        raise KeyResolutionError("the controller document is not a JSON object")
    candidates: list[Any] = []
    if document.get("id") == verification_method:
        candidates.append(document)
    for field in ("verificationMethod", "assertionMethod"):
        value = document.get(field)
        if isinstance(value, list):
            candidates.extend(value)
    for method in candidates:
        if isinstance(method, dict) and method.get("id") == verification_method:
            multibase = method.get("publicKeyMultibase")
            if not isinstance(multibase, str):
                raise KeyResolutionError(f"{verification_method} has no publicKeyMultibase")
            controller = method.get("controller") or _controller_of(verification_method)
            return ResolvedKey(Ed25519Key.from_public_multibase(multibase), str(controller))
    raise KeyResolutionError(f"{verification_method} is not listed in its controller document")


class TrustedHostResolver:
    """Fetches did:web documents / https key documents, only from hosts configured as trusted."""

    def __init__(self, trusted_hosts: Iterable[str], fetch: Fetcher | None = None) -> None:
        self._hosts = {h.lower() for h in trusted_hosts}
        self._fetch = fetch or _default_fetch

    def resolve(self, verification_method: str) -> ResolvedKey:
        if verification_method.startswith("did:web:"):
            url = url_from_did_web(verification_method)
        elif verification_method.startswith("https://"):
            url = _controller_of(verification_method)
        else:
            raise KeyResolutionError(f"{verification_method}: only did:web and https keys can be fetched")
        host = (urlsplit(url).hostname or "").lower()
        if host not in self._hosts:
            raise KeyResolutionError(
                f"key {verification_method} is on host {host!r}, which is not configured as trusted "
                "(pin the key with --trusted-keys or add the host to the trusted hosts)"
            )
        return find_verification_method(self._fetch(url), verification_method)


class ChainResolver:
    """Tries each resolver in order; the first that knows the key wins."""

    def __init__(self, resolvers: Iterable[KeyResolver]) -> None:
        self._resolvers = list(resolvers)

    def resolve(self, verification_method: str) -> ResolvedKey:
        reasons: list[str] = []
        for resolver in self._resolvers:
            try:
                return resolver.resolve(verification_method)
            except KeyResolutionError as exc:
                reasons.append(str(exc))
        detail = f" ({reasons[-1]})" if reasons else ""
        raise KeyResolutionError(f"the key {verification_method} could not be resolved{detail}")


def default_resolver(
    *,
    instance: KeyResolver | None = None,
    pinned: Mapping[str, str] | None = None,
    trusted_hosts: Iterable[str] = (),
    fetch: Fetcher | None = None,
) -> ChainResolver:
    chain: list[KeyResolver] = [DidKeyResolver()]
    if instance is not None:
        chain.append(instance)
    if pinned:
        chain.append(PinnedKeyResolver(pinned))
    hosts = list(trusted_hosts)
    if hosts:
        chain.append(TrustedHostResolver(hosts, fetch))
    return ChainResolver(chain)
