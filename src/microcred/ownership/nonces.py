"""One-time nonces a holder signs (DID Auth challenges, OID4VCI c_nonces), kept hashed in the database."""

from __future__ import annotations

import hashlib
import secrets
import uuid
from datetime import timedelta

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from microcred.db.base import utcnow
from microcred.ownership.models import HolderNonce


def _hash(value: str) -> str:
    return hashlib.sha256(value.encode("utf-8")).hexdigest()


def new_nonce(
    session: Session, purpose: str, *, earner_id: uuid.UUID | None = None, lifetime: timedelta = timedelta(minutes=10)
) -> str:
    now = utcnow()
    session.execute(delete(HolderNonce).where(HolderNonce.expires_at < now - timedelta(days=1)))
    nonce = secrets.token_urlsafe(24)
    session.add(
        HolderNonce(
            id=uuid.uuid4(), purpose=purpose, nonce_hash=_hash(nonce), earner_id=earner_id, created_at=now,
            expires_at=now + lifetime,
        )
    )
    session.flush()
    return nonce


def use_nonce(session: Session, purpose: str, nonce: str, *, earner_id: uuid.UUID | None = None) -> bool:
    """True (and the nonce is used up) when it was issued for this purpose (and earner), unused and unexpired."""
    if not nonce or len(nonce) > 200:
        return False
    row = session.scalars(
        select(HolderNonce).where(HolderNonce.nonce_hash == _hash(nonce)).with_for_update()
    ).first()
    now = utcnow()
    if row is None or row.purpose != purpose or row.used_at is not None or row.expires_at <= now:
        return False
    if earner_id is not None and row.earner_id != earner_id:
        return False
    row.used_at = now
    session.flush()
    return True
