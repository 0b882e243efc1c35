"""What the earner core holds about an earner, for erasure and merge (`microcred.ownership.erasure` asks every
owner of earner data in turn): the extra addresses are deleted, the earner row is kept but emptied of personal data,
and the erasure ledger row records the salted identity hash the earner's credentials still carry."""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Sequence

from sqlalchemy import delete, update
from sqlalchemy.orm import Session

from microcred.db.base import utcnow
from microcred.earners.models import EarnerEmail, EarnerErasure
from microcred.earners.services import get_earner

# the earner row is kept (awards point at it), emptied; the ledger row is what erasure adds
TABLES = frozenset({"earner_emails", "earner_erasures"})
ERASED_NAME = "Erased earner"


def _count(result: object) -> int:
    return int(getattr(result, "rowcount", 0) or 0)


def erase_earner_data(session: Session, earner_id: uuid.UUID, award_ids: Sequence[uuid.UUID]) -> dict[str, int]:
    """Delete the earner's extra addresses (the earner row itself is emptied last, by `record_erasure`)."""
    return {"earner_emails": _count(session.execute(delete(EarnerEmail).where(EarnerEmail.earner_id == earner_id)))}


def move_earner_data(session: Session, from_id: uuid.UUID, into_id: uuid.UUID) -> None:
    """Extra addresses left on the merged earner move too (a merge re-adds the verified ones first)."""
    session.execute(update(EarnerEmail).where(EarnerEmail.earner_id == from_id).values(earner_id=into_id))


def record_erasure(session: Session, earner_id: uuid.UUID, *, identity_hash: str, awards_kept: int) -> None:
    """Empty the earner row of personal data (a fresh salt: the old hash cannot be recomputed from the row) and add
    the ledger row that makes a second erasure a Conflict and keeps the awards from being re-issued."""
    earner = get_earner(session, earner_id)
    earner.name = ERASED_NAME
    earner.email = f"erased+{earner.id}@erased.invalid"
    earner.did = None
    earner.salt = secrets.token_hex(16)
    session.add(EarnerErasure(earner_id=earner.id, identity_hash=identity_hash, erased_at=utcnow(),
                              awards_kept=awards_kept))
