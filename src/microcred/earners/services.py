"""Create and look up earners, their extra addresses and whether they erased their account: the earner core
that every subsystem reads (others never import `earners.models`)."""

from __future__ import annotations

import secrets
import uuid
from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from microcred.db.base import utcnow
from microcred.db.locking import lock_row
from microcred.db.rows import get_row
from microcred.earners.models import Earner as Earner  # the public type of an earner
from microcred.earners.models import EarnerEmail as EarnerEmail
from microcred.earners.models import EarnerErasure
from microcred.errors import Conflict, InvalidInput
from microcred.validation import optional_email, optional_text, required_text


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
    return get_row(session, Earner, earner_id, "earner")


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


def lock_earner(session: Session, earner_id: uuid.UUID | str) -> Earner:
    """The earner's row locked until the transaction ends, read afresh (`db.locking.lock_row`): erasure and merge
    serialise on it."""
    return lock_row(session, Earner, earner_id, "earner")


def delete_earner(session: Session, earner_id: uuid.UUID) -> None:
    """Delete the earner row itself (a merge, once every row pointing at it has moved to the other earner)."""
    session.execute(delete(Earner).where(Earner.id == earner_id))


# -- extra addresses (core rows: `find_earner_by_email` reads them; the claim/merge feature writes them) ----------
def emails(session: Session, earner_id: uuid.UUID) -> list[EarnerEmail]:
    """The earner's extra addresses, verified or waiting for their link, oldest first."""
    return list(
        session.scalars(select(EarnerEmail).where(EarnerEmail.earner_id == earner_id).order_by(EarnerEmail.created_at))
    )


def find_email(session: Session, earner_id: uuid.UUID, address: str) -> EarnerEmail | None:
    return session.scalars(
        select(EarnerEmail).where(EarnerEmail.earner_id == earner_id, EarnerEmail.email == address)
    ).first()


def get_email(session: Session, email_id: uuid.UUID) -> EarnerEmail | None:
    return session.get(EarnerEmail, email_id)


def email_by_token_hash(session: Session, token_hash: str) -> EarnerEmail | None:
    """The address whose verification link carries this token (stored as its SHA-256 only)."""
    return session.scalars(select(EarnerEmail).where(EarnerEmail.token_hash == token_hash)).first()


def add_email_row(
    session: Session, earner_id: uuid.UUID, address: str, *, verified_at: datetime | None = None
) -> EarnerEmail:
    """A new extra address (not flushed: the caller sets its token or adds more first)."""
    row = EarnerEmail(id=uuid.uuid4(), earner_id=earner_id, email=address, verified_at=verified_at,
                      created_at=verified_at or utcnow())
    session.add(row)
    return row


def delete_email(session: Session, row: EarnerEmail) -> None:
    session.delete(row)


def delete_emails_of(session: Session, earner_id: uuid.UUID) -> None:
    """Every extra address of the earner (a merge re-adds the verified ones to the surviving earner)."""
    session.execute(delete(EarnerEmail).where(EarnerEmail.earner_id == earner_id))


def settle_address(session: Session, address: str, *, verified_for: uuid.UUID) -> None:
    """Once ``address`` is verified for one earner, the same address waiting for verification elsewhere goes."""
    session.execute(delete(EarnerEmail).where(EarnerEmail.email == address, EarnerEmail.earner_id != verified_for))
