"""Claim an ``Idempotency-Key`` before doing the work, store the response with it, replay it on a retry.

Everything happens in the caller's transaction: the key row is inserted (inside a savepoint) before the work and
completed with the response before the commit, so the key and what it did commit, or roll back, together.

- same actor, endpoint and key, same request: the stored response (nothing is executed or written again);
- same key, a different request: `InvalidInput` (422), nothing written;
- two requests with the same key at once: the second one's insert waits on the unique (actor, endpoint, key) until
  the first transaction ends; if it committed, the second replays its response; if it rolled back (e.g. a 409),
  the second executes. Never two executions.

Only results that committed are stored: a request that failed (4xx) left nothing, so it can be retried as is.

Keys are kept `KEY_LIFETIME` (24 hours, as Stripe and the IETF draft's examples do): a key older than that is
forgotten, and a request that reuses it executes as a new one. Each claim first purges the expired keys (an
indexed range that is almost always empty), so the table holds one day of keys, not every key ever sent.
"""

from __future__ import annotations

import hashlib
import json
import re
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from microcred.db.base import utcnow
from microcred.errors import Conflict, InvalidInput
from microcred.idempotency.models import IdempotencyKey

MAX_KEY_LENGTH = 255
KEY_LIFETIME = timedelta(hours=24)
_KEY = re.compile(rf"[\x21-\x7e]{{1,{MAX_KEY_LENGTH}}}")  # visible ASCII, as in the IETF Idempotency-Key draft


@dataclass(frozen=True)
class StoredResponse:
    """The response the first request with this key returned (its JSON text, byte for byte)."""

    status_code: int
    body: str


def request_digest(value: Any) -> str:
    """SHA-256 of the request (path parameters and parsed body) as canonical JSON."""
    text = json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def check_key(key: str) -> str:
    if not isinstance(key, str) or not _KEY.fullmatch(key):
        raise InvalidInput(
            f"the Idempotency-Key header must be 1 to {MAX_KEY_LENGTH} visible ASCII characters (e.g. a UUID)"
        )
    return key


def _stored(session: Session, actor: str, endpoint: str, key: str, digest: str) -> StoredResponse | None:
    row = session.scalars(
        select(IdempotencyKey)
        .where(IdempotencyKey.actor == actor, IdempotencyKey.endpoint == endpoint, IdempotencyKey.key == key)
        .execution_options(populate_existing=True)
    ).one_or_none()
    if row is None:
        return None
    if row.request_sha256 != digest:
        raise InvalidInput(
            f"this Idempotency-Key was already used for a different request to {endpoint}: "
            "a retry must repeat the first request exactly; use a new key for a new request"
        )
    if row.status_code is None or row.response_body is None:  # pragma: no cover - completed in the same transaction
        raise Conflict("a request with this Idempotency-Key is still in progress: retry it in a moment")
    return StoredResponse(status_code=row.status_code, body=row.response_body)


def purge_expired(session: Session, *, now: datetime | None = None, lifetime: timedelta = KEY_LIFETIME) -> int:
    """Forget the keys older than ``lifetime``; how many."""
    cutoff = (now or utcnow()) - lifetime
    result = session.execute(
        delete(IdempotencyKey).where(IdempotencyKey.created_at < cutoff).execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0) or 0)


def claim(session: Session, *, actor: str, endpoint: str, key: str, digest: str,
          now: datetime | None = None) -> IdempotencyKey | StoredResponse:  # fmt: skip
    """The key's stored response, or (first use, or its first use expired) its new row, to `complete` once the
    work is done."""
    check_key(key)
    purge_expired(session, now=now)
    found = _stored(session, actor, endpoint, key, digest)
    if found is not None:
        return found
    row = IdempotencyKey(id=uuid.uuid4(), actor=actor, endpoint=endpoint, key=key, request_sha256=digest)
    try:
        with session.begin_nested():
            session.add(row)
            session.flush()
    except IntegrityError:  # a concurrent request with this key committed first (our insert waited for it)
        found = _stored(session, actor, endpoint, key, digest)
        if found is None:  # pragma: no cover - the unique row we collided with is gone again
            raise Conflict("a request with this Idempotency-Key is in progress: retry it in a moment") from None
        return found
    return row


def complete(
    session: Session, row: IdempotencyKey, *, status_code: int, body: str, award_id: uuid.UUID | None = None
) -> None:
    """Store the response with the key (it commits with the work)."""
    row.status_code = status_code
    row.response_body = body
    row.award_id = award_id
    session.flush()
