"""What awards hold about an earner, for erasure and merge (asked by `microcred.ownership.erasure`).

An erased earner's awards are kept as a bare ledger (lawful basis: answering "was this issued, is it still valid?"
for credentials the holder keeps using): id, achievement, key, dates, status and status history stay; the hosted
credential copies, results, evidence items and the history's free-text reasons go."""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from microcred.awards.models import Award, AwardStatusEvent, EvidenceItem

# awards and award_status_events are kept, stripped; evidence_items are deleted
TABLES = frozenset({"awards", "award_status_events", "evidence_items"})


def _count(result: object) -> int:
    return int(getattr(result, "rowcount", 0) or 0)


def erase_earner_data(session: Session, earner_id: uuid.UUID, award_ids: Sequence[uuid.UUID]) -> dict[str, int]:
    """Strip the earner's awards to their ledger (flushed), then delete any evidence item still pointing at them."""
    if not award_ids:
        return {}
    for award in session.scalars(select(Award).where(Award.id.in_(award_ids))):
        award.credential_json = json.dumps({"erased": True, "award_id": str(award.id)})
        award.credential_jwt = None
        award.results = []
        award.evidence.clear()
    session.execute(update(AwardStatusEvent).where(AwardStatusEvent.award_id.in_(award_ids)).values(reason=None))
    session.flush()
    return {"evidence_items": _count(session.execute(delete(EvidenceItem).where(EvidenceItem.award_id.in_(award_ids))))}


def move_earner_data(session: Session, from_id: uuid.UUID, into_id: uuid.UUID) -> None:
    """The merged earner's awards become the surviving earner's."""
    session.execute(update(Award).where(Award.earner_id == from_id).values(earner_id=into_id))
