"""Create and look up earners."""

from __future__ import annotations

import secrets
import uuid

from sqlalchemy import select
from sqlalchemy.orm import Session

from microcred.db.base import utcnow
from microcred.earners.models import Earner, EarnerEmail, EarnerErasure
from microcred.errors import Conflict, InvalidInput, NotFound
from microcred.validation import as_uuid, optional_email, optional_text, required_text


def _did(value: str | None) -> str | None:
    text = optional_text(value, "did", max_length=2000)
    if text is not None and not text.startswith("did:"):
        raise InvalidInput(f"did must be a DID (did:method:...), got {text[:40]!r}")
    return text


def create_earner(
    session: Session, *, name: str, email: str, did: str | None = None, id: uuid.UUID | None = None
) -> Earner:
    address = optional_email(email)
    if address is None:
        raise InvalidInput("email is required")
    if find_earner_by_email(session, address) is not None:
        raise Conflict(f"an earner with email {address} already exists")
    earner = Earner(
        id=id or uuid.uuid4(),
        name=required_text(name, "name", max_length=300),
        email=address,
        did=_did(did),
        salt=secrets.token_hex(16),
        created_at=utcnow(),
    )
    session.add(earner)
    session.flush()
    return earner


def get_earner(session: Session, earner_id: uuid.UUID | str) -> Earner:
    earner = session.get(Earner, as_uuid(earner_id, "earner"))
    if earner is None:
        raise NotFound(f"no earner with id {earner_id}")
    return earner


def find_earner_by_email(session: Session, email: str) -> Earner | None:
    """The earner whose primary address, or one of whose verified extra addresses, this is."""
    address = (email or "").strip().lower()
    earner = session.scalars(select(Earner).where(Earner.email == address)).first()
    if earner is None:
        row = session.scalars(
            select(EarnerEmail).where(EarnerEmail.email == address, EarnerEmail.verified_at.is_not(None))
        ).first()
        earner = session.get(Earner, row.earner_id) if row is not None else None
    return earner


def list_earners(session: Session) -> list[Earner]:
    return list(session.scalars(select(Earner).order_by(Earner.created_at, Earner.name)))


def erased_earner_ids(session: Session) -> set[uuid.UUID]:
    """Earners who erased their account: their awards are kept as a bare ledger and never re-issued."""
    return set(session.scalars(select(EarnerErasure.earner_id)))


def is_erased(session: Session, earner_id: uuid.UUID) -> bool:
    """Whether this one earner erased their account (one indexed lookup, not the whole erasure ledger)."""
    return session.scalar(select(EarnerErasure.earner_id).where(EarnerErasure.earner_id == earner_id)) is not None
