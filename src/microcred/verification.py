"""The instance's verifier: the one `vc.Verifier`, wired to this instance's keys and settings.

Used by the CLI (`microcred verify`) and the web layer (verification page, VC-API), so both judge a
credential the same way. Key resolution order: did:key, this instance's own keys, pinned keys, trusted hosts.
"""

from __future__ import annotations

import functools
import json
import logging
import threading
import time
import uuid
from collections import OrderedDict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from microcred.errors import Unavailable
from microcred.settings import Settings, get_settings
from microcred.vc import (
    ContextRegistry,
    KeyFormatError,
    KeyResolutionError,
    KeyResolver,
    ResolvedKey,
    VerificationResult,
    Verifier,
    default_resolver,
    memo,
)
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


_REMOTE_CACHE_SIZE = 256
_remote_cache: OrderedDict[str, tuple[float, Any]] = OrderedDict()
_remote_lock = threading.Lock()
_LOCAL_CACHE_SIZE = 1024
# (database, base URL, list id) -> ((version, active key id), signed list document): what signed_list would serve.
_local_lists: OrderedDict[tuple[str, str, uuid.UUID], tuple[tuple[int, uuid.UUID | None], Any]] = OrderedDict()
_local_lock = threading.Lock()


def _remember(cache: OrderedDict[Any, Any], lock: threading.Lock, key: Any, value: Any, size: int) -> None:
    with lock:
        cache[key] = value
        cache.move_to_end(key)
        if len(cache) > size:
            cache.popitem(last=False)


def _https_fetch(url: str) -> Any:
    """A status list from a trusted host: the one size-limited fetch of the standards core, with our limits."""
    return fetch_json(
        url,
        accept="application/vc+ld+json, application/ld+json",
        error=StatusListUnavailable,
        max_bytes=REMOTE_MAX_BYTES,
        timeout_seconds=REMOTE_TIMEOUT_SECONDS,
    )


def _list_ttl_seconds(document: Any, default: float) -> float:
    """How long a fetched list may be kept: its ``ttl`` (milliseconds, Bitstring Status List v1.0 §2.2) when it
    states one, else ``default``; never more than an hour."""
    subject = document.get("credentialSubject") if isinstance(document, dict) else None
    ttl = subject.get("ttl") if isinstance(subject, dict) else None
    if isinstance(ttl, int) and not isinstance(ttl, bool) and ttl >= 0:
        return min(ttl / 1000, 3600.0)
    return default


@dataclass
class _Generation:
    """What was read from the store under one stamp (every list's version and every key's state): valid for as long
    as the stamp is unchanged, for every verification in this process."""

    stamp: Any
    keys: dict[str, ResolvedKey | KeyResolutionError] = field(default_factory=dict)
    lists: dict[uuid.UUID, tuple[int, uuid.UUID | None]] = field(default_factory=dict)
    holds: dict[uuid.UUID, bool] = field(default_factory=dict)


_MAX_ENTRIES = 4096
_generations: dict[str, _Generation] = {}  # per database: the generation of the latest stamp read
_generations_lock = threading.Lock()


def _remembered(table: dict[Any, Any], key: Any, read: Callable[[], Any]) -> Any:
    """``table[key]``, read once (an absent row, None, is never kept: it may appear without changing the stamp)."""
    if key in table:
        return table[key]
    value = read()
    if value is not None:
        if len(table) >= _MAX_ENTRIES:
            table.clear()
        table[key] = value
    return value


@functools.cache
def _stamp_statement() -> Any:
    """Built once per process (a statement is immutable): building it and its cache key on every page view was a
    twentieth of the credential page's CPU."""
    from sqlalchemy import select, true

    from microcred.issuers.services import keys_stamp_query
    from microcred.status.services import lists_stamp_query

    lists, keys = lists_stamp_query(), keys_stamp_query()
    # Each side is one aggregate row, so joining them on TRUE is the intended one-row product.
    return select(lists, keys).select_from(lists.join(keys, true()))


def instance_stamp(session: Session) -> tuple[Any, ...]:
    """Every status list's version and every signing key's state, in ONE statement (`status.lists_stamp_query`,
    `issuers.keys_stamp_query`): what the verifier's shared reads and the credential page's cache are filed under."""
    return tuple(session.execute(_stamp_statement()).one())


