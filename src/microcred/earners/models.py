"""Earners (name, email, optional DID, a random salt for the hashed identity in credentials), their extra
addresses, and the erasure ledger: the core every subsystem below the earner-facing features may read."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, UniqueConstraint, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from microcred.db.base import Base, UTCDateTime, created_at_column, uuid_pk


class Earner(Base):
    __tablename__ = "earners"

    id: Mapped[uuid.UUID] = uuid_pk()
    name: Mapped[str] = mapped_column(String(300), nullable=False)
    email: Mapped[str] = mapped_column(String(320), nullable=False, unique=True)
    did: Mapped[str | None] = mapped_column(String(2000))
    salt: Mapped[str] = mapped_column(String(64), nullable=False)
    created_at: Mapped[datetime] = created_at_column()

    def __repr__(self) -> str:  # no email: personal data stays out of logs
        return f"Earner(id={self.id})"


class EarnerEmail(Base):
    """An extra address of an earner (the primary one stays on ``earners.email``); verified by an emailed link."""

    __tablename__ = "earner_emails"
    __table_args__ = (UniqueConstraint("earner_id", "email"),)

    id: Mapped[uuid.UUID] = uuid_pk()
    earner_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("earners.id", ondelete="CASCADE"), nullable=False, index=True
    )
    email: Mapped[str] = mapped_column(String(320), nullable=False, index=True)
    verified_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    token_hash: Mapped[str | None] = mapped_column(String(64), unique=True)  # SHA-256 of the link's token
    token_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)

    def __repr__(self) -> str:  # no address in logs
        return f"EarnerEmail(id={self.id}, verified={self.verified_at is not None})"


class EarnerErasure(Base):
    """What is kept of an erased earner: the salted identity hash their credentials carry, and when."""

    __tablename__ = "earner_erasures"

    earner_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("earners.id", ondelete="RESTRICT"), primary_key=True
    )
    identity_hash: Mapped[str] = mapped_column(String(100), nullable=False)
    erased_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    awards_kept: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
