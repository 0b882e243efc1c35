"""The instance's verifier: the one `vc.Verifier`, wired to this instance's keys and settings.

Used by the CLI (`microcred verify`) and the web layer (verification page, VC-API), so both judge a
credential the same way. Key resolution order: did:key, this instance's own keys, pinned keys, trusted hosts.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from microcred.errors import Unavailable
from microcred.settings import Settings, get_settings
from microcred.vc import ContextRegistry, KeyFormatError, Verifier, default_resolver
from microcred.vc.fetch import fetch_json
from microcred.vc.statuslist import BitstringStatusChecker

log = logging.getLogger("microcred.verification")


def load_pinned_keys(path: Path | None) -> dict[str, str]:
    """Read a trusted-keys file (verification-method URL -> publicKeyMultibase); raises KeyFormatError."""
    if path is None:
        return {}
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise KeyFormatError(f"trusted keys file {path} cannot be read: {exc}") from None
    if not isinstance(data, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in data.items()):
        raise KeyFormatError(f"{path} must map verification-method URLs to publicKeyMultibase strings")
    return dict(data)


def open_instance_store(settings: Settings | None = None) -> sessionmaker[Session] | None:
    """A session factory on the instance database, or None when there is none yet (nothing initialised)."""
    from microcred.db import make_engine, session_factory

    settings = settings or get_settings()
    url = settings.resolved_database_url
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite" and parsed.database and not Path(parsed.database).exists():
        return None
    return session_factory(make_engine(url))


REMOTE_TIMEOUT_SECONDS = 3.0
REMOTE_MAX_BYTES = 256 * 1024
REMOTE_CACHE_SECONDS = 300.0


class StatusListUnavailable(Unavailable):
    """A status list that may not or cannot be fetched (the checker reports "status could not be checked")."""


_remote_cache: dict[str, tuple[float, Any]] = {}
_remote_lock = threading.Lock()


def _https_fetch(url: str) -> Any:
    """A status list from a trusted host: the one size-limited fetch of the standards core, with our limits."""
    return fetch_json(
        url,
        accept="application/vc+ld+json, application/ld+json",
        error=StatusListUnavailable,
        max_bytes=REMOTE_MAX_BYTES,
        timeout_seconds=REMOTE_TIMEOUT_SECONDS,
    )


class StatusListFetcher:
    """Where status lists come from: this instance's own lists straight from its store (offline, no HTTP);
    other hosts only when listed in MICROCRED_TRUSTED_HOSTS (HTTPS, short timeout, size limit, small per-process
    cache); anything else is refused."""

    def __init__(
        self,
        session_factory: sessionmaker[Session] | None,
        settings: Settings,
        *,
        http_fetch: Any = None,
        cache_seconds: float = REMOTE_CACHE_SECONDS,
    ) -> None:
        self._factory = session_factory
        self._settings = settings
        self._http_fetch = http_fetch or _https_fetch
        self._cache_seconds = cache_seconds

    def __call__(self, url: str) -> Any:
        from microcred.status.services import parse_list_url

        list_id = parse_list_url(url, self._settings.base_url)
        if list_id is not None:
            return self._local(list_id)
        parts = urlsplit(url)
        host = (parts.hostname or "").lower()
        if parts.scheme != "https" or host not in self._settings.trusted_host_list:
            raise StatusListUnavailable(f"{url[:200]} is not on this instance or on a trusted host")
        now = time.monotonic()
        with _remote_lock:
            cached = _remote_cache.get(url)
            if cached is not None and cached[0] > now:
                return cached[1]
        document = self._http_fetch(url)
        with _remote_lock:
            _remote_cache[url] = (now + self._cache_seconds, document)
        return document

    def _local(self, list_id: Any) -> Any:
        from microcred.db import session_scope
        from microcred.issuers import keystore
        from microcred.status.services import signed_list

        if self._factory is None:
            raise StatusListUnavailable("this instance has no database yet")
        settings = self._settings
        with session_scope(self._factory) as session:
            return signed_list(
                session, list_id, base_url=settings.base_url, master_key=lambda: keystore.load_master_key(settings)
            ).document()


class InstanceHoldChecker:
    """Suspensions of this instance's own awards. A credential carries one status entry (revocation, read by
    every verifier); a suspension is an issuer-side hold kept in this instance's suspension list, reported here."""

    def __init__(self, session_factory: sessionmaker[Session] | None, base_url: str) -> None:
        self._factory = session_factory
        self._prefix = base_url.rstrip("/") + "/credentials/"

    def __call__(self, credential: dict[str, Any]) -> tuple[bool, str] | None:
        import uuid

        from microcred.db import session_scope
        from microcred.status.services import award_flag

        credential_id = credential.get("id")
        if self._factory is None or not isinstance(credential_id, str) or not credential_id.startswith(self._prefix):
            return None
        try:
            award_id = uuid.UUID(credential_id[len(self._prefix) :])
        except ValueError:
            return None
        with session_scope(self._factory) as session:
            suspended = award_flag(session, award_id, "suspension")
        if suspended is None:
            return None
        if suspended:
            return False, "suspended by the issuer"
        return True, "not suspended"


def instance_verifier(
    session_factory: sessionmaker[Session] | None,
    settings: Settings | None = None,
    *,
    pinned: dict[str, str] | None = None,
    registry: ContextRegistry | None = None,
    strict: bool = True,
) -> Verifier:
    """The verifier for this instance. ``strict=False`` (the server) logs and ignores an unusable trusted-keys file
    instead of refusing to verify anything; the CLI is strict and reports it."""
    settings = settings or get_settings()
    instance = None
    if session_factory is not None:
        from microcred.issuers.services import InstanceKeyResolver

        instance = InstanceKeyResolver(session_factory, settings.base_url)
    try:
        keys = dict(load_pinned_keys(settings.trusted_keys_file))
    except KeyFormatError as exc:
        if strict:
            raise
        log.warning("ignoring the trusted keys file: %s", exc)
        keys = {}
    keys.update(pinned or {})
    resolver = default_resolver(instance=instance, pinned=keys, trusted_hosts=settings.trusted_host_list)
    registry = registry or ContextRegistry.default()
    # The list credential's own verifier has no status checker: checking a list never recurses into status.
    status_checker = BitstringStatusChecker(
        StatusListFetcher(session_factory, settings), Verifier(resolver, registry=registry)
    )
    return Verifier(
        resolver,
        registry=registry,
        status_checker=status_checker,
        hold_checker=InstanceHoldChecker(session_factory, settings.base_url),
    )