class InstanceState:
    """This instance's store as verifications see it. Each verification (its nested credentials and status lists
    included) reads through ONE session and starts with one small read, the stamp (`instance_stamp`): every status
    list's version and every signing key's state. Keys, list versions and suspension flags read under a stamp are
    reused by the verifications of this process while the stamp is unchanged; any revocation, suspension,
    reinstatement, new key, rotation or compromise (in any process) changes it, so the very next verification sees
    it."""

    def __init__(self, session_factory: sessionmaker[Session] | None, database: str = "") -> None:
        self.factory = session_factory
        self._database = database
        self._local = threading.local()

    def _generation(self, session: Session) -> _Generation:
        if not memo.enabled():
            return _Generation(None)  # the uncached baseline: nothing shared
        stamp = instance_stamp(session)
        with _generations_lock:
            current = _generations.get(self._database)
            if current is None or current.stamp != stamp:
                # A verification still running under the older stamp keeps its own generation object, so what it
                # reads can never be filed under the new stamp.
                current = _generations[self._database] = _Generation(stamp)
            return current

    @contextmanager
    def snapshot(self) -> Iterator[None]:
        if self.factory is None or getattr(self._local, "session", None) is not None:
            yield
            return
        with self.factory() as session:
            self._local.generation = self._generation(session)
            self._local.session, self._local.keys = session, {}
            try:
                yield
            finally:
                self._local.session = self._local.keys = self._local.generation = None

    @contextmanager
    def session(self) -> Iterator[Session]:
        """The verification's session when one is in progress, else a short one of its own."""
        current: Session | None = getattr(self._local, "session", None)
        if current is not None:
            yield current
            return
        if self.factory is None:
            raise StatusListUnavailable("this instance has no database yet")
        with self.factory() as session:
            yield session

    def _shared(self) -> _Generation:
        generation: _Generation | None = getattr(self._local, "generation", None)
        return generation if generation is not None else _Generation(None)

    def instance_key(self, verification_method: str, resolve: Callable[[str], ResolvedKey]) -> ResolvedKey:
        """One of this instance's own keys, as read under the current stamp."""
        return _raise_or_return(
            _remembered(self._shared().keys, verification_method, lambda: _outcome(resolve, verification_method))
        )

    def list_stamp(self, list_id: uuid.UUID) -> tuple[int, uuid.UUID | None] | None:
        from microcred.status.services import list_stamp

        def read() -> tuple[int, uuid.UUID | None] | None:
            with self.session() as session:
                return list_stamp(session, list_id)

        found: tuple[int, uuid.UUID | None] | None = _remembered(self._shared().lists, list_id, read)
        return found

    def suspended(self, award_id: uuid.UUID) -> bool | None:
        from microcred.status.services import award_flag

        def read() -> bool | None:
            with self.session() as session:
                return award_flag(session, award_id, "suspension")

        found: bool | None = _remembered(self._shared().holds, award_id, read)
        return found

    def resolve_once(self, verification_method: str, resolve: Callable[[str], ResolvedKey]) -> ResolvedKey:
        """Any key, looked up once per verification (remote and pinned keys are never kept past it)."""
        keys: dict[str, ResolvedKey | KeyResolutionError] | None = getattr(self._local, "keys", None)
        if keys is None:
            return resolve(verification_method)
        if verification_method not in keys:
            keys[verification_method] = _outcome(resolve, verification_method)
        return _raise_or_return(keys[verification_method])


def _outcome(resolve: Callable[[str], ResolvedKey], verification_method: str) -> ResolvedKey | KeyResolutionError:
    try:
        return resolve(verification_method)
    except KeyResolutionError as exc:
        return exc


def _raise_or_return(found: ResolvedKey | KeyResolutionError) -> ResolvedKey:
    if isinstance(found, KeyResolutionError):
        raise found
    return found


class _Remembering:
    """A key resolver asking ``inner`` through one of :class:`InstanceState`'s lookups: ``resolve_once`` (any key,
    once per verification) or ``instance_key`` (this instance's own keys, once per stamp)."""

    def __init__(
        self, inner: KeyResolver, lookup: Callable[[str, Callable[[str], ResolvedKey]], ResolvedKey]
    ) -> None:
        self._inner = inner
        self._lookup = lookup

    def resolve(self, verification_method: str) -> ResolvedKey:
        return self._lookup(verification_method, self._inner.resolve)


class StatusListFetcher:
    """Where status lists come from: this instance's own lists straight from its store (offline, no HTTP; the
    signed document is kept per process and served again while the list's version and its organisation's active
    key are unchanged, two small reads); other hosts only when listed in MICROCRED_TRUSTED_HOSTS (HTTPS, short
    timeout, size limit, kept for the list's ``ttl``); anything else is refused."""

    def __init__(
        self,
        session_factory: sessionmaker[Session] | None,
        settings: Settings,
        *,
        http_fetch: Any = None,
        cache_seconds: float = REMOTE_CACHE_SECONDS,
        state: InstanceState | None = None,
    ) -> None:
        self._factory = session_factory
        self._settings = settings
        self._http_fetch = http_fetch or _https_fetch
        self._cache_seconds = cache_seconds
        self._state = state or InstanceState(session_factory)
        self._database = _database_of(session_factory)

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
            if cached is not None and cached[0] > now and memo.enabled():
                return cached[1]
        document = self._http_fetch(url)
        expires = now + _list_ttl_seconds(document, self._cache_seconds)
        _remember(_remote_cache, _remote_lock, url, (expires, document), _REMOTE_CACHE_SIZE)
        return document

    def _local(self, list_id: uuid.UUID) -> Any:
        from microcred.db import session_scope
        from microcred.issuers import keystore
        from microcred.status.services import signed_list

        if self._factory is None:
            raise StatusListUnavailable("this instance has no database yet")
        stamp = self._state.list_stamp(list_id)
        if stamp is None:
            raise StatusListUnavailable(f"this instance has no status list {list_id}")
        key = (self._database, self._settings.base_url, list_id)
        with _local_lock:
            cached = _local_lists.get(key)
        if cached is not None and cached[0] == stamp and memo.enabled():
            return cached[1]
        settings = self._settings
        with session_scope(self._factory) as session:  # re-signs (and stores) the list when it is out of date
            document = signed_list(
                session, list_id, base_url=settings.base_url, master_key=lambda: keystore.load_master_key(settings)
            ).document()
        _remember(_local_lists, _local_lock, key, (stamp, document), _LOCAL_CACHE_SIZE)
        return document


