"""What accounts hold about an earner, for erasure and merge (asked by `microcred.ownership.erasure`): the earner's
user account goes (its sign-in links go with it, ON DELETE CASCADE)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import delete, update
from sqlalchemy.orm import Session

from microcred.accounts.models import User

TABLES = frozenset({"users"})


def erase_earner_data(session: Session, earner_id: uuid.UUID, award_ids: Sequence[uuid.UUID]) -> dict[str, int]:
    return {"users": int(getattr(session.execute(delete(User).where(User.earner_id == earner_id)), "rowcount", 0) or 0)}


def move_earner_data(session: Session, from_id: uuid.UUID, into_id: uuid.UUID) -> None:
    session.execute(update(User).where(User.earner_id == from_id).values(earner_id=into_id))
