"""A per-process cache of the credential page's content (issue 14): the rendered fragment of ``credential.html``'s
content block, not the whole page (the layout around it carries per-request things: the signed-in user, the CSRF
token, the current path and the language switch links).

The route keys each entry by everything that changes the fragment (see ``routes/public/credentials.py``): the
award and the exact bytes of its credential, the earner's sharing choices, the language, and the instance stamp
(every status list's version, every signing key's state: the stamp the verifier's own per-process reads are kept
under), so a revocation, suspension, reinstatement or key change is seen by the very next request.

An entry never outlives the next validity boundary (``validFrom``/``validUntil``, ``issuanceDate``/
``expirationDate``, a JWT's ``nbf``/``exp``) found in the credential or in any credential nested in it, since the
verdict changes there; and never lives more than :data:`MAX_AGE` (the names and descriptions read from the store
beside the signed document). Bounded (an LRU of :data:`MAX_ENTRIES`), thread-safe, safe to lose; each uvicorn
worker has its own.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Hashable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from microcred.vc.dataintegrity import parse_datetime
from microcred.vc.jose import decode_unverified, looks_like_jwt

MAX_ENTRIES = 512
MAX_AGE = timedelta(seconds=30)
_DATE_FIELDS = ("validFrom", "validUntil", "issuanceDate", "expirationDate")
_JWT_CLAIMS = ("nbf", "exp")
_MAX_DEPTH = 32


def now() -> datetime:
    """The clock of the cache: the same wall clock as the verifier's (``datetime.now(UTC)``)."""
    return datetime.now(UTC)


@dataclass(frozen=True)
class Fragment:
    """The rendered content block, and what the layout's title needs from it."""

    html: str
    verified: bool
    title: str


@dataclass(frozen=True)
class _Entry:
    fragment: Fragment
    expires: datetime


class PageCache:
    """An LRU of rendered fragments, each with its expiry time."""

    def __init__(self, size: int = MAX_ENTRIES, max_age: timedelta = MAX_AGE) -> None:
        self._size = size
        self._max_age = max_age
        self._entries: OrderedDict[Hashable, _Entry] = OrderedDict()
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def get(self, key: Hashable, at: datetime | None = None) -> Fragment | None:
        moment = at or now()
        with self._lock:
            entry = self._entries.get(key)
            if entry is None or entry.expires <= moment:
                if entry is not None:
                    del self._entries[key]
                self.misses += 1
                return None
            self._entries.move_to_end(key)
            self.hits += 1
            return entry.fragment

    def put(self, key: Hashable, fragment: Fragment, *, document: Any, at: datetime | None = None) -> None:
        """Keep ``fragment`` until the next validity boundary of ``document`` (nested credentials included), at
        most :data:`MAX_AGE` from ``at``."""
        moment = at or now()
        expires = moment + self._max_age
        boundary = next_boundary(document, moment)
        if boundary is not None and boundary < expires:
            expires = boundary
        if expires <= moment:
            return
        with self._lock:
            self._entries[key] = _Entry(fragment, expires)
            self._entries.move_to_end(key)
            while len(self._entries) > self._size:
                self._entries.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self.hits = self.misses = 0

    def __len__(self) -> int:
        with self._lock:
            return len(self._entries)


page_cache = PageCache()  # this process's


def next_boundary(document: Any, after: datetime) -> datetime | None:
    """The earliest validity bound later than ``after`` in ``document`` and everything nested in it (embedded
    endorsements, a CLR's credentials, endorsement JWTs); None when there is none."""
    later = [moment for moment in _bounds(document, 0) if moment > after]
    return min(later) if later else None


def _bounds(value: Any, depth: int) -> Iterator[datetime]:
    if depth > _MAX_DEPTH:
        return
    if isinstance(value, dict):
        for name, item in value.items():
            if name in _DATE_FIELDS and isinstance(item, str):
                try:
                    yield parse_datetime(item)
                except ValueError:  # an unreadable date fails the check every time: no boundary to wait for
                    continue
            else:
                yield from _bounds(item, depth + 1)
    elif isinstance(value, list):
        for item in value:
            yield from _bounds(item, depth + 1)
    elif isinstance(value, str) and looks_like_jwt(value):
        yield from _jwt_bounds(value, depth)


def _jwt_bounds(token: str, depth: int) -> Iterator[datetime]:
    try:
        _, payload = decode_unverified(token)
    except ValueError:
        return
    for claim in _JWT_CLAIMS:
        seconds = payload.get(claim)
        if isinstance(seconds, (int, float)) and not isinstance(seconds, bool):
            try:
                yield datetime.fromtimestamp(seconds, UTC)
            except (OverflowError, OSError, ValueError):
                continue
    yield from _bounds(payload, depth + 1)
