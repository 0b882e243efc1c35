"""The instance's verifier: the one `vc.Verifier`, wired to this instance's keys and settings.

Used by the CLI (`microcred verify`) and the web layer (verification page, VC-API), so both judge a
credential the same way. Key resolution order: did:key, this instance's own keys, pinned keys, trusted hosts.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path

from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from microcred.settings import Settings, get_settings
from microcred.vc import ContextRegistry, KeyFormatError, Verifier, default_resolver

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
    return Verifier(resolver, registry=registry or ContextRegistry.default())
