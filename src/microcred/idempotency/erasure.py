"""What idempotency keys hold about an earner, for erasure (asked by `microcred.ownership.erasure`): a stored
response that names one of their awards goes (it is a copy of what the award said)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import delete
from sqlalchemy.orm import Session

from microcred.idempotency.models import IdempotencyKey

TABLES = frozenset({"idempotency_keys"})


def erase_earner_data(session: Session, earner_id: uuid.UUID, award_ids: Sequence[uuid.UUID]) -> dict[str, int]:
    if not award_ids:
        return {}
    result = session.execute(delete(IdempotencyKey).where(IdempotencyKey.award_id.in_(award_ids)))
    return {"idempotency_keys": int(getattr(result, "rowcount", 0) or 0)}


def move_earner_data(session: Session, from_id: uuid.UUID, into_id: uuid.UUID) -> None:
    """Nothing to move: the keys point at awards, which keep their ids."""
