"""Partners' side of `microcred demo`: the one row the demo needs with a fixed id that no service creates.

`request_endorsement` picks a random id and returns notifications to send; the demo's pending request must be
found again by its uuid5 on a second run and mails nobody. This stays in partners (it builds partners' own row);
the demo package (`microcred.demo.partners`) calls it and imports nothing else of partners but its services.
"""

from __future__ import annotations

import uuid

from sqlalchemy.orm import Session

from microcred.audit import services as audit
from microcred.partners.models import EndorsementRequest


def add_pending_request(
    session: Session, *, request_id: uuid.UUID, achievement_id: uuid.UUID, partner_id: uuid.UUID, message: str
) -> None:
    """A pending consultation request with a given id, audited as every request is ("endorsement.requested")."""
    session.add(
        EndorsementRequest(
            id=request_id, achievement_id=achievement_id, partner_id=partner_id, message=message, status="pending"
        )
    )
    session.flush()
    audit.record(
        session,
        "endorsement.requested",
        f"endorsement_request:{request_id}",
        {"achievement_id": str(achievement_id), "partner_id": str(partner_id)},
    )
