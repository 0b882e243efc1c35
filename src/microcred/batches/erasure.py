"""What award batches hold about an earner, for erasure (asked by `microcred.ownership.erasure`): the cells of a row
that became one of the earner's awards (their name, email, results) and its dedupe key (a hash of the email) go;
the row itself stays, with its state and award id, so the batch's counts and results still add up."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import update
from sqlalchemy.orm import Session

from microcred.batches.models import AwardBatchRow

TABLES = frozenset({"award_batch_rows"})


def erase_earner_data(session: Session, earner_id: uuid.UUID, award_ids: Sequence[uuid.UUID]) -> dict[str, int]:
    if not award_ids:
        return {}
    result = session.execute(
        update(AwardBatchRow).where(AwardBatchRow.award_id.in_(award_ids)).values(data={}, dedupe_key=None)
    )
    return {"award_batch_rows": int(getattr(result, "rowcount", 0) or 0)}


def move_earner_data(session: Session, from_id: uuid.UUID, into_id: uuid.UUID) -> None:
    """Nothing to move: the rows point at awards, which keep their ids."""
