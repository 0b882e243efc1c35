"""Earners' side of `microcred demo`: the two changes the demo makes to its first earner that no service makes
without a proof from the earner (a mailed link, a signed DID Auth challenge).

The demo's second address is verified from the start and has a fixed id; its wallet DID is bound without a
challenge (the demo wallet key is published). This stays in earners (it writes earners' own rows); the demo package
(`microcred.demo.ownership`) calls it."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.orm import Session

from microcred.db.base import utcnow
from microcred.earners.models import Earner, EarnerEmail


def ensure_verified_email(session: Session, earner_id: uuid.UUID, email: str, *, email_id: uuid.UUID) -> None:
    """An extra address of the earner, verified now, unless the earner already has it."""
    exists = session.scalars(
        select(EarnerEmail).where(EarnerEmail.earner_id == earner_id, EarnerEmail.email == email)
    ).first()
    if exists is None:
        now = utcnow()
        session.add(EarnerEmail(id=email_id, earner_id=earner_id, email=email, verified_at=now, created_at=now))
        session.flush()


def bind_published_did(session: Session, earner: Earner, did: str) -> None:
    """Bind ``did`` to the earner as-is (no DID Auth): only for a key whose seed is public, as the demo wallet's."""
    if earner.did != did:
        earner.did = did
        session.flush()