class InstanceHoldChecker:
    """Suspensions of this instance's own awards. A credential carries one status entry (revocation, read by
    every verifier); a suspension is an issuer-side hold kept in this instance's suspension list, reported here."""

    def __init__(
        self, session_factory: sessionmaker[Session] | None, base_url: str, state: InstanceState | None = None
    ) -> None:
        self._factory = session_factory
        self._prefix = base_url.rstrip("/") + "/credentials/"
        self._state = state or InstanceState(session_factory)

    def __call__(self, credential: dict[str, Any]) -> tuple[bool, str] | None:
        credential_id = credential.get("id")
        if self._factory is None or not isinstance(credential_id, str) or not credential_id.startswith(self._prefix):
            return None
        try:
            award_id = uuid.UUID(credential_id[len(self._prefix) :])
        except ValueError:
            return None
        suspended = self._state.suspended(award_id)
        if suspended is None:
            return None
        if suspended:
            return False, "suspended by the issuer"
        return True, "not suspended"


def _database_of(session_factory: sessionmaker[Session] | None) -> str:
    """Which database a session factory opens (what per-process caches of its rows are keyed by)."""
    bind = session_factory.kw.get("bind") if session_factory is not None else None
    url = getattr(bind, "url", None)
    return str(url) if url is not None else f"factory-{id(session_factory)}"


class InstanceVerifier(Verifier):
    """The :class:`Verifier` with this instance's store behind it: each verification (nested credentials and
    status lists included) reads the store through one session, each key once."""

    def __init__(self, state: InstanceState, resolver: KeyResolver, **options: Any) -> None:
        super().__init__(resolver, **options)
        self._state = state

    def verify(self, source: dict[str, Any] | str, *, _depth: int = 0) -> VerificationResult:
        with self._state.snapshot():
            return super().verify(source, _depth=_depth)

    def verify_all(self, sources: list[dict[str, Any] | str]) -> list[VerificationResult]:
        """Several credentials read through one snapshot of the store (one stamp read for all of them)."""
        with self._state.snapshot():
            return [super(InstanceVerifier, self).verify(source) for source in sources]


def instance_verifier(
    session_factory: sessionmaker[Session] | None,
    settings: Settings | None = None,
    *,
    pinned: dict[str, str] | None = None,
    registry: ContextRegistry | None = None,
    strict: bool = True,
    reference: bool = False,
) -> InstanceVerifier:
    """The verifier for this instance. ``strict=False`` (the server) logs and ignores an unusable trusted-keys file
    instead of refusing to verify anything; the CLI is strict and reports it. ``reference=True``: the reference
    path (pyld, python-jsonschema, nothing memoised) with the same verdicts, for tests and the bench baseline."""
    settings = settings or get_settings()
    state = InstanceState(session_factory, _database_of(session_factory))
    instance: KeyResolver | None = None
    if session_factory is not None:
        from microcred.issuers.services import InstanceKeyResolver

        instance = _Remembering(InstanceKeyResolver(state.session, settings.base_url), state.instance_key)
    try:
        keys = dict(load_pinned_keys(settings.trusted_keys_file))
    except KeyFormatError as exc:
        if strict:
            raise
        log.warning("ignoring the trusted keys file: %s", exc)
        keys = {}
    keys.update(pinned or {})
    chain = default_resolver(instance=instance, pinned=keys, trusted_hosts=settings.trusted_host_list)
    resolver = _Remembering(chain, state.resolve_once)
    registry = registry or ContextRegistry.default()
    # The list credential's own verifier has no status checker: checking a list never recurses into status.
    status_checker = BitstringStatusChecker(
        StatusListFetcher(session_factory, settings, state=state),
        Verifier(resolver, registry=registry, reference=reference),
    )
    return InstanceVerifier(
        state,
        resolver,
        registry=registry,
        reference=reference,
        status_checker=status_checker,
        hold_checker=InstanceHoldChecker(session_factory, settings.base_url, state),
    )
